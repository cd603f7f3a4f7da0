package worker

import "github.com/chorusbill/chorusbill/chorus"

// depositResult is what the answer to a deposit call means for the invoice.
type depositResult int

// Deposit outcomes.
const (
	// depositAccepted: Chorus Pro took the flow; the invoice is deposited.
	depositAccepted depositResult = iota + 1
	// depositRefused: Chorus Pro refused the call for good; the invoice is
	// rejected.
	depositRefused
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
	case chorus.IsPermanent(err):
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
