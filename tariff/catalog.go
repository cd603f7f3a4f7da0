package tariff

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// Catalog is the set of deliberations in force, one per programme, each
// covering its own years without overlap.
type Catalog struct {
	deliberations []*Deliberation
}

// NewCatalog checks that no two deliberations cover the same year.
func NewCatalog(ds ...*Deliberation) (*Catalog, error) {
	if len(ds) == 0 {
		return nil, fmt.Errorf("no deliberation loaded")
	}
	sorted := append([]*Deliberation(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].FirstYear < sorted[j].FirstYear })
	for i := 1; i < len(sorted); i++ {
		if prev, d := sorted[i-1], sorted[i]; d.FirstYear <= prev.LastYear {
			return nil, fmt.Errorf("deliberations %s and %s both cover %d", prev.Source, d.Source, d.FirstYear)
		}
	}
	return &Catalog{deliberations: sorted}, nil
}

// LoadCatalog reads every *.yaml deliberation of a directory of fsys.
func LoadCatalog(fsys fs.FS, dir string) (*Catalog, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list deliberations in %s: %w", dir, err)
	}
	var ds []*Deliberation
	for _, name := range names {
		d, err := LoadDeliberation(fsys, name)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("no deliberation (*.yaml) in %s", dir)
	}
	return NewCatalog(ds...)
}

// LoadDeliberation reads and validates one deliberation file of fsys.
func LoadDeliberation(fsys fs.FS, name string) (*Deliberation, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read deliberation: %w", err)
	}
	return ParseDeliberation(name, data)
}

// For returns the deliberation covering a year.
func (c *Catalog) For(year int) (*Deliberation, error) {
	for _, d := range c.deliberations {
		if d.Covers(year) {
			return d, nil
		}
	}
	return nil, &OutsideConventionError{Year: year, Covered: c.covered()}
}

func (c *Catalog) covered() string {
	var parts []string
	for _, d := range c.deliberations {
		parts = append(parts, fmt.Sprintf("%d through %d", d.FirstYear, d.LastYear))
	}
	return strings.Join(parts, ", ")
}

// Contribution computes a contribution with the deliberation covering the year.
func (c *Catalog) Contribution(e Establishment, year int) (Quote, error) {
	d, err := c.For(year)
	if err != nil {
		return Quote{}, err
	}
	return d.Contribution(e, year)
}

// Overage computes an overage with the deliberation covering year n.
func (c *Catalog) Overage(e Establishment, year int, observed map[string]decimal.Decimal) (Quote, error) {
	d, err := c.For(year)
	if err != nil {
		return Quote{}, err
	}
	return d.Overage(e, year, observed)
}
