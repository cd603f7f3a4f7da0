package judge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// The figures below are computed by hand from DESIGN.md §1 and the grid of
// fixtures/deliberations/2025-2029.yaml, or copied from the README and the
// fixtures' README where they give one.

const (
	delibPath = "../../../fixtures/deliberations/2025-2029.yaml"
	sampleDir = "../../../fixtures/sample"
	badDir    = "../../../fixtures/bad"
	header    = "siret;name;offer;existing;convention_received;termination_received;headcount_2025;headcount_2026;headcount_2027"
)

func file(t *testing.T, path string) File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return File{Name: filepath.Base(path), R: f}
}

func text(name, s string) File { return File{Name: name, R: strings.NewReader(s)} }

// one bills a single establishment (SIRET 21350549800013, valid) described
// by the fields after the SIRET in header's order, with usage rows
// "service;quantity" of 2025.
func one(t *testing.T, fields string, year int, kind Kind, usage ...string) Expected {
	t.Helper()
	const siret = "21350549800013"
	var u strings.Builder
	u.WriteString("siret;year;service;quantity\n")
	for _, row := range usage {
		u.WriteString(siret + ";2025;" + row + "\n")
	}
	b, err := Load(file(t, delibPath), text("e.csv", header+"\n"+siret+";X;"+fields+"\n"), text("u.csv", u.String()))
	if err != nil {
		t.Fatal(err)
	}
	owed, err := b.Owed(year, kind)
	if err != nil {
		t.Fatal(err)
	}
	return owed[siret]
}

