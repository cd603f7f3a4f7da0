package dashboard

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// opPaths are the paths of the operators' actions, as routes() registers
// them: a pattern's wildcards match one segment.
func opPaths(t *testing.T, s *Server) []*regexp.Regexp {
	t.Helper()
	if len(s.opRoutes) < 5 {
		t.Fatalf("routes() registered %d operator actions: %v", len(s.opRoutes), s.opRoutes)
	}
	var out []*regexp.Regexp
	for _, p := range s.opRoutes {
		_, path, _ := strings.Cut(p, " ")
		re := regexp.QuoteMeta(path)
		re = regexp.MustCompile(`\\\{[^/]*\\\}`).ReplaceAllString(re, `[^/]+`)
		out = append(out, regexp.MustCompile("^"+re+"$"))
	}
	return out
}

var linkOrForm = regexp.MustCompile(`(?:href|action|formaction)="([^"]*)"`)

// opTargets lists the links and form actions of a page that lead to an
// operator's action (a link to the confirmation page of one counts: its
// path is the action's).
func opTargets(body string, ops []*regexp.Regexp) []string {
	var out []string
	for _, m := range linkOrForm.FindAllStringSubmatch(body, -1) {
		target := html.UnescapeString(m[1])
		if i := strings.IndexAny(target, "?#"); i >= 0 {
			target = target[:i]
		}
		for _, op := range ops {
			if op.MatchString(target) {
				out = append(out, m[1])
				break
			}
		}
	}
	return out
}

func TestViewersSeeNoOperatorAction(t *testing.T) {
	e := newEnv(t)
	ops := opPaths(t, e.srv)
	const reserved = "réservée aux opérateurs"
	for _, tc := range []struct {
		path string
		// acts: the operator is shown an action there; note: the viewer is
		// told why there is none.
		acts, note bool
	}{
		{"/", false, false},
		{"/a-completer", false, false},
		{"/rejets", true, false},
		{"/suspendues", true, false},
		{"/a-verifier", true, false},
		{"/courrier", true, true},
		{"/retards", false, false},
		{"/corrections", true, false},
		{"/recherche?q=Plougastel", false, false},
		{"/etablissements/21299951000010", false, false},
		{"/factures/" + e.awaiting, true, true},
		{"/factures/" + e.rejected, true, true},
		{"/factures/" + e.platformRejected, true, true},
		{"/factures/" + e.suspended, true, true},
		{"/factures/" + e.postal, true, false},
		{"/factures/" + e.overdue, true, false},
		{"/factures/" + e.rejected + "/resoumettre", true, true},
		{"/factures/" + e.suspended + "/resoumettre", true, true},
	} {
		t.Run(tc.path, func(t *testing.T) {
			viewer := e.do("GET", tc.path, e.viewer, nil)
			operator := e.do("GET", tc.path, e.operator, nil)
			if viewer.Code != http.StatusOK || operator.Code != http.StatusOK {
				t.Fatalf("status %d for the viewer, %d for the operator", viewer.Code, operator.Code)
			}
			if got := opTargets(viewer.Body.String(), ops); len(got) > 0 {
				t.Errorf("the viewer is shown operators' actions: %v", got)
			}
			if got := opTargets(operator.Body.String(), ops); tc.acts != (len(got) > 0) {
				t.Errorf("the operator is shown %v, want actions: %v", got, tc.acts)
			}
			if got := strings.Contains(viewer.Body.String(), reserved); got != tc.note {
				t.Errorf("the viewer is told %q: %v, want %v", reserved, got, tc.note)
			}
			if strings.Contains(operator.Body.String(), reserved) {
				t.Errorf("the operator is told %q", reserved)
			}
		})
	}
}
