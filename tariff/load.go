package tariff

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
	"go.yaml.in/yaml/v3"
)

// LoadError is a problem in a deliberation file: the file, the line and the
// field it is about, and what is wrong.
type LoadError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// The file's shape. Scalars are kept as yaml nodes so that every error can
// name the line it comes from and amounts keep their exact decimal text.
type fileDoc struct {
	Programme          string               `yaml:"programme"`
	Reference          string               `yaml:"reference"`
	Contributions      yaml.Node            `yaml:"contributions"`
	ExistingUsersStart yaml.Node            `yaml:"existing_users_start"`
	MinimumTermMonths  yaml.Node            `yaml:"minimum_term_months"`
	NoticeMonths       yaml.Node            `yaml:"notice_months"`
	PaymentTermDays    yaml.Node            `yaml:"payment_term_days"`
	VAT                map[string]yaml.Node `yaml:"vat"`
	DefaultVAT         yaml.Node            `yaml:"default_vat"`
	Offers             yaml.Node            `yaml:"offers"`
	Services           []yaml.Node          `yaml:"services"`
}

// parser accumulates nothing but the file name: the first error stops it.
type parser struct{ file string }

func (p parser) errf(n *yaml.Node, field, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &LoadError{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ParseDeliberation reads and validates a deliberation file. name is used in
// error messages. Unknown keys are errors: a misspelt field in a finance file
// must not silently fall back to a default.
func ParseDeliberation(name string, data []byte) (*Deliberation, error) {
	p := parser{file: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc fileDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, p.yamlErr(err)
	}
	d := &Deliberation{Source: name, Programme: doc.Programme, Reference: doc.Reference}
	if strings.TrimSpace(doc.Programme) == "" {
		return nil, p.errf(nil, "programme", "is required")
	}
	var err error
	if d.FirstYear, d.LastYear, err = p.years(&doc.Contributions); err != nil {
		return nil, err
	}
	if d.ExistingUsersStart, err = p.date(&doc.ExistingUsersStart, "existing_users_start"); err != nil {
		return nil, err
	}
	if d.ExistingUsersStart.Day() != 1 || d.ExistingUsersStart.Year() != d.FirstYear {
		return nil, p.errf(&doc.ExistingUsersStart, "existing_users_start", "must be the 1st of a month of %d", d.FirstYear)
	}
	if d.MinimumTermMonths, err = p.integer(&doc.MinimumTermMonths, "minimum_term_months", 0, 120); err != nil {
		return nil, err
	}
	if d.NoticeMonths, err = p.integer(&doc.NoticeMonths, "notice_months", 0, 24); err != nil {
		return nil, err
	}
	if d.PaymentTermDays, err = p.integer(&doc.PaymentTermDays, "payment_term_days", 1, 366); err != nil {
		return nil, err
	}
	vats, err := p.vatRates(doc.VAT)
	if err != nil {
		return nil, err
	}
	defaultVAT, err := p.vatRef(&doc.DefaultVAT, "default_vat", vats, invoice.VATRate{})
	if err != nil {
		return nil, err
	}
	if d.Offers, err = p.offers(&doc.Offers, vats, defaultVAT); err != nil {
		return nil, err
	}
	if d.Services, err = p.services(doc.Services, d.Offers, vats, defaultVAT); err != nil {
		return nil, err
	}
	return d, nil
}

var (
	yamlLine     = regexp.MustCompile(`line (\d+): (.*)`)
	yamlNotFound = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// yamlErr turns the yaml library's messages into file:line errors.
func (p parser) yamlErr(err error) error {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		msg := m[2]
		if k := yamlNotFound.FindStringSubmatch(msg); k != nil {
			msg = fmt.Sprintf("unknown key %q", k[1])
		}
		return &LoadError{File: p.file, Line: line, Msg: msg}
	}
	return &LoadError{File: p.file, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

func (p parser) years(n *yaml.Node) (first, last int, err error) {
	if n.Kind == 0 {
		return 0, 0, p.errf(nil, "contributions", "is required (from: YEAR, through: YEAR)")
	}
	var raw struct {
		From    yaml.Node `yaml:"from"`
		Through yaml.Node `yaml:"through"`
	}
	if err := p.strict(n, "contributions", &raw, "from", "through"); err != nil {
		return 0, 0, err
	}
	if first, err = p.integer(&raw.From, "contributions.from", 2000, 2999); err != nil {
		return 0, 0, err
	}
	if last, err = p.integer(&raw.Through, "contributions.through", 2000, 2999); err != nil {
		return 0, 0, err
	}
	if last < first {
		return 0, 0, p.errf(&raw.Through, "contributions.through", "%d is before from %d", last, first)
	}
	return first, last, nil
}

// strict decodes a mapping node into v after checking it has only known keys.
func (p parser) strict(n *yaml.Node, field string, v any, keys ...string) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, field, "must be a mapping")
	}
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i]
		known := false
		for _, want := range keys {
			known = known || k.Value == want
		}
		if !known {
			return p.errf(k, field, "unknown key %q (known: %s)", k.Value, strings.Join(keys, ", "))
		}
	}
	if err := n.Decode(v); err != nil {
		return p.yamlErr(err)
	}
	return nil
}

