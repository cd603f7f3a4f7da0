package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/store"
)

// Probe is one thing a readiness check asks: its name, as the answer says
// it ("database", "redis", "deliveries"), and how to ask it.
type Probe struct {
	Name string
	// Ping, when set, decides readiness: an error makes the answer 503.
	Ping func(ctx context.Context) error
	// Note, when set, adds what it says to the probe's line ("deliveries:
	// paused since …") and never makes the answer 503, nor does its
	// error (the line then says "unknown"): it is for a person reading
	// /readyz. A process whose deliveries to Chorus Pro are paused still
	// serves the dashboard and does the rest of its work, and another one
	// would be paused alike (the pause is in the books, the fault in the
	// configuration on Chorus Pro's side): an orchestrator must neither
	// restart it nor route away from it. An empty note prints "ok".
	Note func(ctx context.Context) (string, error)
}

// Readiness answers a readiness probe (/readyz): 200 when every probe with
// a Ping answers within 3 s, 503 otherwise, with one line per probe
// ("redis: unreachable", "deliveries: paused since …"). The errors go to
// log, not to the caller, who is anonymous: the dashboard and the metrics
// listener of every process serve it, and container healthchecks ask it
// through `chorusbill health`.
func Readiness(log *slog.Logger, probes ...Probe) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status := http.StatusOK
		var body strings.Builder
		for _, p := range probes {
			if p.Ping == nil && p.Note == nil {
				continue
			}
			if p.Ping != nil {
				if err := p.Ping(ctx); err != nil {
					log.Warn("readiness: "+p.Name, "error", err)
					status = http.StatusServiceUnavailable
					fmt.Fprintf(&body, "%s: unreachable\n", p.Name)
					continue
				}
			}
			line := "ok"
			if p.Note != nil {
				note, err := p.Note(ctx)
				switch {
				case err != nil:
					log.Warn("readiness: "+p.Name, "error", err)
					line = "unknown"
				case note != "":
					line = oneLine(note)
				}
			}
			fmt.Fprintf(&body, "%s: %s\n", p.Name, line)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprint(w, body.String())
	})
}

// Liveness answers a liveness probe (/healthz): 200 as long as the process
// serves HTTP at all; it asks nothing else.
func Liveness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
}

// oneLine keeps a note on its probe's line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// PauseNote is the readiness note of deliveries to Chorus Pro: "paused
// since 2026-03-02T09:00:00Z: <why>" while the worker holds them
// (store.Store.DeliveryPause), "" otherwise. Wire it as
// Probe{Name: "deliveries", Note: PauseNote(books)}.
func PauseNote(books *store.Store) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		p, paused, err := books.DeliveryPause(ctx)
		if err != nil || !paused {
			return "", err
		}
		return "paused since " + p.Since.UTC().Format(time.RFC3339) + ": " + p.Reason, nil
	}
}
