package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"github.com/chorusbill/chorusbill/dashboard"
	"github.com/chorusbill/chorusbill/store"
	"golang.org/x/term"
)

const usersAbout = `Manages the dashboard's local users:

  chorusbill users add NAME [--role viewer|operator]   create a user (role viewer by default)
  chorusbill users passwd NAME                          set a new password (ends the user's sessions)
  chorusbill users disable NAME                         disable a user for good (ends the sessions)
  chorusbill users list                                 list the users

The password is read from standard input (first line), or asked twice on the
terminal without echo; never from the command line. At least 12 characters.
Passwords are kept as argon2id hashes. Each change is in the audit trail.`

func runUsers(ctx context.Context, c *cli, args []string) error {
	return runUsersWith(ctx, c, args, os.Stdin)
}

// runUsersWith is runUsers reading passwords from in.
func runUsersWith(ctx context.Context, c *cli, args []string, in io.Reader) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(c.stdout, "Usage: chorusbill users add|passwd|disable|list [NAME] [flags]\n\n%s\n", usersAbout)
		if len(args) == 0 {
			return usagef("a subcommand is required: add, passwd, disable or list")
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "add", "passwd", "disable", "list":
	default:
		return usagef("unknown subcommand %q: want add, passwd, disable or list", sub)
	}
	var name string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name, rest = rest[0], rest[1:]
	}
	fs := c.newFlagSet("users "+sub, "NAME", usersAbout)
	role := fs.String("role", store.RoleViewer, "viewer (reads) or operator (also acts)")
	if err := parse(fs, rest); err != nil {
		return err
	}
	if sub != "list" && name == "" {
		return usagef("the user NAME is required")
	}
	if sub != "list" {
		if err := store.ValidUsername(name); err != nil {
			return &usageError{err.Error()}
		}
	}
	actor := "cli"
	if u, err := user.Current(); err == nil {
		actor = "cli:" + u.Username
	}
	books, err := c.openBooks(ctx)
	if err != nil {
		return err
	}
	defer books.Close()
	switch sub {
	case "add":
		if err := store.ValidRole(*role); err != nil {
			return &usageError{err.Error()}
		}
		if _, err := books.UserByName(ctx, name); err == nil {
			return fmt.Errorf("user %s already exists (chorusbill users passwd %s to change its password)", name, name)
		}
		hash, err := readNewPassword(c, in)
		if err != nil {
			return err
		}
		if _, err := books.CreateUser(ctx, name, hash, *role, actor); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "user %s created (%s)\n", name, *role)
	case "passwd":
		if _, err := books.UserByName(ctx, name); err != nil {
			return err
		}
		hash, err := readNewPassword(c, in)
		if err != nil {
			return err
		}
		if err := books.SetPassword(ctx, name, hash, actor); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "password of %s changed; its sessions are ended\n", name)
	case "disable":
		if err := books.DisableUser(ctx, name, actor); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "user %s disabled; its sessions are ended\n", name)
	case "list":
		list, err := books.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "USER\tROLE\tSTATE\tCREATED")
		for _, u := range list {
			st := "active"
			if u.Disabled {
				st = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Role, st, frenchDate(u.CreatedAt))
		}
		tw.Flush()
	default:
		return usagef("unknown users subcommand %q: want add, passwd, disable or list", sub)
	}
	return nil
}

// readNewPassword reads a password, on a terminal twice without echo,
// otherwise the first line of in; checks its strength and hashes it.
func readNewPassword(c *cli, in io.Reader) (string, error) {
	var pw string
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(c.stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		pw = string(a)
	} else {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from standard input: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if err := dashboard.CheckPasswordStrength(pw); err != nil {
		return "", errors.New("password too short: at least 12 characters")
	}
	return dashboard.HashPassword(pw)
}
