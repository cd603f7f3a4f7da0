package worker

import (
	"strings"
	"testing"
	"time"
)

// The schedule a worker prints says what its scheduler does by itself.
func TestSchedule(t *testing.T) {
	for _, tc := range []struct {
		name     string
		auto     bool
		want     []string
		wantNone string
	}{
		{"by the calendar", true, []string{"contribution run of the current year, from 2 January", "overage run of the previous year, from 1 February", "every 5m0s"}, "--no-auto-runs"},
		{"no auto runs", false, []string{"--no-auto-runs", "late-payment interest", "every 5m0s"}, "contribution run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.AutoRuns, cfg.KickEvery = tc.auto, 5*time.Minute
			got := strings.Join(cfg.Schedule(), "\n")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("schedule lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, tc.wantNone) {
				t.Errorf("schedule says %q:\n%s", tc.wantNone, got)
			}
		})
	}
}
