// Package redistest gives a test its own redis-server: on a free port of
// 127.0.0.1, keeping nothing on disk, stopped when the test ends. Tests
// that flush or fill Redis use it so that they never touch a Redis that
// something else on the machine uses (the machine's own, on 6379, is shared).
// The server itself is internal/redisserver's.
package redistest

import (
	"testing"

	"github.com/chorusbill/chorusbill/internal/redisserver"
)

// Start runs a private redis-server for the test and returns its address
// ("127.0.0.1:PORT"). redis-server must be on the PATH (scripts/services
// installs it); without it the test fails, saying so.
func Start(t testing.TB) string {
	t.Helper()
	return StartServer(t).Addr
}

// Server is a private redis-server that a test may stop and start again on
// the same address (Redis going away under a worker).
type Server struct {
	// Addr is "127.0.0.1:PORT".
	Addr string
	t    testing.TB
	srv  *redisserver.Server
}

// StartServer runs a private redis-server for the test, stopped when the
// test ends.
func StartServer(t testing.TB) *Server {
	t.Helper()
	srv, err := redisserver.Start(t.TempDir())
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(srv.Stop)
	return &Server{Addr: srv.Addr, t: t, srv: srv}
}

// Stop kills the server (its data is lost: it keeps nothing on disk).
func (s *Server) Stop() { s.srv.Kill() }

// Restart starts the stopped server again on its address, empty.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.srv.Restart(); err != nil {
		s.t.Fatalf("%v", err)
	}
}