func TestOwed(t *testing.T) {
	cases := []struct {
		name   string
		fields string // offer;existing;received;terminated;h2025;h2026;h2027
		year   int
		kind   Kind
		usage  []string
		want   Outcome
		months int
		ht     string
		vat    string
		ttc    string
	}{
		// Every bracket edge, a full year of an existing user.
		{"bouquet 0", "bouquet;oui;;;0;0;0", 2025, Contribution, nil, Due, 12, "920", "184", "1104"},
		{"bouquet 19", "bouquet;oui;;;19;19;19", 2025, Contribution, nil, Due, 12, "920", "184", "1104"},
		{"bouquet 20", "bouquet;oui;;;20;20;20", 2025, Contribution, nil, Due, 12, "2012.50", "402.50", "2415"},
		{"bouquet 49", "bouquet;oui;;;49;49;49", 2025, Contribution, nil, Due, 12, "2012.50", "402.50", "2415"},
		{"bouquet 50", "bouquet;oui;;;50;50;50", 2025, Contribution, nil, Due, 12, "3450", "690", "4140"},
		{"bouquet 100", "bouquet;oui;;;100;100;100", 2025, Contribution, nil, Due, 12, "3450", "690", "4140"},
		{"bouquet 101", "bouquet;oui;;;101;101;101", 2025, Contribution, nil, Due, 12, "5175", "1035", "6210"},
		{"bouquet 1180", "bouquet;oui;;;1180;1195;1195", 2026, Contribution, nil, Due, 12, "5175", "1035", "6210"},
		{"teletransmission 0 is free", "teletransmission;oui;;;0;0;0", 2025, Contribution, nil, Free, 0, "", "", ""},
		{"teletransmission 1", "teletransmission;oui;;;1;1;1", 2025, Contribution, nil, Due, 12, "230", "46", "276"},
		{"teletransmission 19", "teletransmission;oui;;;19;19;19", 2025, Contribution, nil, Due, 12, "230", "46", "276"},
		// The headcount of the year billed picks the bracket (47 → 53).
		{"bracket of 2026", "bouquet;oui;;;47;53;53", 2026, Contribution, nil, Due, 12, "3450", "690", "4140"},

		// First years: from the 1st of the month after receipt.
		{"received 14/01: 11 months", "bouquet;non;2025-01-14;;33;33;33", 2025, Contribution, nil, Due, 11, "1844.79", "368.96", "2213.75"},
		{"README: 30 agents, received 15/03", "bouquet;non;2025-03-15;;30;30;30", 2025, Contribution, nil, Due, 9, "1509.38", "301.88", "1811.26"},
		{"received 31/03: from April", "bouquet;non;31/03/2025;;64;66;66", 2025, Contribution, nil, Due, 9, "2587.50", "517.50", "3105"},
		{"received 01/09: from October", "bouquet;non;2025-09-01;;170;172;172", 2025, Contribution, nil, Due, 3, "1293.75", "258.75", "1552.50"},
		{"DESIGN: 503.125 rounds up", "bouquet;non;2025-09-10;;30;30;30", 2025, Contribution, nil, Due, 3, "503.13", "100.63", "603.76"},
		{"one month, VAT rounds down", "bouquet;non;2025-11-20;;31;31;31", 2025, Contribution, nil, Due, 1, "167.71", "33.54", "201.25"},
		{"teletransmission from May", "teletransmission;non;2025-04-02;;8;8;8", 2025, Contribution, nil, Due, 8, "153.33", "30.67", "184"},
		{"four months", "bouquet;non;2025-08-25;;24;24;24", 2025, Contribution, nil, Due, 4, "670.83", "134.17", "805"},
		{"received in December: nothing in 2025", "bouquet;non;2025-12-08;;9;9;9", 2025, Contribution, nil, NothingDue, 0, "", "", ""},
		{"received in December: all of 2026", "bouquet;non;2025-12-08;;9;9;9", 2026, Contribution, nil, Due, 12, "920", "184", "1104"},
		{"received in 2026: nothing in 2025", "bouquet;non;2026-03-18;;62;62;62", 2025, Contribution, nil, NothingDue, 0, "", "", ""},
		{"received in 2026: 9 months", "bouquet;non;2026-03-18;;62;62;62", 2026, Contribution, nil, Due, 9, "2587.50", "517.50", "3105"},

		// Terminations: the later of notice end and first anniversary.
		{"Janzé 2025", "bouquet;non;2025-06-16;2026-02-10;58;58;58", 2025, Contribution, nil, Due, 6, "1725", "345", "2070"},
		{"Janzé 2026: to the anniversary", "bouquet;non;2025-06-16;2026-02-10;58;58;58", 2026, Contribution, nil, Due, 6, "1725", "345", "2070"},
		{"Janzé 2027: ended", "bouquet;non;2025-06-16;2026-02-10;58;58;58", 2027, Contribution, nil, NothingDue, 0, "", "", ""},
		{"README: 320 agents, notice to May", "bouquet;oui;;2027-03-10;320;320;320", 2027, Contribution, nil, Due, 5, "2156.25", "431.25", "2587.50"},
		{"README: EHPAD Ker Héol", "bouquet;oui;;2026-03-16;78;81;81", 2026, Contribution, nil, Due, 5, "1437.50", "287.50", "1725"},
		{"notice into next January", "bouquet;oui;;2025-11-15;58;58;58", 2026, Contribution, nil, Due, 1, "287.50", "57.50", "345"},
		{"notice ends on 1 January", "bouquet;oui;;2025-10-31;58;58;58", 2026, Contribution, nil, NothingDue, 0, "", "", ""},
		{"no headcount for the year", "bouquet;oui;;;58;;", 2026, Contribution, nil, NoHeadcount, 0, "", "", ""},

		// Overage of 2025: annual allowances of the 2025 bracket, started blocks.
		{"README: quote --examples, 80 agents", "bouquet;oui;;;80;80;80", 2025, Overage,
			[]string{"parapheur-circuits;9", "partage-storage;236.5", "signature-sms;1250", "backup-storage;730"}, Due, 0, "225", "45", "270"},
		{"640 agents, a started GB", "bouquet;oui;;;640;652;652", 2025, Overage,
			[]string{"backup-storage;1450", "archive-storage;312,4", "rdv-sms;2150"}, Due, 0, "752", "150.40", "902.40"},
		{"exactly the allowance", "bouquet;oui;;;49;47;47", 2025, Overage, []string{"signature-sms;200"}, NothingDue, 0, "", "", ""},
		{"a hundredth over: one block", "bouquet;oui;;;80;80;80", 2025, Overage, []string{"partage-storage;200.01"}, Due, 0, "15", "3", "18"},
		{"allowance of the 2025 bracket", "bouquet;oui;;;47;53;53", 2025, Overage, []string{"parapheur-circuits;7"}, Due, 0, "120", "24", "144"},
		{"first year not prorated", "bouquet;non;2025-06-16;;58;58;58", 2025, Overage, []string{"signature-sms;1000"}, Due, 0, "80", "16", "96"},
		{"not in service in 2025", "bouquet;non;2025-12-08;;9;9;9", 2025, Overage, []string{"signature-sms;1000"}, NothingDue, 0, "", "", ""},
		{"no usage", "bouquet;oui;;;80;80;80", 2025, Overage, nil, NothingDue, 0, "", "", ""},
		{"VAT rounds on the line sum", "bouquet;oui;;;80;80;80", 2025, Overage, []string{"rdv-sms;812"}, Due, 0, "40.96", "8.19", "49.15"},
		// Two lines of 0.08 each: VAT is round(0.16 × 20 %) = 0.03, not
		// round(0.016) + round(0.016) = 0.04.
		{"VAT per rate, not per line", "bouquet;oui;;;80;80;80", 2025, Overage, []string{"rdv-sms;301", "convocation-sms;501"}, Due, 0, "0.16", "0.03", "0.19"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := one(t, c.fields, c.year, c.kind, c.usage...)
			if got.Outcome != c.want {
				t.Fatalf("outcome %s, want %s", got.Outcome, c.want)
			}
			if c.want != Due {
				if got.Bill != nil || got.Invoices() != 0 {
					t.Fatalf("a bill when none is due: %+v", got.Bill)
				}
				return
			}
			b := got.Bill
			if got.Invoices() != 1 || b.Months != c.months || b.HT.String() != dec(c.ht) || b.VAT.String() != dec(c.vat) || b.TTC.String() != dec(c.ttc) {
				t.Fatalf("got %d invoice, %d months, HT %s VAT %s TTC %s; want %d months, HT %s VAT %s TTC %s",
					got.Invoices(), b.Months, b.HT, b.VAT, b.TTC, c.months, c.ht, c.vat, c.ttc)
			}
		})
	}
}