func (p parser) scalar(n *yaml.Node, field string) (string, error) {
	if n.Kind == 0 {
		return "", p.errf(nil, field, "is required")
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n, field, "must be a single value")
	}
	return n.Value, nil
}

func (p parser) integer(n *yaml.Node, field string, lo, hi int) (int, error) {
	s, err := p.scalar(n, field)
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, p.errf(n, field, "%q is not a whole number", s)
	}
	if v < lo || v > hi {
		return 0, p.errf(n, field, "%d is out of range %d..%d", v, lo, hi)
	}
	return v, nil
}

func (p parser) amount(n *yaml.Node, field string) (decimal.Decimal, error) {
	s, err := p.scalar(n, field)
	if err != nil {
		return decimal.Decimal{}, err
	}
	v, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, p.errf(n, field, "%q is not a decimal amount", s)
	}
	if v.IsNegative() {
		return decimal.Decimal{}, p.errf(n, field, "%s must not be negative", s)
	}
	return v, nil
}

func (p parser) date(n *yaml.Node, field string) (time.Time, error) {
	s, err := p.scalar(n, field)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, p.errf(n, field, "%q is not a date (YYYY-MM-DD)", s)
	}
	return t, nil
}

func (p parser) vatRates(raw map[string]yaml.Node) (map[string]invoice.VATRate, error) {
	if len(raw) == 0 {
		return nil, p.errf(nil, "vat", "at least one VAT rate is required")
	}
	out := map[string]invoice.VATRate{}
	for name, n := range raw {
		field := "vat." + name
		var r struct {
			Category yaml.Node `yaml:"category"`
			Rate     yaml.Node `yaml:"rate"`
			Mention  string    `yaml:"mention"`
		}
		if err := p.strict(&n, field, &r, "category", "rate", "mention"); err != nil {
			return nil, err
		}
		cat, err := p.scalar(&r.Category, field+".category")
		if err != nil {
			return nil, err
		}
		v := invoice.VATRate{Category: invoice.VATCategory(cat), Percent: decimal.Zero, Mention: r.Mention}
		if r.Rate.Kind != 0 {
			if v.Percent, err = p.amount(&r.Rate, field+".rate"); err != nil {
				return nil, err
			}
		}
		if err := v.Validate(); err != nil {
			return nil, p.errf(&n, field, "%v", err)
		}
		out[name] = v
	}
	return out, nil
}

// vatRef resolves a reference to a named VAT rate; an absent reference
// inherits def (an absent default_vat is an error: def is then zero).
func (p parser) vatRef(n *yaml.Node, field string, vats map[string]invoice.VATRate, def invoice.VATRate) (invoice.VATRate, error) {
	if n.Kind == 0 && def.Category != "" {
		return def, nil
	}
	name, err := p.scalar(n, field)
	if err != nil {
		return invoice.VATRate{}, err
	}
	v, ok := vats[name]
	if !ok {
		return invoice.VATRate{}, p.errf(n, field, "unknown VAT rate %q (defined: %s)", name, strings.Join(sortedKeys(vats), ", "))
	}
	return v, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (p parser) offers(n *yaml.Node, vats map[string]invoice.VATRate, def invoice.VATRate) (map[Offer]OfferTariff, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "offers", "must map each offer to its brackets")
	}
	out := map[Offer]OfferTariff{}
	for i := 0; i < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		offer, err := ParseOffer(key.Value)
		if err != nil {
			return nil, p.errf(key, "offers", "%v", err)
		}
		var raw struct {
			Label    string      `yaml:"label"`
			VAT      yaml.Node   `yaml:"vat"`
			Brackets []yaml.Node `yaml:"brackets"`
		}
		field := "offers." + key.Value
		if err := p.strict(val, field, &raw, "label", "vat", "brackets"); err != nil {
			return nil, err
		}
		offerVAT, err := p.vatRef(&raw.VAT, field+".vat", vats, def)
		if err != nil {
			return nil, err
		}
		t := OfferTariff{Offer: offer, Label: raw.Label}
		if t.Label == "" {
			return nil, p.errf(val, field+".label", "is required")
		}
		if t.Brackets, err = p.brackets(val, field, raw.Brackets, vats, offerVAT); err != nil {
			return nil, err
		}
		out[offer] = t
	}
	for _, o := range Offers() {
		if _, ok := out[o]; !ok {
			return nil, p.errf(n, "offers", "offer %q is not priced: every offer must be covered", o)
		}
	}
	return out, nil
}

