package chorus

import (
	"testing"
	"time"
)

// The period's bounds are Paris wall-clock date-times to the second, the
// lower one rounded down and the upper one up, across both offsets.
func TestParisDateTime(t *testing.T) {
	for _, tt := range []struct {
		t       time.Time
		roundUp bool
		want    string
	}{
		{time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC), false, "2026-01-15T09:00:00"},
		{time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC), true, "2026-01-15T09:00:00"},
		{time.Date(2026, 1, 15, 8, 0, 0, 500_000_000, time.UTC), false, "2026-01-15T09:00:00"},
		{time.Date(2026, 1, 15, 8, 0, 0, 500_000_000, time.UTC), true, "2026-01-15T09:00:01"},
		{time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), false, "2026-07-01T12:00:00"},
		{time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC), false, "2027-01-01T00:30:00"},
		{time.Date(2026, 3, 29, 3, 15, 0, 0, time.FixedZone("CEST", 2*3600)), false, "2026-03-29T03:15:00"},
	} {
		if got := parisDateTime(tt.t, tt.roundUp); got != tt.want {
			t.Errorf("parisDateTime(%s, %v) = %s, want %s", tt.t, tt.roundUp, got, tt.want)
		}
	}
}
