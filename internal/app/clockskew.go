package app

import (
	"fmt"
	"strings"
	"time"
)

// EnvClockSkew shifts a process's clock by a Go duration (e.g. 90s, -90s):
// for tests and the chaos run, which give workers clocks that differ as
// machines' clocks do. Never set it in production: the books date
// invoices and payments by it.
const EnvClockSkew = "CHORUSBILL_CLOCK_SKEW"

// clockSkew reads EnvClockSkew (0 when unset); a negative duration is a
// clock behind.
func clockSkew(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv(EnvClockSkew))
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a duration (e.g. 90s or -90s)", EnvClockSkew, v)
	}
	return d, nil
}

// Clock is base (nil: the machine's clock) shifted by the configured
// ClockSkew: the civil clock of the pipeline (issue dates, due dates,
// tracking, payments) of a worker whose clock is off.
func (c Config) Clock(base func() time.Time) func() time.Time {
	if base == nil {
		base = time.Now
	}
	if c.ClockSkew == 0 {
		return base
	}
	skew := c.ClockSkew
	return func() time.Time { return base().Add(skew) }
}
