package dashboard

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/store"
)

const (
	bannerSoon    = "Le mot de passe du compte technique Chorus Pro expire le "
	bannerExpired = "Le mot de passe du compte technique Chorus Pro a expiré le "
	bannerTail    = " : le renouveler sur le portail."
)

// recordExpiry records, as the worker's daily check would, that the
// technical account's password expires days after the dashboard's today.
func (e *env) recordExpiry(days int) time.Time {
	e.t.Helper()
	day := time.Date(today.Year(), today.Month(), today.Day()+days, 0, 0, 0, 0, time.UTC)
	if err := e.books.PutChorusAccount(context.Background(), store.ChorusAccount{ExpiresOn: day, Source: store.AccountFromChorus}); err != nil {
		e.t.Fatal(err)
	}
	return day
}

// The banner is on every page from 30 days before the password expires,
// red once it has; not at 31 days, nor while nothing is known, nor to
// someone not signed in; the metric says the days left.
func TestPasswordExpiryBanner(t *testing.T) {
	e := newEnv(t)
	pages := []string{"/", "/a-completer", "/rejets", "/corrections", "/factures/" + e.rejected, "/page-inconnue"}
	check := func(days int, want string, red bool) {
		t.Helper()
		for _, path := range pages {
			w := e.do("GET", path, e.viewer, nil)
			body := w.Body.String()
			shown := strings.Contains(body, `class="flash account`)
			switch {
			case want == "" && shown:
				t.Errorf("%d days, %s: a banner is shown:\n%s", days, path, body)
			case want != "" && !strings.Contains(body, want):
				t.Errorf("%d days, %s (%d): no banner %q", days, path, w.Code, want)
			case want != "" && red != strings.Contains(body, `class="flash account err"`):
				t.Errorf("%d days, %s: red %v, want %v", days, path, !red, red)
			}
		}
	}
	gauge := func(want float64, present bool) {
		t.Helper()
		v, ok := e.scrape()[metricPasswordExpires]
		if ok != present || v != want {
			t.Errorf("%s = %v (present %v), want %v (present %v)", metricPasswordExpires, v, ok, want, present)
		}
	}

	check(0, "", false) // nothing known yet
	gauge(0, false)

	e.recordExpiry(31)
	check(31, "", false)
	gauge(31, true)

	day := e.recordExpiry(30)
	check(30, bannerSoon+day.Format("02/01/2006")+bannerTail, false)

	day = e.recordExpiry(29)
	check(29, bannerSoon+day.Format("02/01/2006")+bannerTail, false)
	gauge(29, true)

	day = e.recordExpiry(-2)
	check(-2, bannerExpired+day.Format("02/01/2006")+bannerTail, true)
	gauge(-2, true)

	// Not to someone not signed in: the login page says nothing of it.
	if w := e.do("GET", "/connexion", nil, nil); w.Code != http.StatusOK || strings.Contains(w.Body.String(), "compte technique") {
		t.Errorf("login page (%d) shows the banner", w.Code)
	}
}

// A configured expiry (CHORUS_TECH_PASSWORD_EXPIRES) wins over the date
// read from Chorus Pro, on the pages and in the metric.
func TestPasswordExpiryConfigured(t *testing.T) {
	configured := time.Date(today.Year(), today.Month(), today.Day()+31, 0, 0, 0, 0, paris)
	e := newEnv(t, func(c *Config) { c.TechPasswordExpires = configured })
	e.recordExpiry(10)
	if w := e.do("GET", "/", e.viewer, nil); strings.Contains(w.Body.String(), "compte technique") {
		t.Errorf("the books' 10 days show although 31 are configured:\n%s", w.Body.String())
	}
	if v, ok := e.scrape()[metricPasswordExpires]; !ok || v != 31 {
		t.Errorf("%s = %v (present %v), want 31", metricPasswordExpires, v, ok)
	}
}
