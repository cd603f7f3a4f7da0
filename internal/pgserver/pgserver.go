// Package pgserver starts a PostgreSQL server of the caller's own: a
// cluster initialised in a fresh temp dir, listening on a free port of
// 127.0.0.1 only, with fsync off. Restarting or stopping it touches nothing
// else on the machine, whose own cluster (on 5432) other programs share:
// the chaos run restarts one of these, never that one.
package pgserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Options are what Start makes of the server.
type Options struct {
	// Database is created once the server accepts connections ("" for
	// none: URL then names the server's own "postgres" database).
	Database string
}

// Server is a running PostgreSQL server of this process's own, for the
// superuser postgres without a password (trust). Its methods are not for
// concurrent use.
type Server struct {
	bins     binaries
	own      owner
	dir      string // data/, the socket's directory sock/ and server.log
	port     int
	database string
	stopped  bool
	halted   bool // by Halt, until Resume
}

// Start initialises a cluster in a fresh temp dir, starts it on a free port
// of 127.0.0.1, waits until it accepts connections and creates
// o.Database. It fails with ErrNoBinaries when no initdb and pg_ctl are
// found. The caller stops it with Stop, which removes the directory.
func Start(ctx context.Context, o Options) (*Server, error) {
	bins, err := findBinaries()
	if err != nil {
		return nil, err
	}
	own, err := serverOwner()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "chorusbill-pg-")
	if err != nil {
		return nil, fmt.Errorf("make a directory for a PostgreSQL server: %w", err)
	}
	s := &Server{bins: bins, own: own, dir: dir, database: o.Database}
	if err := s.setUp(ctx); err != nil {
		s.Stop(context.WithoutCancel(ctx)) // whatever was started, and the directory
		return nil, err
	}
	return s, nil
}

func (s *Server) setUp(ctx context.Context) error {
	if err := s.own.chown(s.dir); err != nil {
		return err
	}
	if err := os.Mkdir(s.sockDir(), 0o700); err != nil {
		return fmt.Errorf("make the PostgreSQL server's socket directory: %w", err)
	}
	if err := s.own.chown(s.sockDir()); err != nil {
		return err
	}
	// -N: nothing synced to disk, the cluster is thrown away.
	if err := s.run(ctx, s.bins.initdb, "-D", s.dataDir(), "-U", "postgres", "--auth=trust",
		"--no-locale", "-E", "UTF8", "-N"); err != nil {
		return fmt.Errorf("initialise a PostgreSQL cluster in %s: %w", s.dataDir(), err)
	}
	if err := s.startOnFreePort(ctx); err != nil {
		return err
	}
	if err := s.waitReady(ctx); err != nil {
		return err
	}
	if s.database != "" {
		if err := s.exec(ctx, "CREATE DATABASE "+pgx.Identifier{s.database}.Sanitize()); err != nil {
			return fmt.Errorf("create database %s on the PostgreSQL server at %s: %w", s.database, s.Addr(), err)
		}
	}
	return nil
}

// startOnFreePort starts the server on a port that was free a moment ago,
// trying another when something took it in between.
func (s *Server) startOnFreePort(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("find a free port for a PostgreSQL server: %w", err)
		}
		s.port = port
		logged := s.logSize()
		err = s.pgctl(ctx, "start", "-w", "-t", "60", "-l", s.logPath(), "-o", s.serverOptions())
		if err == nil {
			return nil
		}
		log := s.logSince(logged)
		if attempt == 5 || !strings.Contains(log, "already in use") {
			return fmt.Errorf("start the PostgreSQL server in %s on port %d: %w\n%s", s.dir, port, err, log)
		}
	}
}

// Restart restarts the server (pg_ctl restart, fast shutdown: the
// connections are cut) on the same port and waits until it accepts
// connections again.
func (s *Server) Restart(ctx context.Context) error {
	if s.stopped || s.halted {
		return fmt.Errorf("restart the PostgreSQL server at %s: it was stopped", s.Addr())
	}
	logged := s.logSize()
	if err := s.pgctl(ctx, "restart", "-m", "fast", "-w", "-t", "60", "-l", s.logPath(), "-o", s.serverOptions()); err != nil {
		return fmt.Errorf("restart the PostgreSQL server at %s: %w\n%s", s.Addr(), err, s.logSince(logged))
	}
	return s.waitReady(ctx)
}

