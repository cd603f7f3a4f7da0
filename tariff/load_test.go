package tariff

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadFixture(t *testing.T) {
	d := loadFixture(t)
	if d.FirstYear != 2025 || d.LastYear != 2029 || d.PaymentTermDays != 30 || d.NoticeMonths != 2 || d.MinimumTermMonths != 12 {
		t.Errorf("terms = %d-%d, %d days, notice %d, minimum %d", d.FirstYear, d.LastYear, d.PaymentTermDays, d.NoticeMonths, d.MinimumTermMonths)
	}
	if got := fmtDay(d.ConventionEnd()); got != "2030-01-01" {
		t.Errorf("convention end = %s", got)
	}
	if n := len(d.Services); n != 10 {
		t.Errorf("%d services, want 10", n)
	}
	if codes := d.ServiceCodes(OfferTeletransmission); len(codes) != 0 {
		t.Errorf("teletransmission has services %v", codes)
	}
	s, _ := d.Service("partage-storage")
	if !s.Block.Equal(dec("10")) || !s.Price.Equal(dec("15.00")) || !s.Allowance["50-100"].Equal(dec("200")) || s.VAT.Percent.String() != "20" {
		t.Errorf("partage-storage = %+v", s)
	}
}

// Each broken copy of the shipped file must be refused with the file, the line
// and the field at fault.
func TestLoadRejects(t *testing.T) {
	orig, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		old, new  string
		wantError string
	}{
		{"gap between brackets",
			`min: 20, max: 49,  amount: "2012.50"`, `min: 21, max: 49,  amount: "2012.50"`,
			`x.yaml:48: offers.bouquet.brackets[1].min: is 21, expected 20: a gap between brackets`},
		{"overlapping brackets",
			`min: 50, max: 100, amount: "3450.00"`, `min: 45, max: 100, amount: "3450.00"`,
			`x.yaml:49: offers.bouquet.brackets[2].min: is 45, expected 50: an overlap between brackets`},
		{"negative amount",
			`amount: "920.00"`, `amount: "-920.00"`,
			`x.yaml:47: offers.bouquet.brackets[0].amount: -920.00 must not be negative`},
		{"amount not a number",
			`amount: "920.00"`, `amount: "920,00"`,
			`x.yaml:47: offers.bouquet.brackets[0].amount: "920,00" is not a decimal amount`},
		{"closed last bracket",
			`min: 101,          amount: "5175.00"`, `min: 101, max: 500, amount: "5175.00"`,
			`x.yaml:50: offers.bouquet.brackets[3].max: the last bracket must have no max`},
		{"missing offer",
			"  teletransmission:\n    label:", "  teletransmissio:\n    label:",
			`x.yaml:51: offers: unknown offer "teletransmissio"`},
		{"misspelt key",
			"payment_term_days: 30", "payment_terms_days: 30",
			`x.yaml:31: unknown key "payment_terms_days"`},
		{"misspelt bracket key",
			`{ id: "0-19",   label: "moins de 20 agents",   min: 0,  max: 19,  amount: "920.00" }`, `{ id: "0-19",   label: "moins de 20 agents",   min: 0,  max: 19,  amont: "920.00" }`,
			`x.yaml:47: offers.bouquet.brackets[0]: unknown key "amont"`},
		{"unknown VAT reference",
			"default_vat: standard", "default_vat: normal",
			`x.yaml:41: default_vat: unknown VAT rate "normal" (defined: hors-champ, standard)`},
		{"outside-scope VAT without mention",
			`    mention: "TVA non applicable`, `    rate: "0"
    comment: "TVA non applicable`,
			`x.yaml:41: vat.hors-champ: unknown key "comment"`},
		{"VAT rate of 120 %",
			`rate: "20.00"`, `rate: "120.00"`,
			`vat.standard: standard VAT rate must be between 0 and 100 %`},
		{"allowance missing a bracket",
			`allowance: { "0-19": 3, "20-49": 5, "50-100": 10, "101+": 20 }`, `allowance: { "0-19": 3, "20-49": 5, "50-100": 10 }`,
			`x.yaml:78: services.parapheur-circuits.allowance: no allowance for bracket "101+"`},
		{"allowance for an unknown bracket",
			`allowance: { "0-19": 3, "20-49": 5, "50-100": 10, "101+": 20 }`, `allowance: { "0-19": 3, "20-49": 5, "50-100": 10, "101+": 20, "1000+": 40 }`,
			`x.yaml:78: services.parapheur-circuits.allowance: "1000+" is not a bracket`},
		{"zero block",
			"    block: 10\n", "    block: 0\n",
			`x.yaml:96: services.partage-storage.block: must be greater than 0`},
		{"duplicate service",
			"code: partage-users", "code: parapheur-circuits",
			`x.yaml:81: services.parapheur-circuits: service code is used twice`},
		{"unknown unit kind",
			"    unit: circuit\n    quantity: count\n", "    unit: circuit\n    quantity: countable\n",
			`x.yaml:76: services.parapheur-circuits.quantity: "countable" is neither count (whole numbers: SMS, users…) nor measure (decimals: GB…)`},
		{"unit kind not a scalar",
			"    unit: circuit\n    quantity: count\n", "    unit: circuit\n    quantity: [count]\n",
			`x.yaml:76: services.parapheur-circuits.quantity: must be a single value`},
		{"fractional allowance of a count",
			"    allowance: 200\n", "    allowance: 200.5\n",
			`x.yaml:102: services.signature-sms.allowance: 200.5 is not a whole number: signature-sms is a count of SMS, whole numbers only`},
		{"fractional allowance of a count, by bracket",
			`"0-19": 10, "20-49": 25,`, `"0-19": 10, "20-49": 25.5,`,
			`x.yaml:86: services.partage-users.allowance.20-49: 25.5 is not a whole number: partage-users is a count of utilisateur`},
		{"fractional block of a count",
			"    allowance: 200\n    price: \"0.10\"\n    block: 1\n", "    allowance: 200\n    price: \"0.10\"\n    block: 0.5\n",
			`x.yaml:104: services.signature-sms.block: 0.5 is not a whole number: signature-sms is a count of SMS`},
		{"allowance beyond the largest quantity",
			"    allowance: 200\n", "    allowance: 1000000000001\n",
			`x.yaml:102: services.signature-sms.allowance: 1000000000001 is more than the largest quantity accepted, 1000000000000 (10^12) SMS`},
		{"negative allowance",
			"    allowance: 200\n", "    allowance: -1\n",
			`x.yaml:102: services.signature-sms.allowance: -1 is negative`},
		{"allowance not a number",
			"    allowance: 200\n", "    allowance: 2 00\n",
			`x.yaml:102: services.signature-sms.allowance: "2 00" is not a quantity`},
		{"block beyond the largest quantity",
			"    block: 10\n", "    block: 1000000000001\n",
			`x.yaml:96: services.partage-storage.block: 1000000000001 is more than the largest quantity, 1000000000000`},
		{"years reversed",
			"  through: 2029", "  through: 2024",
			`x.yaml:20: contributions.through: 2024 is before from 2025`},
		{"not YAML",
			"offers:\n", "offers:\n  - [\n",
			`x.yaml:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(string(orig), tt.old) {
				t.Fatalf("fixture no longer contains %q", tt.old)
			}
			broken := strings.Replace(string(orig), tt.old, tt.new, 1)
			_, err := ParseDeliberation("x.yaml", []byte(broken))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.wantError) {
				t.Errorf("err = %v\nwant it to contain %s", err, tt.wantError)
			}
			var le *LoadError
			if !errors.As(err, &le) || le.File != "x.yaml" {
				t.Errorf("err is %T, not a *LoadError naming the file", err)
			}
		})
	}
}

func TestCatalog(t *testing.T) {
	orig, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	next := strings.NewReplacer("from: 2025", "from: 2030", "through: 2029", "through: 2034", "existing_users_start: 2025-01-01", "existing_users_start: 2030-01-01", `"920.00"`, `"1000.00"`).Replace(string(orig))
	fsys := fstest.MapFS{
		"d/2025-2029.yaml": {Data: orig},
		"d/2030-2034.yaml": {Data: []byte(next)},
	}
	c, err := LoadCatalog(fsys, "d")
	if err != nil {
		t.Fatal(err)
	}
	e := Establishment{Offer: OfferBouquet, Headcount: 3, Existing: true}
	for year, want := range map[int]string{2029: "920.00", 2031: "1000.00"} {
		q, err := c.Contribution(e, year)
		if err != nil || q.Totals.HT.StringFixed(2) != want {
			t.Errorf("%d: %v %v, want %s", year, q.Totals.HT, err, want)
		}
	}
	if _, err := c.Contribution(e, 2035); err == nil || !strings.Contains(err.Error(), "2025 through 2029, 2030 through 2034") {
		t.Errorf("2035: %v", err)
	}
	fsys["d/overlap.yaml"] = &fstest.MapFile{Data: orig}
	if _, err := LoadCatalog(fsys, "d"); err == nil || !strings.Contains(err.Error(), "both cover 2025") {
		t.Errorf("overlap: %v", err)
	}
	if _, err := LoadCatalog(fsys, "empty"); err == nil {
		t.Error("empty directory accepted")
	}
}

// Every service of the shipped file says what its quantities are; a file
// that does not say (written before unit kinds) loads with measures, as
// quantities were read then; a measure may have a fractional allowance.
func TestUnitKinds(t *testing.T) {
	d := loadFixture(t)
	want := map[string]UnitKind{
		"parapheur-circuits": UnitCount, "partage-users": UnitCount, "partage-storage": UnitMeasure,
		"signature-sms": UnitCount, "convocation-sms": UnitCount, "rdv-sms": UnitCount,
		"archive-storage": UnitMeasure, "opendata-docs": UnitCount, "vault-accounts": UnitCount,
		"backup-storage": UnitMeasure,
	}
	for _, s := range d.Services {
		if s.Kind != want[s.Code] {
			t.Errorf("%s is a %q, want %q", s.Code, s.Kind, want[s.Code])
		}
	}
	orig, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	older := strings.NewReplacer("    quantity: count\n", "", "    quantity: measure\n", "").Replace(string(orig))
	if older == string(orig) {
		t.Fatal("fixture has no quantity key")
	}
	old, err := ParseDeliberation("old.yaml", []byte(older))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range old.Services {
		if s.Kind != UnitMeasure {
			t.Errorf("%s without quantity is a %q, want measure", s.Code, s.Kind)
		}
	}
	half := strings.Replace(string(orig), `"0-19": 50, "20-49": 100,`, `"0-19": 50.5, "20-49": 100,`, 1)
	m, err := ParseDeliberation("half.yaml", []byte(half))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := m.Service("partage-storage"); !s.Allowance["0-19"].Equal(dec("50.5")) {
		t.Errorf("partage-storage allowance = %v", s.Allowance)
	}
}

func TestParseUnitKind(t *testing.T) {
	for in, want := range map[string]UnitKind{"count": UnitCount, "measure": UnitMeasure, "Count": "", "": "", "decimal": ""} {
		got, err := ParseUnitKind(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ParseUnitKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
