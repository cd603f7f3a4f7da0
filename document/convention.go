package document

import (
	"fmt"
	"time"
)

// Convention is the reference of the convention the invoices bill under,
// with the deliberation that approved it: its number is the contract
// reference (BT-12, Chorus Pro's numéro de marché), and every document
// states the deliberation (a note in the XML, the references block of the
// PDF).
type Convention struct {
	// Number is the convention's own number, e.g. "2025-004".
	Number string `yaml:"number" json:"number"`
	// Deliberation is the number of the deliberation that approved it,
	// e.g. "2024-33".
	Deliberation string `yaml:"deliberation" json:"deliberation"`
	// DeliberationDate is the deliberation's date, YYYY-MM-DD.
	DeliberationDate string `yaml:"deliberation_date" json:"deliberation_date"`
}

// IsZero reports whether no convention is referenced.
func (c Convention) IsZero() bool { return c == Convention{} }

// check says what is missing or malformed.
func (c Convention) check() error {
	switch {
	case c.Number == "":
		return fmt.Errorf("convention.number is required")
	case c.Deliberation == "":
		return fmt.Errorf("convention.deliberation is required")
	}
	if _, err := time.Parse(time.DateOnly, c.DeliberationDate); err != nil {
		return fmt.Errorf("convention.deliberation_date %q: a date YYYY-MM-DD is required", c.DeliberationDate)
	}
	if err := FieldContract.Check(c.Number); err != nil {
		return fmt.Errorf("convention.number: %w", err)
	}
	return nil
}

// Approval is the deliberation as the documents state it:
// "délibération n° 2024-33 du 15/11/2024".
func (c Convention) Approval() string {
	s := "délibération n° " + c.Deliberation
	if d, err := time.Parse(time.DateOnly, c.DeliberationDate); err == nil {
		s += " du " + d.Format("02/01/2006")
	}
	return s
}

// Mention is the sentence the documents carry:
// "Convention n° 2025-004 (délibération n° 2024-33 du 15/11/2024)."
func (c Convention) Mention() string {
	if c.IsZero() {
		return ""
	}
	return fmt.Sprintf("Convention n° %s (%s).", c.Number, c.Approval())
}
