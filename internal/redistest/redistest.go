// Package redistest gives a test its own redis-server: on a free port of
// 127.0.0.1, keeping nothing on disk, stopped when the test ends. Tests
// that flush or fill Redis use it so that they never touch a Redis that
// something else on the machine uses (the machine's own, on 6379, is shared).
package redistest

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
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
	bin  string
	port int
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

// StartServer runs a private redis-server for the test, stopped when the
// test ends.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found (run `make services`, which installs it): %v", err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(s.Stop)
	for attempt := 0; attempt < 5; attempt++ {
		if s.port, err = freePort(); err != nil {
			t.Fatalf("find a free port for redis-server: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if s.start() {
			return s
		}
		// the port was taken in between: try another
	}
	t.Fatal("redis-server did not start on any of 5 free ports")
	return nil
}

// Stop kills the server (its data is lost: it keeps nothing on disk).
func (s *Server) Stop() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		<-s.done
		s.cmd = nil
	}
}

// Restart starts the stopped server again on its address, empty.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if !s.start() {
		s.t.Fatalf("redis-server did not start again on %s", s.Addr)
	}
}

func (s *Server) start() bool {
	cmd := exec.Command(s.bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(s.port),
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	if waitReady(s.Addr, done) {
		s.cmd, s.done = cmd, done
		return true
	}
	cmd.Process.Kill()
	<-done
	return false
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until the server answers PING, for at most 10 s.
func waitReady(addr string, exited <-chan struct{}) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.SetDeadline(time.Now().Add(time.Second))
			fmt.Fprint(c, "PING\r\n")
			buf := make([]byte, 7)
			n, _ := c.Read(buf)
			c.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
