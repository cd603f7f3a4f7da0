package lab

import (
	"slices"
	"strings"
	"testing"
)

// The summary prints every family in the fixed order, ×0 included, then
// why a skipped family was; Missing lists the zeros not skipped.
func TestFaultSummary(t *testing.T) {
	tests := []struct {
		name    string
		fill    func(*FaultTally)
		want    string
		missing []string
	}{
		{"nothing", func(*FaultTally) {}, `fault: worker-kill ×0
fault: redis-restart ×0
fault: postgres-outage ×0
fault: deposit-4xx ×0
fault: deposit-coderetour ×0
fault: lost-response ×0
fault: search-lag ×0
fault: token-failure ×0
fault: clock-skew ×0
fault: duplicate-payment ×0
fault: import-during-run ×0
fault: timeout ×0
`, FaultNames()},
		{"a run", func(f *FaultTally) {
			for _, n := range FaultNames() {
				f.Add(n, 1)
			}
			f.Add(FaultWorkerKill, 79)
			f.Set(FaultLostResponse, 12)
			f.Set(FaultRedisRestart, 0)
			f.Skip(FaultRedisRestart, "--redis is not the run's own")
		}, `fault: worker-kill ×80
fault: redis-restart ×0
fault: postgres-outage ×1
fault: deposit-4xx ×1
fault: deposit-coderetour ×1
fault: lost-response ×12
fault: search-lag ×1
fault: token-failure ×1
fault: clock-skew ×1
fault: duplicate-payment ×1
fault: import-during-run ×1
fault: timeout ×1
chaos: redis-restart not injected: --redis is not the run's own
`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFaultTally()
			tc.fill(f)
			var out strings.Builder
			f.WriteSummary(&out)
			if out.String() != tc.want {
				t.Errorf("summary:\n%s\nwant:\n%s", out.String(), tc.want)
			}
			if got := f.Missing(); !slices.Equal(got, tc.missing) {
				t.Errorf("missing %v, want %v", got, tc.missing)
			}
		})
	}
}
