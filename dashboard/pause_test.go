package dashboard

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"testing"
	"time"
)

// While the worker holds deliveries to Chorus Pro (store.Pause), every
// signed-in page says so and why, the overview's JSON and the metrics say
// it too; once a call succeeds and the pause is lifted, all of it goes.
func TestDeliveriesPaused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pages := []string{"/", "/a-completer", "/rejets", "/suspendues", "/a-verifier", "/courrier", "/retards", "/corrections",
		"/factures/" + e.rejected, "/factures/" + e.suspended + "/resoumettre", "/recherche?q=Plougastel", "/page-inconnue"}
	const reason = "Chorus Pro refuse l'accès (HTTP 403) : l'application PISTE n'est pas abonnée à l'API (deposer/flux) ; corriger l'abonnement sur PISTE"
	banner := "Dépôts sur Chorus Pro suspendus depuis le 02/03/2026 à 09:15 : " + template.HTMLEscapeString(reason) +
		". Les factures attendent ; le dépôt reprend de lui-même dès qu'un essai réussit."
	type overviewJSON struct {
		DeliveriesPaused *struct {
			Reason string    `json:"reason"`
			Since  time.Time `json:"since"`
		} `json:"deliveriesPaused"`
	}
	api := func() overviewJSON {
		t.Helper()
		w := e.do("GET", "/api/apercu", e.viewer, nil)
		var v overviewJSON
		if err := json.Unmarshal(w.Body.Bytes(), &v); w.Code != http.StatusOK || err != nil {
			t.Fatalf("/api/apercu: %d %v %s", w.Code, err, w.Body.String())
		}
		if !strings.Contains(w.Body.String(), `"deliveriesPaused":`) {
			t.Errorf("/api/apercu has no deliveriesPaused: %s", w.Body.String())
		}
		return v
	}
	check := func(paused bool) {
		t.Helper()
		for _, path := range pages {
			for _, who := range []*http.Cookie{e.viewer, e.operator} {
				body := e.do("GET", path, who, nil).Body.String()
				if shown := strings.Contains(body, `class="flash pause err"`); shown != paused || paused && !strings.Contains(body, banner) {
					t.Errorf("paused %v, %s: banner shown %v\n%s", paused, path, shown, body)
				}
			}
		}
		if v := api(); (v.DeliveriesPaused != nil) != paused {
			t.Errorf("paused %v: deliveriesPaused %+v", paused, v.DeliveriesPaused)
		}
		if v, ok := e.scrape()[metricDeliveriesPaused]; !ok || v != boolValue(paused) {
			t.Errorf("paused %v: %s = %v (present %v)", paused, metricDeliveriesPaused, v, ok)
		}
	}

	check(false)
	since := time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC) // 09:15 in Paris
	if err := e.books.PauseDeliveries(ctx, reason, since); err != nil {
		t.Fatal(err)
	}
	// Another try that failed the same way keeps the start of the pause.
	if err := e.books.PauseDeliveries(ctx, reason, since.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	check(true)
	if v := api().DeliveriesPaused; v.Reason != reason || !v.Since.Equal(since) {
		t.Errorf("deliveriesPaused = %+v, want %q since %s", v, reason, since)
	}
	// Not to someone not signed in.
	if w := e.do("GET", "/connexion", nil, nil); strings.Contains(w.Body.String(), "suspendus") {
		t.Error("the login page shows the pause")
	}

	if _, err := e.books.ResumeDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	check(false)
}