// Halt stops the server as a crash would (immediate shutdown: the
// connections are cut, no checkpoint) and keeps its cluster, so that Resume
// starts it again on the same port: a database outage. Restart refuses a
// halted server.
func (s *Server) Halt(ctx context.Context) error {
	if s.stopped {
		return fmt.Errorf("halt the PostgreSQL server at %s: it was stopped", s.Addr())
	}
	if err := s.pgctl(ctx, "stop", "-m", "immediate", "-w", "-t", "30"); err != nil {
		return fmt.Errorf("halt the PostgreSQL server at %s: %w", s.Addr(), err)
	}
	s.halted = true
	return nil
}

// Resume starts a halted server again on its port (crash recovery) and
// waits until it accepts connections.
func (s *Server) Resume(ctx context.Context) error {
	if s.stopped || !s.halted {
		return fmt.Errorf("resume the PostgreSQL server at %s: it was not halted", s.Addr())
	}
	logged := s.logSize()
	if err := s.pgctl(ctx, "start", "-w", "-t", "60", "-l", s.logPath(), "-o", s.serverOptions()); err != nil {
		return fmt.Errorf("start the PostgreSQL server at %s again: %w\n%s", s.Addr(), err, s.logSince(logged))
	}
	s.halted = false
	return s.waitReady(ctx)
}

// Stop stops the server (fast, else immediate shutdown) and removes its
// directory; ctx bounds the wait (give a live one in a deferred Stop:
// context.WithoutCancel). A server that will not stop keeps its directory,
// which the error names. Stop again does nothing.
func (s *Server) Stop(ctx context.Context) error {
	if s.stopped {
		return nil
	}
	s.stopped = true
	if _, err := os.Stat(filepath.Join(s.dataDir(), "postmaster.pid")); err == nil {
		fast := s.pgctl(ctx, "stop", "-m", "fast", "-w", "-t", "60")
		if fast != nil {
			if err := s.pgctl(ctx, "stop", "-m", "immediate", "-w", "-t", "30"); err != nil {
				return fmt.Errorf("stop the PostgreSQL server at %s (its directory %s is left): %w", s.Addr(), s.dir, errors.Join(fast, err))
			}
		}
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("remove the PostgreSQL server's directory: %w", err)
	}
	return nil
}

// Addr is where the server listens: 127.0.0.1:PORT.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL names Options.Database (else "postgres") on the server, as the
// superuser postgres.
func (s *Server) URL() string {
	db := s.database
	if db == "" {
		db = "postgres"
	}
	return "postgres://postgres@" + s.Addr() + "/" + url.PathEscape(db) + "?sslmode=disable"
}

// Dir is the server's directory (its cluster in data/, its log in
// server.log), removed by Stop.
func (s *Server) Dir() string { return s.dir }

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }
func (s *Server) sockDir() string { return filepath.Join(s.dir, "sock") }
func (s *Server) logPath() string { return filepath.Join(s.dir, "server.log") }

// serverOptions are the postgres flags, given again on restart: its own
// port and socket directory (not the machine's /var/run/postgresql), TCP on
// 127.0.0.1 only, no fsync (nothing here outlives the run).
func (s *Server) serverOptions() string {
	return fmt.Sprintf("-p %d -k '%s' -c listen_addresses=127.0.0.1 -c fsync=off", s.port, s.sockDir())
}

// pgctl runs pg_ctl on the server's cluster.
func (s *Server) pgctl(ctx context.Context, args ...string) error {
	return s.run(ctx, s.bins.pgctl, append([]string{"-D", s.dataDir()}, args...)...)
}

// run runs one of the PostgreSQL binaries as the server's owner, from the
// server's directory (one the owner may read), without the caller's PG*
// variables. pg_ctl is always given -l: the server it starts then holds no
// pipe of ours open.
func (s *Server) run(ctx context.Context, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = s.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	s.own.apply(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// waitReady waits until the server accepts connections, for at most 30 s.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var err error
	for {
		if err = s.exec(ctx, "SELECT 1"); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("PostgreSQL server at %s does not accept connections: %w", s.Addr(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// exec runs one statement in the server's postgres database.
func (s *Server) exec(ctx context.Context, stmt string) error {
	db, err := sql.Open("pgx", "postgres://postgres@"+s.Addr()+"/postgres?sslmode=disable&connect_timeout=5")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

func (s *Server) logSize() int64 {
	st, err := os.Stat(s.logPath())
	if err != nil {
		return 0
	}
	return st.Size()
}

// logSince is what the server logged from offset on (its last 4 KB), for
// an error to show.
func (s *Server) logSince(offset int64) string {
	f, err := os.Open(s.logPath())
	if err != nil {
		return ""
	}
	defer f.Close()
	if size := s.logSize(); size-offset > 4096 {
		offset = size - 4096
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	return strings.TrimSpace(string(b))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
