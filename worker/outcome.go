package worker

import (
	"errors"
	"net/http"

	"github.com/chorusbill/chorusbill/chorus"
)

// depositResult is what the answer to a deposit call means for the invoice.
type depositResult int

// Deposit outcomes.
const (
	// depositAccepted: Chorus Pro took the flow; the invoice is deposited.
	depositAccepted depositResult = iota + 1
	// depositRefused: Chorus Pro refused the request's content and applied
	// nothing (an HTTP 400 or 413, or a file refused before sending); the
	// invoice is rejected.
	depositRefused
	// depositVerify: refused in the answer (codeRetour ≠ 0), yet possibly
	// applied, or refused as a number already deposited: Chorus Pro is
	// searched, with backoff, before anything is concluded.
	depositVerify
	// depositPaused: Chorus Pro refused the configuration (403, 404, 401):
	// no invoice is at fault, every deposit would fail alike; deliveries
	// pause until a call succeeds.
	depositPaused
	// depositRetry: uncertain or transient; the one-invoice delivery tries
	// again, searching for the number first.
	depositRetry
)

// depositOutcome is the deposit rule, the one the batch and the one-invoice
// deliveries follow.
func depositOutcome(err error) depositResult {
	switch {
	case err == nil:
		return depositAccepted
	case chorus.IsConfig(err) || chorus.IsAuth(err):
		return depositPaused
	case chorus.IsDuplicateNumber(err):
		return depositVerify
	case chorus.IsPermanent(err):
		// A business error comes with HTTP 200: Chorus Pro processed the
		// request, and a fault run saw such answers to deposits applied.
		// A 4xx says the request was refused before anything was done.
		var e *chorus.Error
		if errors.As(err, &e) && e.Status == http.StatusOK && e.CodeRetour != 0 {
			return depositVerify
		}
		return depositRefused
	}
	return depositRetry
}

// flowIntegrated reports whether a flow report says the flow was
// integrated (fully or in part): its invoice is then looked for on Chorus
// Pro, to be recorded delivered. Both the batch and the one-invoice
// tracking ask it.
func flowIntegrated(r chorus.FlowReport) bool {
	return r.Outcome == chorus.IssueSucces || r.Outcome == chorus.IssuePartiel
}
