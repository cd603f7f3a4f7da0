package tariff

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// Overage computes the overage of year n for the quantities observed that
// year, by service code. For each service, the quantity beyond the annual
// allowance of the establishment's bracket is rounded up to whole blocks and
// charged at the block price. Allowances are not prorated.
//
// When the establishment's convention dates are known and it had no service
// in year n, nothing is due. Every observed service appears in the
// statement, within its allowance or not.
func (d *Deliberation) Overage(e Establishment, year int, observed map[string]decimal.Decimal) (Quote, error) {
	if !d.Covers(year) {
		return Quote{}, &OutsideConventionError{Year: year, Covered: fmt.Sprintf("%d through %d", d.FirstYear, d.LastYear)}
	}
	tariff, ok := d.Offers[e.Offer]
	if !ok {
		return Quote{}, fmt.Errorf("unknown offer %q", e.Offer)
	}
	if err := d.checkUsage(e.Offer, observed); err != nil {
		return Quote{}, err
	}
	b, err := tariff.Bracket(e.Headcount)
	if err != nil {
		return Quote{}, err
	}
	if b.Refused != "" {
		return Quote{}, &NoTariffError{Offer: e.Offer, Headcount: e.Headcount, Reason: b.Refused}
	}
	q := d.newQuote(invoice.KindOverage, e, year, b)
	months := 12
	q.From, q.To = date(year, 1, 1), date(year, 12, 31)
	if e.HasStart() {
		if q.Service, err = d.Period(e); err != nil {
			return Quote{}, err
		}
		months, q.From, q.To = q.Service.MonthsIn(year)
	}
	if months == 0 {
		q.Totals = invoice.ComputeTotals(nil)
		return q, nil
	}
	for _, s := range d.Services {
		qty, ok := observed[s.Code]
		if !ok {
			continue
		}
		row, line, err := overageOf(s, b, year, qty)
		if err != nil {
			return Quote{}, err
		}
		q.Statement = append(q.Statement, row)
		if line != nil {
			q.Lines = append(q.Lines, *line)
		}
	}
	q.Totals = invoice.ComputeTotals(q.Lines)
	return q, nil
}

// checkUsage rejects unknown services, services outside the offer and
// quantities the service cannot have (negative, beyond MaxQuantity, a
// fraction of a count) before anything is computed.
func (d *Deliberation) checkUsage(o Offer, observed map[string]decimal.Decimal) error {
	codes := make([]string, 0, len(observed))
	for c := range observed {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		s, ok := d.Service(c)
		if !ok {
			return &UsageError{Code: c, Msg: fmt.Sprintf("unknown service code (known: %s)", strings.Join(d.ServiceCodes(OfferBouquet), ", "))}
		}
		if !s.In(o) {
			return &UsageError{Code: c, Msg: fmt.Sprintf("the %s offer has no usage-billed services", o)}
		}
		if err := s.CheckQuantity(observed[c]); err != nil {
			return &UsageError{Code: c, Msg: "quantity " + err.Error(), Err: err}
		}
	}
	return nil
}

// overageOf computes one service's statement row and, when the allowance is
// exceeded, its invoice line: one line per service, quantity = started blocks.
func overageOf(s Service, b Bracket, year int, observed decimal.Decimal) (invoice.StatementRow, *invoice.Line, error) {
	allowance := s.Allowance[b.ID]
	excess := observed.Sub(allowance)
	if excess.IsNegative() {
		excess = decimal.Zero
	}
	blocks := excess.Div(s.Block).Ceil()
	if !fitsInt64(blocks) {
		return invoice.StatementRow{}, nil, &UsageError{Code: s.Code,
			Msg: fmt.Sprintf("%s blocks of %s %s are too many to bill", blocks, s.Block, s.Unit)}
	}
	row := invoice.StatementRow{
		Code:      s.Code,
		Label:     s.Label,
		Unit:      s.Unit,
		UnitPrice: s.Price,
		Usage: invoice.Usage{
			Observed:  observed,
			Allowance: allowance,
			Excess:    excess,
			BlockSize: s.Block,
			Blocks:    blocks.IntPart(),
		},
		Amount: decimal.Zero,
	}
	if blocks.IsZero() {
		return row, nil, nil
	}
	label := fmt.Sprintf("Dépassement %d — %s : %s %s consommés pour %s %s inclus, %s", year, s.Label,
		invoice.FormatQuantity(observed), s.Unit, invoice.FormatQuantity(allowance), s.Unit, blocksLabel(blocks, s))
	line, err := invoice.NewLine(s.Code, label, blocks, invoice.UnitOne, s.Price, decimal.NewFromInt(1), s.VAT)
	if err != nil {
		return row, nil, fmt.Errorf("overage %s: %w", s.Code, err)
	}
	if !fitsInt64(line.Amount.Shift(2)) {
		return row, nil, &UsageError{Code: s.Code,
			Msg: fmt.Sprintf("%s blocks at %s € make %s €, too large an amount to bill", blocks, s.Price, line.Amount)}
	}
	usage := row.Usage
	line.Usage = &usage
	row.Amount = line.Amount
	return row, &line, nil
}

func blocksLabel(blocks decimal.Decimal, s Service) string {
	if s.Block.Equal(decimal.NewFromInt(1)) {
		return fmt.Sprintf("%s %s au-delà", invoice.FormatQuantity(blocks), s.Unit)
	}
	plural := ""
	if blocks.GreaterThan(decimal.NewFromInt(1)) {
		plural = "s"
	}
	return fmt.Sprintf("%s bloc%s de %s %s entamé%s", invoice.FormatQuantity(blocks), plural, invoice.FormatQuantity(s.Block), s.Unit, plural)
}

var (
	minInt64 = decimal.NewFromInt(math.MinInt64)
	maxInt64 = decimal.NewFromInt(math.MaxInt64)
)

// fitsInt64 reports whether a whole decimal converts to int64 exactly: the
// block count is stored as an int64 and amounts as int64 cents, and
// Decimal.IntPart silently wraps beyond that range.
func fitsInt64(d decimal.Decimal) bool {
	return d.IsInteger() && !d.LessThan(minInt64) && !d.GreaterThan(maxInt64)
}
