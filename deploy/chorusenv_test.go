package deploy

import (
	"slices"
	"testing"

	"github.com/chorusbill/chorusbill/internal/app"
)

// CHORUS_ENV has no default (fidelity C-6): every service of the image
// that talks to Chorus Pro says which one in its environment, and the image
// names none, which would make one silently again for whoever forgets it.
func TestComposeNamesChorusPro(t *testing.T) {
	c := readCompose(t)
	// The commands that build a Chorus Pro client, and cli, which runs any.
	talks := []string{"work", "serve", "run", "resubmit", "corrections", "chorus"}
	checked := 0
	for name, s := range c.Services {
		if s.Build == nil {
			continue // not the chorusbill image
		}
		if !oneShot[name] && (len(s.Command) == 0 || !slices.Contains(talks, s.Command[0])) {
			continue
		}
		if name == "migrate" {
			continue // only the books
		}
		checked++
		if env := s.Environment[app.EnvChorusEnv]; env == "" {
			t.Errorf("service %s (%v) does not set %s: it would refuse to start", name, s.Command, app.EnvChorusEnv)
		}
	}
	if checked < 3 {
		t.Errorf("%d services checked: want the worker, the dashboard and cli at least", checked)
	}
	if v, ok := readDockerfile(t).env[app.EnvChorusEnv]; ok {
		t.Errorf("the Dockerfile sets ENV %s=%s: the platform must be named by the deployment, not defaulted by the image", app.EnvChorusEnv, v)
	}
}
