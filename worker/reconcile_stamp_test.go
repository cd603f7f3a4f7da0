package worker

import (
	"testing"
	"time"
)

// TestStaleStamp: one reconcile task per period an invoice stays stale —
// the same name within a period, a new one in the next.
func TestStaleStamp(t *testing.T) {
	updated := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		after time.Duration
		want  string
	}{
		{10 * time.Second, ":r1772442000000000000.1"},
		{19 * time.Second, ":r1772442000000000000.1"},
		{20 * time.Second, ":r1772442000000000000.2"},
		{95 * time.Second, ":r1772442000000000000.9"},
	} {
		if got := staleStamp(updated, updated.Add(tc.after), 10*time.Second); got != tc.want {
			t.Errorf("after %s: %s, want %s", tc.after, got, tc.want)
		}
	}
	if got := staleStamp(updated, updated.Add(time.Hour), 0); got != ":r1772442000000000000.0" {
		t.Errorf("no period: %s", got)
	}
}
