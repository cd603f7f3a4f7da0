// Package redisserver runs a redis-server of the caller's own: on a free
// port of 127.0.0.1, keeping nothing on disk (no RDB snapshot, no append-only
// file), so that it starts empty every time. Killing or restarting it
// touches nothing else on the machine, whose own Redis (on 6379) other
// programs share: the chaos run restarts one of these, never that one, and
// the tests' internal/redistest wraps it.
package redisserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// ErrNoBinary is Start's error when redis-server is not on the PATH.
var ErrNoBinary = errors.New("redis-server not found on the PATH (`make services` installs it)")

// Server is a running redis-server of this process's own. Its methods are
// not for concurrent use.
type Server struct {
	// Addr is "127.0.0.1:PORT", the same after a Restart.
	Addr string
	bin  string
	port int
	dir  string
	own  bool // dir was made by Start and is removed by Stop
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs a redis-server on a free port of 127.0.0.1, its working
// directory dir ("" for a fresh temp dir, removed by Stop), and waits until
// it answers PING. The caller stops it with Stop.
func Start(dir string) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNoBinary
	}
	s := &Server{bin: bin, dir: dir}
	if dir == "" {
		if s.dir, err = os.MkdirTemp("", "chorusbill-redis-"); err != nil {
			return nil, fmt.Errorf("make a directory for redis-server: %w", err)
		}
		s.own = true
	}
	// A port free a moment ago may be taken in between: try another.
	for attempt := 0; attempt < 5; attempt++ {
		if s.port, err = freePort(); err != nil {
			s.Stop()
			return nil, fmt.Errorf("find a free port for redis-server: %w", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if err = s.start(); err == nil {
			return s, nil
		}
	}
	s.Stop()
	return nil, fmt.Errorf("redis-server did not start on any of 5 free ports: %w", err)
}

// URL is the server's DB 0 as a redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Kill kills the server (SIGKILL, as in a crash) and waits for it to exit:
// its data is lost, it keeps nothing on disk. Kill again does nothing.
func (s *Server) Kill() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		<-s.done
		s.cmd = nil
	}
}

// Restart kills the server if it runs, then starts it again on its
// address, empty.
func (s *Server) Restart() error {
	s.Kill()
	if err := s.start(); err != nil {
		return fmt.Errorf("start redis-server again on %s: %w", s.Addr, err)
	}
	return nil
}

// Stop kills the server and removes the directory Start made.
func (s *Server) Stop() {
	s.Kill()
	if s.own {
		os.RemoveAll(s.dir)
		s.own = false
	}
}

// start runs redis-server on s.port; --save "" and --appendonly no keep
// nothing on disk, so that every start is empty.
func (s *Server) start() error {
	cmd := exec.Command(s.bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(s.port),
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	if waitReady(s.Addr, done) {
		s.cmd, s.done = cmd, done
		return nil
	}
	cmd.Process.Kill()
	<-done
	return fmt.Errorf("redis-server on %s did not answer PING (its port may have been taken)", s.Addr)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until the server answers PING, for at most 10 s, or
// until it exits.
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