// dec writes a figure as decimal.Decimal.String does ("2415", "402.5").
func dec(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func TestOwedRefusesYearsOutsideTheConvention(t *testing.T) {
	b, err := Load(file(t, delibPath), file(t, sampleDir+"/establishments.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range []int{2024, 2030} {
		if _, err := b.Owed(y, Contribution); err == nil || !strings.Contains(err.Error(), "outside the convention") {
			t.Errorf("%d: %v, want outside the convention", y, err)
		}
	}
}

// TestLoadRejects reads the bad files of fixtures/bad (their README says
// the line and field of each problem) and a few more.
func TestLoadRejects(t *testing.T) {
	est := func(t *testing.T, name string) (File, []File) { return file(t, badDir+"/"+name), nil }
	use := func(t *testing.T, name string) (File, []File) {
		return file(t, sampleDir+"/establishments.csv"), []File{file(t, badDir+"/"+name)}
	}
	cases := []struct {
		in   func(t *testing.T, name string) (File, []File)
		file string
		want string
	}{
		{est, "establishments-invalid-siret.csv", "establishments-invalid-siret.csv:3: siret:"},
		{est, "establishments-impossible-date.csv", "establishments-impossible-date.csv:3: convention_received:"},
		{est, "establishments-duplicate-row.csv", "establishments-duplicate-row.csv:5: siret:"},
		{est, "establishments-unknown-offer.csv", "establishments-unknown-offer.csv:4: offer:"},
		{est, "establishments-negative-headcount.csv", "establishments-negative-headcount.csv:3: headcount_2025:"},
		{use, "usage-unknown-establishment.csv", "usage-unknown-establishment.csv:4: siret:"},
		{use, "usage-unknown-service.csv", "usage-unknown-service.csv:3: service:"},
		{use, "usage-negative-quantity.csv", "usage-negative-quantity.csv:4: quantity:"},
		{use, "usage-non-numeric-quantity.csv", "usage-non-numeric-quantity.csv:3: quantity:"},
		{use, "usage-ambiguous-count.csv", "usage-ambiguous-count.csv:3: quantity:"},
		{use, "usage-fractional-count.csv", "usage-fractional-count.csv:4: quantity:"},
		{use, "usage-quantity-too-large.csv", "usage-quantity-too-large.csv:3: quantity:"},
		{use, "usage-duplicate-row.csv", "usage-duplicate-row.csv:5: service:"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			e, u := c.in(t, c.file)
			_, err := Load(file(t, delibPath), e, u...)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want exactly one problem: %s…", err, c.want)
			}
		})
	}

	more := []struct {
		name           string
		delib, e, u    string
		want           string
		replaceInDelib [2]string
	}{
		{name: "teletransmission with 20", e: "21350549800013;X;teletransmission;oui;;;19;20;20", want: "e.csv:2: headcount_2026: teletransmission with 20 employees"},
		{name: "usage of a teletransmission establishment", e: "21350549800013;X;teletransmission;oui;;;5;5;5", u: "21350549800013;2025;signature-sms;300", want: "u.csv:2: service:"},
		{name: "convention date missing", e: "21350549800013;X;bouquet;non;;;5;5;5", want: "e.csv:2: convention_received: required"},
		{name: "usage of a year outside", e: "21350549800013;X;bouquet;oui;;;5;5;5", u: "21350549800013;2030;signature-sms;300", want: "u.csv:2: year:"},
		{name: "a key the judge does not know", e: "21350549800013;X;bouquet;oui;;;5;5;5",
			replaceInDelib: [2]string{`amount: "920.00" }`, `amount: "920.00", vat: hors-champ }`}, want: "2025-2029.yaml: yaml: unmarshal errors:\n  line 47: field vat not found"},
		{name: "a negative amount", e: "21350549800013;X;bouquet;oui;;;5;5;5",
			replaceInDelib: [2]string{`amount: "920.00"`, `amount: "-920.00"`}, want: "2025-2029.yaml:47: offers.bouquet.brackets[0].amount:"},
	}
	for _, c := range more {
		t.Run(c.name, func(t *testing.T) {
			data, err := os.ReadFile(delibPath)
			if err != nil {
				t.Fatal(err)
			}
			d := string(data)
			if c.replaceInDelib[0] != "" {
				if !strings.Contains(d, c.replaceInDelib[0]) {
					t.Fatal("the deliberation changed: fix the test")
				}
				d = strings.Replace(d, c.replaceInDelib[0], c.replaceInDelib[1], 1)
			}
			_, err = Load(text("2025-2029.yaml", d), text("e.csv", header+"\n"+c.e+"\n"), text("u.csv", "siret;year;service;quantity\n"+c.u+"\n"))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("got %v, want %s…", err, c.want)
			}
		})
	}
}

