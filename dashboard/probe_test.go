package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestReadiness(t *testing.T) {
	up := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("connection refused") }
	note := func(s string, err error) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { return s, err }
	}
	for _, tc := range []struct {
		name   string
		probes []Probe
		code   int
		body   string
	}{
		{"all answer", []Probe{{Name: "database", Ping: up}, {Name: "redis", Ping: up}}, http.StatusOK, "database: ok\nredis: ok\n"},
		{"redis down", []Probe{{Name: "database", Ping: up}, {Name: "redis", Ping: down}}, http.StatusServiceUnavailable, "database: ok\nredis: unreachable\n"},
		{"database down", []Probe{{Name: "database", Ping: down}, {Name: "redis", Ping: up}}, http.StatusServiceUnavailable, "database: unreachable\nredis: ok\n"},
		{"a probe without ping nor note is skipped", []Probe{{Name: "database", Ping: up}, {Name: "redis"}}, http.StatusOK, "database: ok\n"},
		{"no probe", nil, http.StatusOK, ""},
		// A note says something without making the answer 503.
		{"a note", []Probe{{Name: "database", Ping: up}, {Name: "deliveries", Note: note("paused since 2026-03-02T09:00:00Z: HTTP 403", nil)}},
			http.StatusOK, "database: ok\ndeliveries: paused since 2026-03-02T09:00:00Z: HTTP 403\n"},
		{"an empty note is ok", []Probe{{Name: "deliveries", Note: note("", nil)}}, http.StatusOK, "deliveries: ok\n"},
		{"a note that fails is unknown, still ready", []Probe{{Name: "deliveries", Note: note("", errors.New("no books"))}}, http.StatusOK, "deliveries: unknown\n"},
		{"a note stays on its line", []Probe{{Name: "deliveries", Note: note("paused:\nline two\r\n", nil)}}, http.StatusOK, "deliveries: paused: line two\n"},
		{"a ping that fails wins over the note", []Probe{{Name: "database", Ping: down, Note: note("paused", nil)}}, http.StatusServiceUnavailable, "database: unreachable\n"},
		{"a ping and a note", []Probe{{Name: "database", Ping: up, Note: note("paused", nil)}}, http.StatusOK, "database: paused\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			Readiness(nil, tc.probes...).ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
			if w.Code != tc.code || w.Body.String() != tc.body {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body.String(), tc.code, tc.body)
			}
		})
	}
}
