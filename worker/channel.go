package worker

import (
	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/store"
)

// ReasonCode names why the pipeline routed or parked an invoice.
type ReasonCode string

// Reasons for a channel.
const (
	// ReasonEstablishmentOffChorus: the establishment is billed by post.
	ReasonEstablishmentOffChorus ReasonCode = "establishment_off_chorus"
	// ReasonBuyerNotInDirectory: Chorus Pro's directory does not know the
	// buyer.
	ReasonBuyerNotInDirectory ReasonCode = "buyer_not_in_directory"
	// ReasonReferences: the buyer references are missing or refused
	// (ReferenceProblem says which).
	ReasonReferences ReasonCode = "references"
)

// Reason is a reason code with its French text, the text stored as the
// invoice's status reason and shown to the finance team.
type Reason struct {
	Code ReasonCode
	Text string
}

// The reasons that need no detail.
var (
	reasonEstablishmentOffChorus = Reason{ReasonEstablishmentOffChorus, "établissement hors Chorus Pro"}
	reasonBuyerNotInDirectory    = Reason{ReasonBuyerNotInDirectory, "acheteur absent de l'annuaire Chorus Pro"}
)

// Channel is how an invoice goes to its buyer.
type Channel int

// Channels.
const (
	// ChannelChorus: deposit on Chorus Pro.
	ChannelChorus Channel = iota + 1
	// ChannelPostal: the postal print batch.
	ChannelPostal
	// ChannelAwaiting: wait for the buyer references, with no call made.
	ChannelAwaiting
)

// ChannelDecision is the channel of an invoice and why (no reason for
// ChannelChorus).
type ChannelDecision struct {
	Channel Channel
	Reason  Reason
	// Problem is what the references lack (ChannelAwaiting).
	Problem *ReferenceProblem
}

// decideChannel is the channel rule, the one the batch and the one-invoice
// deliveries follow: an establishment billed by post, or a buyer Chorus
// Pro's directory does not know, gets the postal PDF; references the buyer
// requires and the invoice lacks (or a service it refuses) make it wait;
// otherwise it is deposited. buyer is unused, and need not be looked up,
// when the establishment is not on Chorus Pro.
func decideChannel(est store.Establishment, buyer chorus.Buyer, codeService, engagement string) ChannelDecision {
	switch {
	case !est.OnChorus:
		return ChannelDecision{Channel: ChannelPostal, Reason: reasonEstablishmentOffChorus}
	case !buyer.OnChorus:
		return ChannelDecision{Channel: ChannelPostal, Reason: reasonBuyerNotInDirectory}
	}
	if p := checkReferences(buyer, codeService, engagement); p != nil {
		return ChannelDecision{Channel: ChannelAwaiting, Reason: p.Reason(), Problem: p}
	}
	return ChannelDecision{Channel: ChannelChorus}
}
