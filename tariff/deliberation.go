// Package tariff holds the money rules of the convention: deliberations (the
// contribution grid, usage allowances and overage prices, loaded from data
// files and validated), the service period of an establishment, the yearly
// contribution with its proration and termination, and usage overage. It is
// pure: it reads deliberations from an fs.FS or bytes given to it, and does no
// other I/O.
package tariff

import (
	"fmt"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// Offer is what an establishment subscribes to.
type Offer string

// Offers of the convention.
const (
	// OfferBouquet is the whole bundle of services.
	OfferBouquet Offer = "bouquet"
	// OfferTeletransmission is teletransmission only: acts to the prefecture
	// and accounting flows to the treasury.
	OfferTeletransmission Offer = "teletransmission"
)

// Offers lists every offer a deliberation must price.
func Offers() []Offer { return []Offer{OfferBouquet, OfferTeletransmission} }

// ParseOffer reads an offer name.
func ParseOffer(s string) (Offer, error) {
	for _, o := range Offers() {
		if string(o) == s {
			return o, nil
		}
	}
	return "", fmt.Errorf("unknown offer %q (want bouquet or teletransmission)", s)
}

// Bracket is one headcount bracket of an offer: Min to Max employees
// inclusive (Max < 0: no upper bound) and its annual contribution HT.
type Bracket struct {
	ID     string
	Label  string
	Min    int
	Max    int
	Amount decimal.Decimal
	VAT    invoice.VATRate
	// Refused, when set, says why the offer has no tariff for this headcount;
	// quoting such a case is an error carrying this text.
	Refused string
	// Line is where the bracket is written in its deliberation file.
	Line int
}

// Contains reports whether the headcount falls in the bracket.
func (b Bracket) Contains(headcount int) bool {
	return headcount >= b.Min && (b.Max < 0 || headcount <= b.Max)
}

// Free reports whether the bracket costs nothing (and is not refused).
func (b Bracket) Free() bool { return b.Refused == "" && b.Amount.IsZero() }

// OfferTariff is the contribution grid of one offer.
type OfferTariff struct {
	Offer    Offer
	Label    string
	Brackets []Bracket
}

// Bracket finds the bracket of a headcount.
func (t OfferTariff) Bracket(headcount int) (Bracket, error) {
	if headcount < 0 {
		return Bracket{}, fmt.Errorf("headcount %d is negative", headcount)
	}
	for _, b := range t.Brackets {
		if b.Contains(headcount) {
			return b, nil
		}
	}
	// Unreachable for a validated deliberation: brackets cover 0 to infinity.
	return Bracket{}, fmt.Errorf("offer %s has no bracket for %d employees", t.Offer, headcount)
}

// Service is a service with a usage allowance and an overage price.
type Service struct {
	Code  string
	Label string
	// Unit is the unit quantities are observed in (GB, SMS, user…).
	Unit string
	// Kind says whether quantities are whole counts or decimal measures.
	Kind UnitKind
	// Price is charged per started Block of units beyond the allowance.
	Price  decimal.Decimal
	Block  decimal.Decimal
	VAT    invoice.VATRate
	Offers []Offer
	// Allowance is the annual allowance by bracket ID of each offer the
	// service belongs to.
	Allowance map[string]decimal.Decimal
	Line      int
}

// In reports whether the service is part of an offer.
func (s Service) In(o Offer) bool {
	for _, x := range s.Offers {
		if x == o {
			return true
		}
	}
	return false
}

// Deliberation is one programme's tariff, as voted: contribution grids per
// offer, the years it covers, the convention's terms, and the services'
// allowances and overage prices.
type Deliberation struct {
	// Source is the file it was loaded from, for error messages.
	Source    string
	Programme string
	Reference string
	// FirstYear and LastYear bound the years contributions are due for.
	FirstYear int
	LastYear  int
	// ExistingUsersStart is the service start of establishments already
	// using a service when the programme began.
	ExistingUsersStart time.Time
	// MinimumTermMonths is the minimum first period before a termination
	// takes effect; NoticeMonths the notice counted from the 1st of the month
	// following the request.
	MinimumTermMonths int
	NoticeMonths      int
	PaymentTermDays   int
	Offers            map[Offer]OfferTariff
	Services          []Service
}

// ConventionEnd is the first day with no service: 1 January after LastYear.
func (d *Deliberation) ConventionEnd() time.Time {
	return date(d.LastYear+1, time.January, 1)
}

// Covers reports whether contributions are due under d for a year.
func (d *Deliberation) Covers(year int) bool {
	return year >= d.FirstYear && year <= d.LastYear
}

// Service finds a service by code.
func (d *Deliberation) Service(code string) (Service, bool) {
	for _, s := range d.Services {
		if s.Code == code {
			return s, true
		}
	}
	return Service{}, false
}

// ServiceCodes lists the codes of the services of an offer, in file order.
func (d *Deliberation) ServiceCodes(o Offer) []string {
	var codes []string
	for _, s := range d.Services {
		if s.In(o) {
			codes = append(codes, s.Code)
		}
	}
	return codes
}
