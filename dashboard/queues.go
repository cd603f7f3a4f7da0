package dashboard

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"

	"github.com/chorusbill/chorusbill/store"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// queueConsoles builds the queue console twice: read-only for viewers,
// with actions for operators.
func (s *Server) queueConsoles() (viewer, operator http.Handler) {
	mk := func(readOnly bool) *asynqmon.HTTPHandler {
		h := asynqmon.New(asynqmon.Options{RootPath: "/queues", RedisConnOpt: s.cfg.Redis, ReadOnly: readOnly,
			PayloadFormatter: asynqmon.PayloadFormatterFunc(redactPayload),
			ResultFormatter:  asynqmon.ResultFormatterFunc(func(string, []byte) string { return "[masqué]" })})
		s.closers = append(s.closers, h.Close)
		return h
	}
	return mk(true), mk(false)
}

// redactPayload is what the console shows of a task's data, its payload
// and its last error message alike: the ids and numbers of a JSON object,
// never its strings, and nothing of anything else but its size. Payloads
// carry ids only today, and errors may quote a token, a URL with its
// secret or a name: the console must not become a way to read them (the
// workers' logs keep the errors whole, for those who may read them).
func redactPayload(_ string, payload []byte) string {
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		return fmt.Sprintf("[masqué : %d octets]", len(payload))
	}
	for k, v := range m {
		switch v.(type) {
		case float64, bool, nil:
		default:
			if k != "kind" && k != "issue_date" {
				m[k] = "***"
			}
		}
	}
	out, _ := json.Marshal(m)
	return string(out)
}

// queueConsole serves the console of the user's role. An operator's action
// in it is written to the audit trail first. Its page has inline scripts
// (asynqmon's index): they are allowed by their hashes, computed from the
// page served, never by 'unsafe-inline'; its styles are injected at run
// time, so style-src has to allow inline styles there.
func (s *Server) queueConsole(viewer, operator http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := userFrom(r.Context())
		h := viewer
		if p.Operator() {
			h = operator
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				if err := s.books.RecordAudit(r.Context(), store.AuditEvent{Actor: p.Actor(), Entity: "queue", Action: "queue " + r.Method,
					Reason: r.URL.Path}); err != nil {
					s.serverError(w, r, err)
					return
				}
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if strings.HasPrefix(r.URL.Path, "/queues/api/") {
			body = redactErrorMessages(body)
			rec.Header().Del("Content-Length")
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			body = withBackLink(body)
			w.Header().Del("Content-Length")
		}
		csp := "default-src 'none'; script-src 'self'" + scriptHashes(body) + "; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
			"connect-src 'self'; font-src 'self' data:; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
		w.Header().Set("Content-Security-Policy", csp)
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// redactErrorMessages passes the tasks' error messages in an answer of the
// console's JSON API through redactPayload: asynqmon has formatters for
// payloads and results, none for errors ("error_message", in every list
// of tasks and in a task's page). An answer that is not JSON (an error
// said in text) is left as it is.
func redactErrorMessages(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // ids and counts kept to the digit
	var v any
	if err := dec.Decode(&v); err != nil {
		return body
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if msg, ok := e.(string); ok && k == "error_message" && msg != "" {
					x[k] = redactPayload("", []byte(msg))
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return append(out, '\n')
}

// backLink leads from the console (asynqmon's page, which knows nothing of
// the dashboard) back to it: fixed in a corner, over the console's own bar,
// styled inline (the console's policy allows inline styles, not scripts).
const backLink = `<nav aria-label="Tableau de bord" lang="fr" style="position:fixed;right:1rem;bottom:1rem;z-index:2147483647">` +
	`<a href="/" style="display:inline-block;padding:.5rem .9rem;border-radius:4px;background:#142c50;color:#fff;` +
	`font:600 14px/1.4 system-ui,sans-serif;text-decoration:underline">← Retour au tableau de bord</a></nav>`

// withBackLink puts backLink at the start of the page's body.
func withBackLink(page []byte) []byte {
	i := bytes.Index(page, []byte("<body"))
	if i < 0 {
		return page
	}
	end := bytes.IndexByte(page[i:], '>')
	if end < 0 {
		return page
	}
	at := i + end + 1
	return slices.Concat(page[:at:at], []byte(backLink), page[at:])
}

var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

func scriptHashes(body []byte) string {
	if !bytes.Contains(body, []byte("<script>")) {
		return ""
	}
	var b strings.Builder
	for _, m := range inlineScript.FindAllSubmatch(body, -1) {
		sum := sha256.Sum256(m[1])
		b.WriteString(" 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'")
	}
	return b.String()
}

// queueHealth is one queue's line on the overview.
type queueHealth struct {
	Name                                        string
	Pending, Active, Scheduled, Retry, Archived int
	Paused                                      bool
	Latency                                     string
	Failed                                      int
}

func (s *Server) queueHealth() ([]queueHealth, error) {
	if s.cfg.Inspector == nil {
		return nil, nil
	}
	names, err := s.cfg.Inspector.Queues()
	if err != nil {
		return nil, err
	}
	var out []queueHealth
	for _, n := range names {
		info, err := s.cfg.Inspector.GetQueueInfo(n)
		if err != nil {
			return nil, err
		}
		out = append(out, queueHealthOf(info))
	}
	return out, nil
}

func queueHealthOf(q *asynq.QueueInfo) queueHealth {
	return queueHealth{Name: q.Queue, Pending: q.Pending, Active: q.Active, Scheduled: q.Scheduled, Retry: q.Retry,
		Archived: q.Archived, Paused: q.Paused, Latency: frenchDuration(q.Latency), Failed: q.Failed}
}
