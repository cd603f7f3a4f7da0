package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/document"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/worker"
)

const resubmitAbout = `Acts on an invoice the finance team fixed: missing references or a flow
Chorus Pro rejected or asks to have again → the same invoice is delivered
again; to verify on Chorus Pro (A_VERIFIER: no search finds it; look on the
portal first, see chorusbill invoices list --to-verify) → deposited again;
rejected by the buyer → a credit note cancels it and a new invoice replaces
it; A_RECYCLER → recycled to the service the buyer asks for, given with
--service CODE (else the books' code service for the year; never an empty
one); SUSPENDUE → completed,
with --reason as the comment to the buyer and the files given by --attach
(each under 10 MB, its name at most 50 characters with an extension Chorus
Pro accepts: pdf, jpg, png, odt, docx, xlsx, csv, xml, zip…).`

func runResubmit(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("resubmit", "NUMBER [--reason TEXT] [--service CODE] [--attach FILE]...", resubmitAbout)
	var reason, service string
	fs.StringVar(&reason, "reason", "", "why, for the audit trail and Chorus Pro")
	fs.StringVar(&service, "service", "", "recycle an A_RECYCLER invoice to the service `CODE` its buyer asks for")
	var attach fileList
	fs.Var(&attach, "attach", "complete a SUSPENDUE invoice with `FILE` (repeat for several)")
	number, err := parseWithArg(fs, args, "the invoice NUMBER is required")
	if err != nil {
		return err
	}
	if service != "" && len(attach) > 0 {
		return errors.New("--service recycles an A_RECYCLER invoice, --attach completes a SUSPENDUE one: give one or the other; nothing was sent")
	}
	// Every file is checked before anything is sent: one Chorus Pro would
	// refuse must not leave the others uploaded for nothing.
	files, err := readAttachments(attach)
	if err != nil {
		return err
	}
	s, err := c.buildStack(ctx, app.StackOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	var msg string
	switch {
	case service != "":
		msg, err = s.Pipeline.Recycle(ctx, number, service, reason, "cli")
	case len(files) > 0:
		msg, err = s.Pipeline.ResubmitWith(ctx, number, reason, "cli", files)
	default:
		msg, err = s.Pipeline.Resubmit(ctx, number, reason, "cli")
	}
	var (
		se  *worker.StateError
		sce *worker.ServiceCodeError
	)
	if errors.As(err, &sce) {
		if sce.Code == "" {
			return fmt.Errorf("invoice %s is A_RECYCLER: its buyer asks for it to go to another service; give that service's code with --service CODE; nothing was sent", number)
		}
		return fmt.Errorf("--service %q: not a Chorus Pro code service (one word, at most %d characters); nothing was sent", sce.Code, document.FieldCodeService.Max())
	}
	if errors.As(err, &se) && errors.Is(err, worker.ErrNotToRecycle) {
		return fmt.Errorf("invoice %s is %s (%s), not sent back by its buyer to be recycled (A_RECYCLER): --service applies only then; nothing was sent", number, se.State, se.ChorusStatus)
	}
	if errors.As(err, &se) && errors.Is(err, worker.ErrNotSuspended) {
		status := ""
		if se.ChorusStatus != "" {
			status = ", " + se.ChorusStatus
		}
		return fmt.Errorf("invoice %s is %s%s, not suspended by its buyer (SUSPENDUE): files go only with a completion; nothing was sent", number, se.State, status)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, msg)
	return nil
}

// fileList is a repeatable flag of file paths.
type fileList []string

func (l *fileList) String() string { return strings.Join(*l, ", ") }

func (l *fileList) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("a file path is required")
	}
	*l = append(*l, s)
	return nil
}

// readAttachments reads the files to attach, each checked first against
// Chorus Pro's limits (those chorus.AddFile enforces): an error names the
// file at fault, and nothing is read then.
func readAttachments(paths []string) ([]chorus.Attachment, error) {
	for _, p := range paths {
		if err := checkAttachmentFile(p); err != nil {
			return nil, err
		}
	}
	out := make([]chorus.Attachment, 0, len(paths))
	for _, p := range paths {
		content, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--attach %s: %w", p, err)
		}
		if len(content) == 0 || len(content) >= chorus.MaxTailleFichierFlux {
			return nil, fmt.Errorf("--attach %s: changed while read (%d bytes)", p, len(content))
		}
		out = append(out, chorus.Attachment{Name: filepath.Base(p), Content: content})
	}
	return out, nil
}

// checkAttachmentFile says what is wrong with a file to attach, if
// anything: missing, not a file, empty or too large, a name too long or
// without an extension Chorus Pro accepts.
func checkAttachmentFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("--attach %s: no such file", path)
	case err != nil:
		return fmt.Errorf("--attach %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("--attach %s: not a regular file", path)
	}
	if err := chorus.CheckAttachment(filepath.Base(path), fi.Size()); err != nil {
		return fmt.Errorf("--attach %s: %w", path, err)
	}
	return nil
}
