package judge

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/shopspring/decimal"
	"go.yaml.in/yaml/v3"
)

// deliberation is what the judge reads of a tariff deliberation
// (fixtures/deliberations/*.yaml). It is decoded strictly: a key the judge
// does not know (a per-line VAT, a new rule) is an error, never ignored,
// since ignoring it could make the judge agree with a wrong amount.
type deliberation struct {
	Programme     string `yaml:"programme"`
	Reference     string `yaml:"reference"`
	Contributions struct {
		From    int `yaml:"from"`
		Through int `yaml:"through"`
	} `yaml:"contributions"`
	ExistingUsersStart string                   `yaml:"existing_users_start"`
	MinimumTermMonths  int                      `yaml:"minimum_term_months"`
	NoticeMonths       int                      `yaml:"notice_months"`
	PaymentTermDays    int                      `yaml:"payment_term_days"`
	VAT                map[string]vatTreatment  `yaml:"vat"`
	DefaultVAT         string                   `yaml:"default_vat"`
	Offers             map[string]offerBrackets `yaml:"offers"`
	Services           []service                `yaml:"services"`

	// Read from the fields above by parseDeliberation.
	existingStart time.Time
	vatRate       decimal.Decimal // percent, of DefaultVAT: every line's rate
}

type vatTreatment struct {
	Category string `yaml:"category"`
	Rate     string `yaml:"rate"` // percent; empty for outside the scope of VAT
	Mention  string `yaml:"mention"`
}

type offerBrackets struct {
	Label    string    `yaml:"label"`
	Brackets []bracket `yaml:"brackets"`
}

type bracket struct {
	ID      string    `yaml:"id"`
	Label   string    `yaml:"label"`
	Min     int       `yaml:"min"`
	Max     *int      `yaml:"max"` // nil: no upper bound
	Amount  yaml.Node `yaml:"amount"`
	Refused string    `yaml:"refused"`

	amount decimal.Decimal
}

type service struct {
	Code      string    `yaml:"code"`
	Label     string    `yaml:"label"`
	Unit      string    `yaml:"unit"`
	Quantity  string    `yaml:"quantity"` // count or measure (the default)
	Offers    []string  `yaml:"offers"`
	Allowance yaml.Node `yaml:"allowance"` // a number, or a map bracket id → number
	Price     yaml.Node `yaml:"price"`
	Block     yaml.Node `yaml:"block"`

	allowance  decimal.Decimal            // when the same for every bracket
	byBracket  map[string]decimal.Decimal // else per bracket id
	price      decimal.Decimal
	block      decimal.Decimal
	countsOnly bool
}

