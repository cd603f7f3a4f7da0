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
	for _, tc := range []struct {
		name   string
		probes []Probe
		code   int
		body   string
	}{
		{"all answer", []Probe{{"database", up}, {"redis", up}}, http.StatusOK, "database: ok\nredis: ok\n"},
		{"redis down", []Probe{{"database", up}, {"redis", down}}, http.StatusServiceUnavailable, "database: ok\nredis: unreachable\n"},
		{"database down", []Probe{{"database", down}, {"redis", up}}, http.StatusServiceUnavailable, "database: unreachable\nredis: ok\n"},
		{"a probe without ping is skipped", []Probe{{"database", up}, {"redis", nil}}, http.StatusOK, "database: ok\n"},
		{"no probe", nil, http.StatusOK, ""},
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
