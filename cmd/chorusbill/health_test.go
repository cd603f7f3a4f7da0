package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database: ok\nredis: unreachable\n"))
	})
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.Handle("/moved", http.RedirectHandler("/ok", http.StatusSeeOther))
	slow := make(chan struct{})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-slow:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux) // on 127.0.0.1
	defer srv.Close()
	defer close(slow)
	// A port where nothing listens: taken, then released.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/readyz"
	ln.Close()

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout when code is 0, in stderr otherwise
	}{
		{"200", []string{srv.URL + "/ok"}, 0, srv.URL + "/ok: 200 OK"},
		{"204", []string{srv.URL + "/empty"}, 0, "204 No Content"},
		{"503 names the URL, the status and what the probe said", []string{srv.URL + "/down"}, 1,
			srv.URL + "/down answered 503 Service Unavailable: database: ok redis: unreachable"},
		{"418", []string{srv.URL + "/teapot"}, 1, srv.URL + "/teapot answered 418 I'm a teapot"},
		{"a redirect is not followed", []string{srv.URL + "/moved"}, 1, "answered 303 See Other"},
		{"timeout", []string{"--timeout", "100ms", srv.URL + "/slow"}, 1, "ask " + srv.URL + "/slow: no answer within 100ms"},
		{"nothing listens", []string{closed}, 1, "ask " + closed + ":"},
		{"no URL", nil, 2, "say which URL to ask"},
		{"not http", []string{"ftp://127.0.0.1/x"}, 2, `"ftp://127.0.0.1/x" is not an http:// or https:// URL`},
		{"bad timeout", []string{"--timeout", "0s", srv.URL + "/ok"}, 2, "--timeout must be positive"},
		{"two URLs", []string{srv.URL + "/ok", srv.URL + "/ok"}, 2, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, nil, append([]string{"health"}, tc.args...)...)
			got := errOut
			if tc.code == 0 {
				got = out
			}
			if code != tc.code || !strings.Contains(got, tc.want) {
				t.Errorf("exit %d, want %d; stdout %q, stderr %q; want %q", code, tc.code, out, errOut, tc.want)
			}
		})
	}
}
