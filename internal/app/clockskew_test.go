package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// CHORUSBILL_CLOCK_SKEW is a Go duration, either sign; anything else names
// the variable.
func TestClockSkewSetting(t *testing.T) {
	for _, tt := range []struct {
		value   string
		want    time.Duration
		wantErr bool
	}{
		{"", 0, false}, {"90s", 90 * time.Second, false}, {"+90s", 90 * time.Second, false},
		{"-90s", -90 * time.Second, false}, {" -1m30s ", -90 * time.Second, false},
		{"90", 0, true}, {"soon", 0, true},
	} {
		c, err := LoadConfig(func(k string) string { return map[string]string{EnvClockSkew: tt.value}[k] })
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), EnvClockSkew) {
				t.Errorf("%q: err = %v, want one naming %s", tt.value, err, EnvClockSkew)
			}
			continue
		}
		if err != nil || c.ClockSkew != tt.want {
			t.Errorf("%q: skew %s, %v; want %s", tt.value, c.ClockSkew, err, tt.want)
		}
	}
}

// The pipeline's clock (Stack.Now, which NewStack gives the pipeline) is
// the base clock shifted by the skew; without a skew it is the base clock.
func TestStackClockIsSkewed(t *testing.T) {
	base := time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)
	for _, skew := range []time.Duration{0, 90 * time.Second, -90 * time.Second} {
		c, err := LoadConfig(func(k string) string {
			return map[string]string{EnvDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "books.db"), EnvClockSkew: skew.String()}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewStack(context.Background(), c, StackOptions{RedisURL: "redis://127.0.0.1:1/0", Now: func() time.Time { return base },
			Chorus: &chorus.Config{Env: chorus.Local, BaseURL: "http://127.0.0.1:1", TokenURL: "http://127.0.0.1:1" + chorus.PathToken,
				ClientID: "a", ClientSecret: "b", TechLogin: "c", TechPassword: "d"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Now(); !got.Equal(base.Add(skew)) {
			t.Errorf("skew %s: the pipeline's clock reads %s, want %s", skew, got, base.Add(skew))
		}
		s.Close()
	}
	// Without a base, the machine's clock, shifted.
	c := Config{ClockSkew: -time.Hour}
	if d := time.Since(c.Clock(nil)()); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("an hour behind reads %s behind", d)
	}
}
