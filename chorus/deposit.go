package chorus

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// Deposit is a flow file to deposit.
type Deposit struct {
	// Filename is the file's name; Chorus Pro shows it in the flow report.
	Filename string
	Content  []byte
	Syntax   SyntaxeFlux
}

// DepositResult is Chorus Pro's receipt of a deposit: the flow number to
// follow with FlowReport.
type DepositResult struct {
	FlowNumber string
	Date       string
}

// Deposit sends a flow with factures/v1/deposer/flux (chorus-pro.md §2.3).
// It is never retried once the request may have reached Chorus Pro: an
// Uncertain error means the caller must search for the invoice number
// (FindInvoices) before depositing again.
func (c *Client) Deposit(ctx context.Context, d Deposit) (DepositResult, error) {
	switch {
	case !d.Syntax.Valid():
		return DepositResult{}, &Error{Op: "deposer/flux", Kind: Permanent, Err: fmt.Errorf("syntaxeFlux %q is not in the official enum", d.Syntax)}
	case len(d.Content) == 0:
		return DepositResult{}, &Error{Op: "deposer/flux", Kind: Permanent, Err: fmt.Errorf("empty file")}
	case len(d.Content) > MaxTailleFichierFlux:
		return DepositResult{}, &Error{Op: "deposer/flux", Kind: Permanent, Err: fmt.Errorf("file of %d bytes exceeds Chorus Pro's 10 MB", len(d.Content))}
	case d.Filename == "" || utf8.RuneCountInString(d.Filename) > 200:
		return DepositResult{}, &Error{Op: "deposer/flux", Kind: Permanent, Err: fmt.Errorf("file name %q", d.Filename)}
	}
	var out DeposerFluxResponse
	err := c.call(ctx, "deposer/flux", PathDeposerFlux, DeposerFluxRequest{
		FichierFlux: d.Content, NomFichier: d.Filename, SyntaxeFlux: d.Syntax,
	}, &out, unsafe)
	if err != nil {
		return DepositResult{}, err
	}
	if out.NumeroFluxDepot == "" {
		return DepositResult{}, &Error{Op: "deposer/flux", Kind: Uncertain, Err: fmt.Errorf("answer without numeroFluxDepot")}
	}
	return DepositResult{FlowNumber: out.NumeroFluxDepot, Date: out.DateDepot}, nil
}

// FlowReport is the processing report of a deposited flow.
type FlowReport struct {
	State EtatFlux
	// Outcome classifies State; unknown states are IssueUnknown, never
	// pending or success; IN_A_RELANCER and IN_ERREUR_INTERNE are
	// IssueARedeposer.
	Outcome         Issue
	Errors          []ErreurDP
	TechnicalErrors []ErreurTechnique
	Filename        string
}

// FlowReport reads transverses/v1/consulterCRDetaille (chorus-pro.md §2.4).
// Only numeroFluxDepot is sent: OCA, Pastell and a client that ran the
// qualification round trip send nothing else, and the Transverses Swagger
// they quote makes syntaxeFlux optional (fidelity C-2). The syntax argument
// is kept for the callers' sake and ignored: the current configuration's
// syntax need not be the one the flow was deposited with.
func (c *Client) FlowReport(ctx context.Context, flowNumber string, _ SyntaxeFlux) (FlowReport, error) {
	var out ConsulterCRDetailleResponse
	if err := c.call(ctx, "consulterCRDetaille", PathConsulterCRDetaille, ConsulterCRDetailleRequest{NumeroFluxDepot: flowNumber}, &out, safe); err != nil {
		return FlowReport{}, err
	}
	r := FlowReport{State: out.EtatCourantDepotFlux, Outcome: out.EtatCourantDepotFlux.Issue(),
		Errors: out.ListeErreurDP, TechnicalErrors: out.ListeErreurTechnique, Filename: out.NomFichier}
	if r.Outcome == IssueUnknown {
		c.log.Warn("chorus pro flow in an unknown state", "flow", flowNumber, "state", string(r.State))
	}
	return r, nil
}
