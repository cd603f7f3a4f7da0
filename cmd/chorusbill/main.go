// Command chorusbill bills the yearly contributions of the establishments
// that sign Mégalis Bretagne's access convention and delivers the invoices
// through Chorus Pro. Run "chorusbill help" for its subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/redis/go-redis/v9"
)

// env reads configuration; tests pass a map instead of the process environment.
type env func(string) string

// command is one subcommand: its name, one line of help, and how to run it.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

// cli carries what every subcommand writes to and reads from.
type cli struct {
	stdout, stderr io.Writer
	getenv         env
	// cfg is the configuration, read from getenv once, by the first
	// command that needs it (so that help works whatever the
	// environment); cfgErr says why it is invalid.
	cfg    *app.Config
	cfgErr error
}

func commands() []command {
	return []command{
		{"demo", "the whole pipeline on the sample, with nothing installed (embedded Redis, SQLite, sandbox)", runDemo},
		{"quote", "compute the contribution or the usage overage of one establishment for a year", runQuote},
		{"interest", "compute the late-payment interest of an invoice paid late", runInterest},
		{"migrate", "create or upgrade the database schema ($CHORUSBILL_DATABASE_URL)", runMigrate},
		{"import", "load establishments, usage, buyer references or payments from CSV", runImport},
		{"invoices", "list the invoices in the books, or show one", runInvoices},
		{"fixtures", "write the sample data, or generate a large set for benchmarks", runFixtures},
		{"sandbox", "serve a local Chorus Pro (for the demo and the tests)", runSandbox},
		{"work", "run a worker: issue, deliver and track invoices, and the scheduler", runWork},
		{"run", "ask for a yearly billing run (contributions or overage), optionally wait for it", runRun},
		{"corrections", "list the corrections to confirm (facts changed after invoicing), confirm or dismiss one", runCorrections},
		{"resubmit", "deliver again, replace, recycle or complete (with files) an invoice the finance team fixed", runResubmit},
		{"serve", "serve the finance dashboard (runs, work lists, invoices, queue console)", runServe},
		{"users", "manage the dashboard's users: add, passwd, disable, list", runUsers},
		{"health", "ask a URL and succeed on 2xx: the containers' healthcheck (the image has no curl)", runHealth},
		{"chorus", "talk to the configured Chorus Pro: check runs the qualification probes", runChorus},
	}
}

func main() {
	// go-redis logs each failed dial of its pool itself, with no way to
	// say so per client: the worker says once that Redis is unreachable
	// (worker.redisWatch), and these lines would repeat it many times.
	redis.SetLogger(quietRedisLog{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// quietRedisLog drops go-redis's own log lines (failed dials, mostly),
// which the commands report through their errors instead.
type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run executes one command line and returns the process exit status: 0 on
// success, 1 when the command failed, 2 on a usage mistake.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	c := &cli{stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run(ctx, []string{args[1], "-h"}, stdout, stderr, getenv)
		}
		c.help(stdout)
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
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "chorusbill %s: %v\nRun 'chorusbill %s -h' for usage.\n", cmd.name, err, cmd.name)
			return 2
		default:
			fmt.Fprintf(stderr, "chorusbill %s: %v\n", cmd.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "chorusbill: unknown command %q\n", args[0])
	c.help(stderr)
	return 2
}

func (c *cli) help(w io.Writer) {
	fmt.Fprintln(w, "chorusbill — yearly contributions of the Mégalis Bretagne convention, billed through Chorus Pro.")
	fmt.Fprintln(w, "\nUsage: chorusbill COMMAND [flags]   (chorusbill COMMAND -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, cmd := range cmds {
		fmt.Fprintf(w, "  %-11s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintf(w, "  %-11s %s\n", "help", "list the commands, or show one: chorusbill help COMMAND")
	fmt.Fprintln(w, "\nEnvironment:")
	for _, v := range app.Variables() {
		if len(v[0]) > 28 {
			fmt.Fprintf(w, "  %s\n  %-28s %s\n", v[0], "", v[1])
			continue
		}
		fmt.Fprintf(w, "  %-28s %s\n", v[0], v[1])
	}
}

// newFlagSet makes a subcommand's flag set that reports errors to the caller
// rather than exiting, with a usage text listing its flags.
func (c *cli) newFlagSet(name, synopsis, about string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError)}
	// The flag package would print the whole usage on every mistake; we
	// print one line for a mistake and the usage only when asked (-h).
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.help = func() {
		fmt.Fprintf(c.stdout, "Usage: chorusbill %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(about))
		fs.SetOutput(c.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// flagSet is a subcommand's flags and its help text.
type flagSet struct {
	*flag.FlagSet
	help func()
}

// parse parses flags; anything left over is a usage mistake.
func parse(fs *flagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.help()
			return err
		}
		return &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// parseWithArg parses a command whose one argument comes first, before its
// flags (chorusbill resubmit CT2026-000013 --reason …); missing says what
// is required when it was not given.
func parseWithArg(fs *flagSet, args []string, missing string) (string, error) {
	var arg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		arg, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if arg == "" {
		return "", usagef("%s", missing)
	}
	return arg, nil
}

// isSet reports whether a flag was given on the command line.
func isSet(fs *flagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
