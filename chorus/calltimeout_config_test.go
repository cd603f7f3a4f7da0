package chorus_test

import (
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// CHORUS_CALL_TIMEOUT bounds a call (60 s by default); it must be a
// positive duration.
func TestCallTimeoutSetting(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Duration
		bad  bool
	}{{"", 60 * time.Second, false}, {"5s", 5 * time.Second, false}, {"0", 0, true}, {"-1s", 0, true}, {"5", 0, true}} {
		c, err := chorus.ConfigFromEnv(func(k string) string {
			return map[string]string{"CHORUS_ENV": "local", "CHORUS_CALL_TIMEOUT": tc.v}[k]
		})
		if tc.bad {
			if err == nil {
				t.Errorf("%q accepted", tc.v)
			}
			continue
		}
		if err != nil || c.CallTimeout != tc.want {
			t.Errorf("%q: %s, %v; want %s", tc.v, c.CallTimeout, err, tc.want)
		}
	}
}