// parseDeliberation reads a deliberation; errors name the file and line.
func parseDeliberation(name string, r io.Reader) (*deliberation, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var d deliberation
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	fail := func(line int, field, format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s: %s", name, line, field, fmt.Sprintf(format, a...))
	}
	// The line of a top-level key, for the errors about it.
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root) // decoded above: it cannot fail now
	top := func(key string) int {
		if len(root.Content) == 1 {
			m := root.Content[0].Content
			for i := 0; i+1 < len(m); i += 2 {
				if m[i].Value == key {
					return m[i].Line
				}
			}
		}
		return 1
	}
	if d.Contributions.From == 0 || d.Contributions.Through < d.Contributions.From {
		return nil, fail(top("contributions"), "contributions", "from %d through %d is not a range of years", d.Contributions.From, d.Contributions.Through)
	}
	if d.existingStart, err = time.Parse(time.DateOnly, d.ExistingUsersStart); err != nil {
		return nil, fail(top("existing_users_start"), "existing_users_start", "%q is not a date", d.ExistingUsersStart)
	}
	vat, ok := d.VAT[d.DefaultVAT]
	if !ok {
		return nil, fail(top("default_vat"), "default_vat", "no VAT treatment %q", d.DefaultVAT)
	}
	d.vatRate = decimal.Zero // outside the scope of VAT: no rate, no tax
	if vat.Rate != "" {
		if d.vatRate, err = decimal.NewFromString(vat.Rate); err != nil {
			return nil, fail(top("vat"), "vat."+d.DefaultVAT+".rate", "%q is not a decimal", vat.Rate)
		}
	}
	for offer, o := range d.Offers {
		for i := range o.Brackets {
			b := &o.Brackets[i]
			field := fmt.Sprintf("offers.%s.brackets[%d].amount", offer, i)
			if b.Refused != "" {
				continue
			}
			if b.amount, err = money(b.Amount); err != nil {
				return nil, fail(b.Amount.Line, field, "%v", err)
			}
		}
	}
	for i := range d.Services {
		s := &d.Services[i]
		field := fmt.Sprintf("services[%d]", i)
		s.countsOnly = s.Quantity == "count"
		if s.price, err = money(s.Price); err != nil {
			return nil, fail(s.Price.Line, field+".price", "%v", err)
		}
		if s.block, err = money(s.Block); err != nil || !s.block.IsPositive() {
			return nil, fail(s.Block.Line, field+".block", "want a positive number")
		}
		switch s.Allowance.Kind {
		case yaml.ScalarNode:
			s.allowance, err = money(s.Allowance)
		case yaml.MappingNode:
			s.byBracket = map[string]decimal.Decimal{}
			for j := 0; j+1 < len(s.Allowance.Content); j += 2 {
				var v decimal.Decimal
				if v, err = money(*s.Allowance.Content[j+1]); err != nil {
					break
				}
				s.byBracket[s.Allowance.Content[j].Value] = v
			}
		default:
			err = fmt.Errorf("want a number or a map of bracket → number")
		}
		if err != nil {
			return nil, fail(s.Allowance.Line, field+".allowance", "%v", err)
		}
	}
	return &d, nil
}

// money reads a non-negative decimal written as a YAML scalar.
func money(n yaml.Node) (decimal.Decimal, error) {
	if n.Kind != yaml.ScalarNode {
		return decimal.Decimal{}, fmt.Errorf("missing or not a number")
	}
	v, err := decimal.NewFromString(n.Value)
	if err != nil || v.IsNegative() {
		return decimal.Decimal{}, fmt.Errorf("%q is not a number ≥ 0", n.Value)
	}
	return v, nil
}

// bracketOf finds the one bracket of offer holding headcount. A bracket
// marked refused (teletransmission with 20 or more) is an error with its
// message, as the product's import refuses such a line.
func (d *deliberation) bracketOf(offer string, headcount int) (*bracket, error) {
	o, ok := d.Offers[offer]
	if !ok {
		return nil, fmt.Errorf("offer %q is not in the deliberation", offer)
	}
	var found *bracket
	for i := range o.Brackets {
		b := &o.Brackets[i]
		if headcount >= b.Min && (b.Max == nil || headcount <= *b.Max) {
			if found != nil {
				return nil, fmt.Errorf("headcount %d is in two brackets of %s (%s, %s)", headcount, offer, found.ID, b.ID)
			}
			found = b
		}
	}
	switch {
	case found == nil:
		return nil, fmt.Errorf("headcount %d is in no bracket of %s", headcount, offer)
	case found.Refused != "":
		return nil, fmt.Errorf("%s with %d employees: %s", offer, headcount, found.Refused)
	}
	return found, nil
}

// service returns the service of a code.
func (d *deliberation) service(code string) *service {
	for i := range d.Services {
		if d.Services[i].Code == code {
			return &d.Services[i]
		}
	}
	return nil
}

func (s *service) offered(offer string) bool {
	for _, o := range s.Offers {
		if o == offer {
			return true
		}
	}
	return false
}

func (s *service) allowanceFor(bracketID string) (decimal.Decimal, error) {
	if s.byBracket == nil {
		return s.allowance, nil
	}
	a, ok := s.byBracket[bracketID]
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("service %s has no allowance for bracket %s", s.Code, bracketID)
	}
	return a, nil
}
