package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// Admin endpoints, not part of Chorus Pro. They are served under /_sandbox/
// only when Config.Admin is set, answer JSON, and are never subject to
// fault injection:
//
//	GET  /_sandbox/deposits                 every deposited flow ([]Deposit)
//	GET  /_sandbox/invoices                 every invoice ([]Invoice)
//	GET  /_sandbox/clock                    {"now": business clock}
//	POST /_sandbox/clock/advance            {"duration": "10d"} → {"now": …}
//	GET  /_sandbox/buyers/{siret}           the buyer (Buyer)
//	POST /_sandbox/buyers/{siret}/behaviour a Behaviour for its next invoices
//	GET  /_sandbox/faults                   the faults in effect (Faults)
//	POST /_sandbox/faults                   replace them (Faults)
//	GET  /_sandbox/quirks                   the quirks in effect (Quirks)
//	POST /_sandbox/quirks                   replace them (Quirks; {} turns them all off)
//	GET  /_sandbox/calls                    calls received (CallCounts):
//	                                        {"calls": {"/cpro/...": n}, "token": n, "total": n}
//	POST /_sandbox/calls/reset              set the call counts back to zero
//	POST /_sandbox/reset                    forget everything (see Reset)
//
// Errors are {"error": "..."} with 400 (bad input) or 404 (unknown buyer).
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sandbox/deposits", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Deposits())
	})
	mux.HandleFunc("GET /_sandbox/invoices", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Invoices())
	})
	mux.HandleFunc("GET /_sandbox/clock", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, clockView{Now: s.Now()})
	})
	mux.HandleFunc("POST /_sandbox/clock/advance", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Duration Duration `json:"duration"`
		}
		if !readAdmin(w, r, &req) {
			return
		}
		if err := s.Advance(time.Duration(req.Duration)); err != nil {
			writeJSON(w, http.StatusBadRequest, adminError{err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, clockView{Now: s.Now()})
	})
	mux.HandleFunc("GET /_sandbox/buyers/{siret}", func(w http.ResponseWriter, r *http.Request) {
		b, ok := s.Buyer(r.PathValue("siret"))
		if !ok {
			writeJSON(w, http.StatusNotFound, adminError{"not on Chorus Pro: " + r.PathValue("siret")})
			return
		}
		writeJSON(w, http.StatusOK, b)
	})
	mux.HandleFunc("POST /_sandbox/buyers/{siret}/behaviour", func(w http.ResponseWriter, r *http.Request) {
		var b Behaviour
		if !readAdmin(w, r, &b) {
			return
		}
		siret := r.PathValue("siret")
		if _, ok := s.Buyer(siret); !ok {
			writeJSON(w, http.StatusNotFound, adminError{"not on Chorus Pro: " + siret})
			return
		}
		if err := s.SetBehaviour(siret, b); err != nil {
			writeJSON(w, http.StatusBadRequest, adminError{err.Error()})
			return
		}
		nb, _ := s.Buyer(siret)
		writeJSON(w, http.StatusOK, nb)
	})
	mux.HandleFunc("GET /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("POST /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if !readAdmin(w, r, &f) {
			return
		}
		if err := s.SetFaults(f); err != nil {
			writeJSON(w, http.StatusBadRequest, adminError{err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("GET /_sandbox/quirks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Quirks())
	})
	mux.HandleFunc("POST /_sandbox/quirks", func(w http.ResponseWriter, r *http.Request) {
		var q Quirks
		if !readAdmin(w, r, &q) {
			return
		}
		if err := s.SetQuirks(q); err != nil {
			writeJSON(w, http.StatusBadRequest, adminError{err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, s.Quirks())
	})
	mux.HandleFunc("GET /_sandbox/calls", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Calls())
	})
	mux.HandleFunc("POST /_sandbox/calls/reset", func(w http.ResponseWriter, r *http.Request) {
		s.ResetCalls()
		writeJSON(w, http.StatusOK, s.Calls())
	})
	mux.HandleFunc("POST /_sandbox/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		writeJSON(w, http.StatusOK, struct {
			Reset bool `json:"reset"`
		}{true})
	})
	mux.HandleFunc("/_sandbox/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, adminError{"unknown admin endpoint " + r.Method + " " + r.URL.Path})
	})
	return mux
}

type clockView struct {
	Now time.Time `json:"now"`
}

type adminError struct {
	Error string `json:"error"`
}

// readAdmin decodes a JSON admin body (unknown fields refused), answering
// 400 itself on error.
func readAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && err != io.EOF {
		writeJSON(w, http.StatusBadRequest, adminError{"bad JSON body: " + err.Error()})
		return false
	}
	return true
}