// brackets checks that the brackets start at 0, follow each other without gap
// or overlap, and end open-ended, so that every headcount has exactly one.
func (p parser) brackets(parent *yaml.Node, field string, nodes []yaml.Node, vats map[string]invoice.VATRate, def invoice.VATRate) ([]Bracket, error) {
	if len(nodes) == 0 {
		return nil, p.errf(parent, field+".brackets", "at least one bracket is required")
	}
	var out []Bracket
	ids := map[string]bool{}
	for i := range nodes {
		n := &nodes[i]
		f := fmt.Sprintf("%s.brackets[%d]", field, i)
		var raw struct {
			ID      string    `yaml:"id"`
			Label   string    `yaml:"label"`
			Min     yaml.Node `yaml:"min"`
			Max     yaml.Node `yaml:"max"`
			Amount  yaml.Node `yaml:"amount"`
			VAT     yaml.Node `yaml:"vat"`
			Refused string    `yaml:"refused"`
		}
		if err := p.strict(n, f, &raw, "id", "label", "min", "max", "amount", "vat", "refused"); err != nil {
			return nil, err
		}
		b := Bracket{ID: raw.ID, Label: raw.Label, Max: -1, Refused: strings.TrimSpace(raw.Refused), Line: n.Line}
		if b.ID == "" || b.Label == "" {
			return nil, p.errf(n, f, "id and label are required")
		}
		if ids[b.ID] {
			return nil, p.errf(n, f+".id", "%q is used twice", b.ID)
		}
		ids[b.ID] = true
		var err error
		if b.Min, err = p.integer(&raw.Min, f+".min", 0, 1<<30); err != nil {
			return nil, err
		}
		if raw.Max.Kind != 0 {
			if b.Max, err = p.integer(&raw.Max, f+".max", b.Min, 1<<30); err != nil {
				return nil, err
			}
		}
		switch {
		case b.Refused != "" && raw.Amount.Kind != 0:
			return nil, p.errf(&raw.Amount, f+".amount", "a refused bracket has no amount")
		case b.Refused == "":
			if b.Amount, err = p.amount(&raw.Amount, f+".amount"); err != nil {
				return nil, err
			}
		}
		if b.VAT, err = p.vatRef(&raw.VAT, f+".vat", vats, def); err != nil {
			return nil, err
		}
		want := 0
		if i > 0 {
			prev := out[i-1]
			if prev.Max < 0 {
				return nil, p.errf(n, f, "bracket follows the open-ended bracket %q", prev.ID)
			}
			want = prev.Max + 1
		}
		if b.Min != want {
			what := "a gap"
			if b.Min < want {
				what = "an overlap"
			}
			return nil, p.errf(&raw.Min, f+".min", "is %d, expected %d: %s between brackets", b.Min, want, what)
		}
		out = append(out, b)
	}
	if last := out[len(out)-1]; last.Max >= 0 {
		return nil, p.errf(&nodes[len(nodes)-1], fmt.Sprintf("%s.brackets[%d].max", field, len(nodes)-1),
			"the last bracket must have no max, so that every headcount has a bracket")
	}
	return out, nil
}

