// Command chorusbill-lab runs chorusbill's harnesses, apart from the
// product's binary: the bench (the pipeline against asynq's no-op ceiling)
// and the chaos run (a year billed while things go wrong, then checked).
// Their workers are `chorusbill work` processes of the chorusbill binary
// beside this one, or the one named by --chorusbill.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/chorusbill/chorusbill/internal/app"
)

// command is one subcommand: its name, one line of help, and how to run it.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

// cli carries what every subcommand writes to and the configuration.
type cli struct {
	stdout, stderr io.Writer
	cfg            app.Config
	cfgErr         error
}

func commands() []command {
	return []command{
		{"bench", "measure the pipeline against asynq's no-op ceiling", runBench},
		{"chaos", "bill a generated year while killing workers, flushing Redis and failing Chorus Pro, then check", runChaos},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run executes one command line and returns the process exit status: 0 on
// success, 1 when the command failed, 2 on a usage mistake.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{stdout: stdout, stderr: stderr}
	c.cfg, c.cfgErr = app.LoadConfig(getenv)
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		w := stdout
		if len(args) == 0 {
			w = stderr
		}
		fmt.Fprintln(w, "chorusbill-lab — chorusbill's harnesses.\n\nUsage: chorusbill-lab COMMAND [flags]   (chorusbill-lab COMMAND -h for its flags)\n\nCommands:")
		for _, cmd := range commands() {
			fmt.Fprintf(w, "  %-10s %s\n", cmd.name, cmd.summary)
		}
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, cmd := range commands() {
		if cmd.name != args[0] {
			continue
		}
		err := cmd.run(ctx, c, args[1:])
		var ue *usageError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "chorusbill-lab %s: %v\nRun 'chorusbill-lab %s -h' for usage.\n", cmd.name, err, cmd.name)
			return 2
		default:
			fmt.Fprintf(stderr, "chorusbill-lab %s: %v\n", cmd.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "chorusbill-lab: unknown command %q (bench or chaos)\n", args[0])
	return 2
}

// parse parses a subcommand's flags, printing its usage on -h; anything left
// over is a usage mistake.
func (c *cli) parse(fs *flag.FlagSet, synopsis, about string, args []string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(c.stdout, "Usage: chorusbill-lab %s %s\n\n%s\n\nFlags:\n", fs.Name(), synopsis, strings.TrimSpace(about))
			fs.SetOutput(c.stdout)
			fs.PrintDefaults()
			return err
		}
		return &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// chorusbillFlag adds --chorusbill: the binary the workers run as, by
// default the chorusbill beside this one.
func chorusbillFlag(fs *flag.FlagSet) *string {
	def := ""
	if self, err := os.Executable(); err == nil {
		def = filepath.Join(filepath.Dir(self), "chorusbill")
	}
	return fs.String("chorusbill", def, "the chorusbill `BINARY` whose `work` command the workers run (go build -o DIR/chorusbill ./cmd/chorusbill)")
}

// checkBinary says when the workers' binary is missing.
func checkBinary(path string) error {
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return usagef("--chorusbill %q: no chorusbill binary there (go build -o %s ./cmd/chorusbill)", path, path)
	}
	return nil
}
