package chorus_test

import (
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

// Outside the local sandbox, the calls are limited by default (shared by
// the workers through Redis, internal/app); CHORUS_RATE says otherwise, 0
// lifting the limit.
func TestDefaultRate(t *testing.T) {
	real := map[string]string{"CHORUS_CLIENT_ID": "id", "CHORUS_CLIENT_SECRET": "s", "CHORUS_TECH_LOGIN": "TECH_1@cpro.fr",
		"CHORUS_TECH_PASSWORD": "p", "CHORUS_SUPPLIER_ID": "26300989", "CHORUS_BANK_ACCOUNT_ID": "144050"}
	cases := []struct {
		env, rate string
		want      float64
	}{
		{"local", "", 0},
		{"qualification", "", chorus.DefaultRatePerSecond},
		{"production", "", chorus.DefaultRatePerSecond},
		{"production", "2.5", 2.5},
		{"production", "0", 0},
		{"local", "4", 4},
	}
	for _, tc := range cases {
		t.Run(tc.env+"/"+tc.rate, func(t *testing.T) {
			env := map[string]string{"CHORUS_ENV": tc.env, "CHORUS_RATE": tc.rate}
			if tc.env != "local" {
				for k, v := range real {
					env[k] = v
				}
			}
			c, err := chorus.ConfigFromEnv(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if c.RatePerSecond != tc.want {
				t.Errorf("rate %v, want %v", c.RatePerSecond, tc.want)
			}
		})
	}
}
