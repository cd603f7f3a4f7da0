package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/worker"
)

// The overview says which steps of the pipeline fail and their last
// error, in the page and in its JSON; Redis unreachable is said too.
func TestOverviewSaysWhichStepsFail(t *testing.T) {
	at := time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC)
	trouble := worker.StepTrouble{Type: worker.TypeDeliver, Step: worker.StepName(worker.TypeDeliver),
		Error: `chorus pro deposit (token): transient error: dial tcp 10.0.0.9:443: connect: connection refused`,
		Since: at.Add(-10 * time.Minute), At: at, Failures: 42}
	for _, tc := range []struct {
		name     string
		troubles func(context.Context) ([]worker.StepTrouble, error)
		page     []string // in the HTML
		absent   []string
		json     int // troubles in /api/apercu
	}{
		{"failing", func(context.Context) ([]worker.StepTrouble, error) { return []worker.StepTrouble{trouble}, nil },
			[]string{"Étapes en échec", "dépôt Chorus Pro", "03/12/2026 11:50", "<td class=\"num bad\">42</td>", "connect: connection refused", "(03/12/2026 12:00)"}, nil, 1},
		{"all moving", func(context.Context) ([]worker.StepTrouble, error) { return nil, nil },
			nil, []string{"Étapes en échec"}, 0},
		{"redis down", func(context.Context) ([]worker.StepTrouble, error) { return nil, errors.New("dial tcp: refused") },
			[]string{"État des étapes illisible (Redis injoignable)."}, []string{"Étapes en échec"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Troubles = tc.troubles })
			w := e.do("GET", "/", e.operator, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("overview: %d", w.Code)
			}
			body := w.Body.String()
			for _, s := range tc.page {
				if !strings.Contains(body, s) {
					t.Errorf("overview lacks %q", s)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(body, s) {
					t.Errorf("overview shows %q", s)
				}
			}
			w = e.do("GET", "/api/apercu", e.operator, nil, "Accept", "application/json")
			var out struct {
				Troubles []struct {
					Step, Error string
					Failures    int64
				} `json:"troubles"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("api overview: %v: %s", err, w.Body)
			}
			if len(out.Troubles) != tc.json || tc.json > 0 && (out.Troubles[0].Failures != 42 || out.Troubles[0].Error != trouble.Error) {
				t.Errorf("api overview troubles: %+v", out.Troubles)
			}
		})
	}
}
