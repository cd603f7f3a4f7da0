package tariff

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestOverage(t *testing.T) {
	d := loadFixture(t)
	bouquet := func(n int) Establishment { return Establishment{Offer: OfferBouquet, Headcount: n, Existing: true} }
	type line struct{ code, qty, amount string }
	tests := []struct {
		name  string
		e     Establishment
		usage map[string]string
		lines []line
		ht    string
		vat   string
		rows  int
	}{
		{"allowance exactly reached", bouquet(30), map[string]string{"partage-storage": "100"}, nil, "0.00", "0.00", 1},
		{"half a GB over starts a block", bouquet(30), map[string]string{"partage-storage": "100.5"}, []line{{"partage-storage", "1", "15.00"}}, "15.00", "3.00", 1},
		{"a full block", bouquet(30), map[string]string{"partage-storage": "110"}, []line{{"partage-storage", "1", "15.00"}}, "15.00", "3.00", 1},
		{"a block and a bit", bouquet(30), map[string]string{"partage-storage": "110.01"}, []line{{"partage-storage", "2", "30.00"}}, "30.00", "6.00", 1},
		{"decimal storage against 20 GB", bouquet(10), map[string]string{"archive-storage": "20.5"}, []line{{"archive-storage", "1", "8.00"}}, "8.00", "1.60", 1},
		{"allowance by bracket 19/20", bouquet(19), map[string]string{"parapheur-circuits": "5"}, []line{{"parapheur-circuits", "2", "120.00"}}, "120.00", "24.00", 1},
		{"allowance by bracket 20", bouquet(20), map[string]string{"parapheur-circuits": "5"}, nil, "0.00", "0.00", 1},
		{"allowance by bracket 100", bouquet(100), map[string]string{"partage-users": "51"}, []line{{"partage-users", "1", "12.00"}}, "12.00", "2.40", 1},
		{"allowance by bracket 101", bouquet(101), map[string]string{"partage-users": "51"}, nil, "0.00", "0.00", 1},
		{"flat allowance, unit price in cents", bouquet(500), map[string]string{"signature-sms": "245"}, []line{{"signature-sms", "45", "4.50"}}, "4.50", "0.90", 1},
		{"VAT half-cent rounds up", bouquet(5), map[string]string{"convocation-sms": "501"}, []line{{"convocation-sms", "1", "0.08"}}, "0.08", "0.02", 1},
		{"blocks of 1000 documents", bouquet(5), map[string]string{"opendata-docs": "2001"}, []line{{"opendata-docs", "2", "50.00"}}, "50.00", "10.00", 1},
		{"several services in deliberation order", bouquet(60), map[string]string{
			"backup-storage": "501", "rdv-sms": "300", "vault-accounts": "53", "signature-sms": "201",
		}, []line{{"signature-sms", "1", "0.10"}, {"vault-accounts", "3", "45.00"}, {"backup-storage", "1", "20.00"}}, "65.10", "13.02", 4},
		{"1500 SMS (the reported case: not 1.5)", bouquet(30), map[string]string{"signature-sms": "1500"}, []line{{"signature-sms", "1300", "130.00"}}, "130.00", "26.00", 1},
		{"a count at the largest quantity", bouquet(30), map[string]string{"signature-sms": "1000000000000"},
			[]line{{"signature-sms", "999999999800", "99999999980.00"}}, "99999999980.00", "19999999996.00", 1},
		{"a measure in blocks at the largest quantity", bouquet(30), map[string]string{"partage-storage": "1000000000000"},
			[]line{{"partage-storage", "99999999990", "1499999999850.00"}}, "1499999999850.00", "299999999970.00", 1},
		{"a measure just below the largest quantity, with a fraction", bouquet(30), map[string]string{"backup-storage": "999999999999.5"},
			[]line{{"backup-storage", "9999999998", "199999999960.00"}}, "199999999960.00", "39999999992.00", 1},
		{"every service at the largest quantity", bouquet(101), map[string]string{
			"parapheur-circuits": "1000000000000", "partage-users": "1000000000000", "partage-storage": "1000000000000",
			"signature-sms": "1000000000000", "convocation-sms": "1000000000000", "rdv-sms": "1000000000000",
			"archive-storage": "1000000000000", "opendata-docs": "1000000000000", "vault-accounts": "1000000000000",
			"backup-storage": "1000000000000",
		}, []line{
			{"parapheur-circuits", "999999999980", "59999999998800.00"}, {"partage-users", "999999999900", "11999999998800.00"},
			{"partage-storage", "99999999950", "1499999999250.00"}, {"signature-sms", "999999999800", "99999999980.00"},
			{"convocation-sms", "999999999500", "79999999960.00"}, {"rdv-sms", "999999999700", "79999999976.00"},
			{"archive-storage", "999999999750", "7999999998000.00"}, {"opendata-docs", "999999990", "24999999750.00"},
			{"vault-accounts", "999999999900", "14999999998500.00"}, {"backup-storage", "9999999990", "199999999800.00"},
		}, "96984999992816.00", "19396999998563.20", 10},
		{"no service in year n", Establishment{Offer: OfferBouquet, Headcount: 30, Received: day("2025-12-05")}, map[string]string{"partage-storage": "900"}, nil, "0.00", "0.00", 0},
		{"teletransmission without usage", Establishment{Offer: OfferTeletransmission, Headcount: 3, Existing: true}, nil, nil, "0.00", "0.00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			usage := map[string]decimal.Decimal{}
			for k, v := range tt.usage {
				usage[k] = dec(v)
			}
			q, err := d.Overage(tt.e, 2025, usage)
			if err != nil {
				t.Fatal(err)
			}
			var got []line
			for _, l := range q.Lines {
				got = append(got, line{l.Code, l.Quantity.String(), l.Amount.StringFixed(2)})
				if l.Usage == nil || l.Usage.Blocks != l.Quantity.IntPart() {
					t.Errorf("line %s has no statement or a wrong one: %+v", l.Code, l.Usage)
				}
			}
			if len(got) != len(tt.lines) {
				t.Fatalf("lines = %v, want %v", got, tt.lines)
			}
			for i := range got {
				if got[i] != tt.lines[i] {
					t.Errorf("line %d = %v, want %v", i, got[i], tt.lines[i])
				}
			}
			if q.Totals.HT.StringFixed(2) != tt.ht || q.Totals.VAT.StringFixed(2) != tt.vat {
				t.Errorf("HT %s VAT %s, want %s %s", q.Totals.HT.StringFixed(2), q.Totals.VAT.StringFixed(2), tt.ht, tt.vat)
			}
			if len(q.Statement) != tt.rows {
				t.Errorf("statement has %d rows, want %d", len(q.Statement), tt.rows)
			}
		})
	}
}