func TestDifference(t *testing.T) {
	// A first year of 10 months billed for 20-49 agents, the headcount
	// corrected down to 0-19 afterwards: 1677.08 HT issued, 766.67 owed.
	issued := one(t, "bouquet;non;2025-02-03;;26;26;26", 2025, Contribution).Bill
	owed := one(t, "bouquet;non;2025-02-03;;12;12;12", 2025, Contribution).Bill
	credit, complement := Difference(*issued, owed)
	if len(complement.Lines) != 0 || len(credit.Lines) != 1 {
		t.Fatalf("credit %+v, complement %+v", credit, complement)
	}
	// 910.41 HT, VAT round(182.082) = 182.08: the invoice less its credit
	// note is 766.67 HT exactly, but 335.42 − 182.08 = 153.34 of VAT where
	// the owed figure is round(153.334) = 153.33.
	if credit.HT.String() != "910.41" || credit.VAT.String() != "182.08" || credit.TTC.String() != "1092.49" {
		t.Errorf("credit note %s HT %s VAT %s TTC, want 910.41, 182.08, 1092.49", credit.HT, credit.VAT, credit.TTC)
	}
	if net := issued.HT.Sub(credit.HT); !net.Equal(owed.HT) {
		t.Errorf("net HT %s, owed %s", net, owed.HT)
	}
	if net := issued.TTC.Sub(credit.TTC); net.String() != "920.01" || owed.TTC.String() != "920" {
		t.Errorf("net TTC %s, owed %s: want 920.01 and 920", net, owed.TTC)
	}

	// Overage: one service up, one down, one gone.
	was := Bill{Lines: []Line{{"a", dd("10"), dd("20")}, {"b", dd("5"), dd("20")}, {"c", dd("1"), dd("20")}}}
	is := &Bill{Lines: []Line{{"a", dd("12"), dd("20")}, {"b", dd("4"), dd("20")}}}
	credit, complement = Difference(was, is)
	if credit.HT.String() != "2" || complement.HT.String() != "2" || len(credit.Lines) != 2 || len(complement.Lines) != 1 {
		t.Errorf("credit %+v, complement %+v", credit, complement)
	}
	// Nothing owed any more: the whole invoice is credited.
	if credit, _ := Difference(*issued, nil); !credit.TTC.Equal(issued.TTC) {
		t.Errorf("credit %s, want %s", credit.TTC, issued.TTC)
	}
}

func dd(s string) decimal.Decimal { return decimal.RequireFromString(s) }