var serviceCode = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func (p parser) services(nodes []yaml.Node, offers map[Offer]OfferTariff, vats map[string]invoice.VATRate, def invoice.VATRate) ([]Service, error) {
	var out []Service
	seen := map[string]bool{}
	for i := range nodes {
		n := &nodes[i]
		f := fmt.Sprintf("services[%d]", i)
		var raw struct {
			Code      string    `yaml:"code"`
			Label     string    `yaml:"label"`
			Unit      string    `yaml:"unit"`
			Quantity  yaml.Node `yaml:"quantity"`
			Offers    []string  `yaml:"offers"`
			Price     yaml.Node `yaml:"price"`
			Block     yaml.Node `yaml:"block"`
			VAT       yaml.Node `yaml:"vat"`
			Allowance yaml.Node `yaml:"allowance"`
		}
		if err := p.strict(n, f, &raw, "code", "label", "unit", "quantity", "offers", "price", "block", "vat", "allowance"); err != nil {
			return nil, err
		}
		if !serviceCode.MatchString(raw.Code) {
			return nil, p.errf(n, f+".code", "%q must be lower-case letters, digits and dashes", raw.Code)
		}
		f = "services." + raw.Code
		if seen[raw.Code] {
			return nil, p.errf(n, f, "service code is used twice")
		}
		seen[raw.Code] = true
		if raw.Label == "" || raw.Unit == "" {
			return nil, p.errf(n, f, "label and unit are required")
		}
		s := Service{Code: raw.Code, Label: raw.Label, Unit: raw.Unit, Kind: DefaultUnitKind, Line: n.Line, Allowance: map[string]decimal.Decimal{}}
		if raw.Quantity.Kind != 0 {
			k, err := p.scalar(&raw.Quantity, f+".quantity")
			if err != nil {
				return nil, err
			}
			if s.Kind, err = ParseUnitKind(k); err != nil {
				return nil, p.errf(&raw.Quantity, f+".quantity", "%v", err)
			}
		}
		if len(raw.Offers) == 0 {
			return nil, p.errf(n, f+".offers", "name at least one offer")
		}
		for _, o := range raw.Offers {
			offer, err := ParseOffer(o)
			if err != nil {
				return nil, p.errf(n, f+".offers", "%v", err)
			}
			s.Offers = append(s.Offers, offer)
		}
		var err error
		if s.Price, err = p.amount(&raw.Price, f+".price"); err != nil {
			return nil, err
		}
		if s.Block, err = p.amount(&raw.Block, f+".block"); err != nil {
			return nil, err
		}
		if !s.Block.IsPositive() {
			return nil, p.errf(&raw.Block, f+".block", "must be greater than 0")
		}
		if s.Kind == UnitCount && !s.Block.IsInteger() {
			return nil, p.errf(&raw.Block, f+".block", "%s is not a whole number: %s is a count of %s", s.Block, s.Code, s.Unit)
		}
		if s.Block.GreaterThan(maxQuantity) {
			return nil, p.errf(&raw.Block, f+".block", "%s is more than the largest quantity, %d", s.Block, MaxQuantity)
		}
		if s.VAT, err = p.vatRef(&raw.VAT, f+".vat", vats, def); err != nil {
			return nil, err
		}
		if err := p.allowance(&raw.Allowance, f+".allowance", &s, offers); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// allowance reads either one quantity for every bracket or a mapping from
// bracket ID to quantity that must name every bracket of the service's offers.
func (p parser) allowance(n *yaml.Node, field string, s *Service, offers map[Offer]OfferTariff) error {
	var ids []string
	for _, o := range s.Offers {
		for _, b := range offers[o].Brackets {
			if b.Refused == "" {
				ids = append(ids, b.ID)
			}
		}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		q, err := p.quantity(n, field, s)
		if err != nil {
			return err
		}
		for _, id := range ids {
			s.Allowance[id] = q
		}
		return nil
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			known := false
			for _, id := range ids {
				known = known || id == k.Value
			}
			if !known {
				return p.errf(k, field, "%q is not a bracket of the service's offers (brackets: %s)", k.Value, strings.Join(ids, ", "))
			}
			q, err := p.quantity(v, field+"."+k.Value, s)
			if err != nil {
				return err
			}
			s.Allowance[k.Value] = q
		}
		for _, id := range ids {
			if _, ok := s.Allowance[id]; !ok {
				return p.errf(n, field, "no allowance for bracket %q", id)
			}
		}
		return nil
	default:
		return p.errf(n, field, "is required: a quantity, or a quantity per bracket")
	}
}

// quantity reads an allowance: a quantity of the service, so whole when it
// counts, and within MaxQuantity.
func (p parser) quantity(n *yaml.Node, field string, s *Service) (decimal.Decimal, error) {
	s0, err := p.scalar(n, field)
	if err != nil {
		return decimal.Decimal{}, err
	}
	q, err := decimal.NewFromString(s0)
	if err != nil {
		return decimal.Decimal{}, p.errf(n, field, "%q is not a quantity", s0)
	}
	if err := s.CheckQuantity(q); err != nil {
		return decimal.Decimal{}, p.errf(n, field, "%v", err)
	}
	return q, nil
}
