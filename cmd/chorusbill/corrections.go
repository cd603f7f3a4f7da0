package main

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/store"
)

const correctionsAbout = `The corrections waiting for a human: what is owed for an establishment,
year and kind (from today's facts) differs from what is invoiced, on an
invoice that has left (delivered, paid, in a Chorus Pro workflow).

  chorusbill corrections list [--all]               the proposals (--all: every correction, decided ones too)
  chorusbill corrections confirm ID [--comment TEXT] issue and deliver the credit note or complementary invoice
  chorusbill corrections dismiss ID --comment TEXT   refuse it: the same difference is not proposed again

Confirming checks today's facts again: a proposal that no longer says what
is true is refused and, when a difference remains, a fresh one is proposed.
Each decision is in the audit trail with the comment. The dashboard's page
"Corrections à confirmer" does the same.`

func runCorrections(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(c.stdout, "Usage: chorusbill corrections list|confirm|dismiss [ID] [flags]\n\n%s\n", correctionsAbout)
		if len(args) == 0 {
			return usagef("a subcommand is required: list, confirm or dismiss")
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list":
		return correctionsList(ctx, c, rest)
	case "confirm", "dismiss":
		return correctionDecide(ctx, c, sub, rest)
	}
	return usagef("unknown subcommand %q: want list, confirm or dismiss", sub)
}

func correctionsList(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("corrections list", "[--all]", correctionsAbout)
	all := fs.Bool("all", false, "every correction, decided ones too (applied, dismissed, superseded)")
	if err := parse(fs, args); err != nil {
		return err
	}
	books, err := c.openBooks(ctx)
	if err != nil {
		return err
	}
	defer books.Close()
	var states []store.CorrectionState
	if !*all {
		states = []store.CorrectionState{store.CorrectionProposed}
	}
	list, err := books.Corrections(ctx, states...)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	head := "ID\tSIRET\tÉTABLISSEMENT\tANNÉE\tTYPE\tFACTURE\tFACTURÉ HT\tDÛ HT\tDIFFÉRENCE HT\tDIFFÉRENCE TTC\tPROPOSÉE LE"
	if *all {
		head += "\tÉTAT\tDÉCIDÉE PAR\tLE"
	}
	fmt.Fprintln(tw, head+"\tMOTIF")
	for _, r := range list {
		line := fmt.Sprintf("%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s", r.ID, r.SIRET, shorten(r.EstablishmentName, 40), r.Year, r.Kind,
			r.InvoiceNumber, euros(r.Invoiced), euros(r.Owed), euros(r.Difference()), euros(r.OwedTTC.Sub(r.InvoicedTTC)), frenchDate(r.CreatedAt))
		if *all {
			when := ""
			if r.DecidedAt != nil {
				when = frenchDate(*r.DecidedAt)
			}
			line += fmt.Sprintf("\t%s\t%s\t%s", r.State, r.DecidedBy, when)
		}
		fmt.Fprintf(tw, "%s\t%s\n", line, r.Reason)
	}
	tw.Flush()
	if *all {
		fmt.Fprintf(c.stdout, "%d correction(s)\n", len(list))
	} else {
		fmt.Fprintf(c.stdout, "%d correction(s) à confirmer\n", len(list))
	}
	return nil
}

// correctionDecide confirms or dismisses a proposal through the pipeline.
func correctionDecide(ctx context.Context, c *cli, sub string, args []string) error {
	synopsis := "ID [--comment TEXT]"
	if sub == "dismiss" {
		synopsis = "ID --comment TEXT"
	}
	fs := c.newFlagSet("corrections "+sub, synopsis, correctionsAbout)
	comment := fs.String("comment", "", "why, for the audit trail (required to dismiss)")
	idArg, err := parseWithArg(fs, args, "the correction ID is required (chorusbill corrections list shows them)")
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil || id <= 0 {
		return usagef("invalid correction ID %q: want a number (chorusbill corrections list shows them)", idArg)
	}
	*comment = strings.TrimSpace(*comment)
	if sub == "dismiss" && *comment == "" {
		return usagef("--comment is required to dismiss: it says why, in the audit trail")
	}
	s, err := c.buildStack(ctx, app.StackOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	decide := s.Pipeline.ConfirmCorrection
	if sub == "dismiss" {
		decide = s.Pipeline.DismissCorrection
	}
	msg, err := decide(ctx, id, cliActor(), *comment)
	if err != nil {
		return correctionError(ctx, s.Books, id, err)
	}
	fmt.Fprintln(c.stdout, msg)
	return nil
}

// correctionError says why a decision on a correction was refused.
func correctionError(ctx context.Context, books *store.Store, id int64, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no correction #%d (chorusbill corrections list --all lists them)", id)
	case errors.Is(err, store.ErrCorrectionDecided):
		c, rerr := books.CorrectionByID(ctx, id)
		if rerr != nil || c.DecidedAt == nil {
			return fmt.Errorf("correction #%d is already decided: nothing done", id)
		}
		return fmt.Errorf("correction #%d is already %s (by %s on %s): nothing done", id, c.State, c.DecidedBy, c.DecidedAt.Format(time.DateOnly))
	}
	// A *worker.CorrectionChangedError says what is proposed now.
	return err
}

// cliActor names the person at the command line in the audit trail.
func cliActor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}
