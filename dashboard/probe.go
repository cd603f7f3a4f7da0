package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Probe is one dependency a readiness check asks: its name, as the answer
// says it ("database", "redis"), and how to ask it.
type Probe struct {
	Name string
	Ping func(ctx context.Context) error
}

// Readiness answers a readiness probe (/readyz): 200 when every probe
// answers within 3 s, 503 otherwise, with one line per probe ("redis:
// unreachable"). The errors go to log, not to the caller, who is anonymous:
// the dashboard and the metrics listener of every process serve it, and
// container healthchecks ask it through `chorusbill health`.
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
			if p.Ping == nil {
				continue
			}
			if err := p.Ping(ctx); err != nil {
				log.Warn("readiness: "+p.Name, "error", err)
				status = http.StatusServiceUnavailable
				fmt.Fprintf(&body, "%s: unreachable\n", p.Name)
				continue
			}
			fmt.Fprintf(&body, "%s: ok\n", p.Name)
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