func TestOverageStatement(t *testing.T) {
	d := loadFixture(t)
	q, err := d.Overage(Establishment{Offer: OfferBouquet, Headcount: 30, Existing: true}, 2026,
		map[string]decimal.Decimal{"partage-storage": dec("120.5"), "partage-users": dec("20")})
	if err != nil {
		t.Fatal(err)
	}
	// Statement rows follow the deliberation: users, then storage.
	users, storage := q.Statement[0], q.Statement[1]
	if users.Code != "partage-users" || !users.Usage.Excess.IsZero() || !users.Amount.IsZero() {
		t.Errorf("users row = %+v", users)
	}
	u := storage.Usage
	if !u.Observed.Equal(dec("120.5")) || !u.Allowance.Equal(dec("100")) || !u.Excess.Equal(dec("20.5")) || u.Blocks != 3 || storage.Amount.StringFixed(2) != "45.00" {
		t.Errorf("storage row = %+v amount %s", u, storage.Amount)
	}
	if want := "Dépassement 2026 — Espace collaboratif : stockage : 120,5 Go consommés pour 100 Go inclus, 3 blocs de 10 Go entamés"; q.Lines[0].Label != want {
		t.Errorf("label = %q\nwant    %q", q.Lines[0].Label, want)
	}
	if fmtDay(q.From) != "2026-01-01" || fmtDay(q.To) != "2026-12-31" {
		t.Errorf("period %s..%s", fmtDay(q.From), fmtDay(q.To))
	}
}

func TestOverageRefused(t *testing.T) {
	d := loadFixture(t)
	tests := []struct {
		name  string
		e     Establishment
		year  int
		usage map[string]string
		want  string
	}{
		{"teletransmission has no services", Establishment{Offer: OfferTeletransmission, Headcount: 3, Existing: true}, 2025, map[string]string{"signature-sms": "300"}, "usage signature-sms: the teletransmission offer has no usage-billed services"},
		{"unknown service", Establishment{Offer: OfferBouquet, Headcount: 3, Existing: true}, 2025, map[string]string{"fax-pages": "3"}, "usage fax-pages: unknown service code"},
		{"negative quantity", Establishment{Offer: OfferBouquet, Headcount: 3, Existing: true}, 2025, map[string]string{"rdv-sms": "-1"}, "usage rdv-sms: quantity -1 is negative"},
		{"a fraction of a count", Establishment{Offer: OfferBouquet, Headcount: 3, Existing: true}, 2025, map[string]string{"signature-sms": "1.5"},
			"usage signature-sms: quantity 1.5 is not a whole number: signature-sms is a count of SMS, whole numbers only"},
		{"one more than the largest quantity", Establishment{Offer: OfferBouquet, Headcount: 3, Existing: true}, 2025, map[string]string{"signature-sms": "1000000000001"},
			"usage signature-sms: quantity 1000000000001 is more than the largest quantity accepted, 1000000000000 (10^12) SMS"},
		{"a quantity that overflowed the block count", Establishment{Offer: OfferBouquet, Headcount: 3, Existing: true}, 2025, map[string]string{"partage-storage": "100000000000000000000000"},
			"usage partage-storage: quantity 100000000000000000000000 is more than the largest quantity accepted"},
		{"year past the convention", Establishment{Offer: OfferBouquet, Headcount: 3, Existing: true}, 2030, map[string]string{"rdv-sms": "1"}, "year 2030 is outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			usage := map[string]decimal.Decimal{}
			for k, v := range tt.usage {
				usage[k] = dec(v)
			}
			_, err := d.Overage(tt.e, tt.year, usage)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			var ue *UsageError
			if strings.HasPrefix(tt.want, "usage") && !errors.As(err, &ue) {
				t.Errorf("err %T is not a *UsageError", err)
			}
		})
	}
}

// A quantity a service cannot have is a *QuantityError saying which problem,
// under the *UsageError naming the service.
func TestOverageQuantityError(t *testing.T) {
	d := loadFixture(t)
	e := Establishment{Offer: OfferBouquet, Headcount: 3, Existing: true}
	for qty, want := range map[string]QuantityProblem{"-1": QuantityNegative, "1.5": QuantityFractional, "1e13": QuantityTooLarge} {
		_, err := d.Overage(e, 2025, map[string]decimal.Decimal{"rdv-sms": dec(qty)})
		var qe *QuantityError
		if !errors.As(err, &qe) || qe.Problem != want || qe.Service != "rdv-sms" {
			t.Errorf("%s: err = %v, want problem %d", qty, err, want)
		}
	}
}

// Whatever a deliberation's prices and blocks, the block count and the
// amount in cents are int64 in the books: an overage beyond that is refused,
// never wrapped round to a negative figure.
func TestOverageTooLargeToBill(t *testing.T) {
	orig, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	e := Establishment{Offer: OfferBouquet, Headcount: 30, Existing: true}
	tests := []struct {
		name, old, new, code, want string
	}{
		{"tiny blocks", "    block: 10\n", "    block: 0.0000000001\n", "partage-storage",
			"usage partage-storage: 9999999999000000000000 blocks of 0.0000000001 Go are too many to bill"},
		{"a huge price", `price: "0.10"`, `price: "100000000"`, "signature-sms",
			"usage signature-sms: 999999999800 blocks at 100000000 € make 99999999980000000000 €, too large an amount to bill"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDeliberation("x.yaml", []byte(strings.Replace(string(orig), tt.old, tt.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Overage(e, 2025, map[string]decimal.Decimal{tt.code: dec("1000000000000")})
			var ue *UsageError
			if !errors.As(err, &ue) || err.Error() != tt.want {
				t.Errorf("err = %v\nwant   %s", err, tt.want)
			}
		})
	}
}

func TestFitsInt64(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "9223372036854775807": true, "9223372036854775808": false,
		"-9223372036854775808": true, "-9223372036854775809": false, "1.5": false, "1e30": false,
	} {
		if got := fitsInt64(dec(s)); got != want {
			t.Errorf("fitsInt64(%s) = %v", s, got)
		}
	}
}
