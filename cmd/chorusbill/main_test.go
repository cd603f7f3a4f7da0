package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs a command line as the binary would, with an empty environment
// unless one is given.
func runCLI(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, func(k string) string { return environ[k] })
	return code, out.String(), errb.String()
}

func TestQuoteJSON(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want map[string]any // top-level fields that must be present with this value
		line map[string]any // fields of lines[0], when a line is expected
	}{
		{"prorated first year",
			[]string{"--year", "2025", "--headcount", "30", "--received", "2025-03-15"},
			map[string]any{"kind": "contribution", "year": 2025.0, "months": 9.0, "service_start": "2025-04-01", "service_end": nil,
				"total_ht": "1509.38", "total_vat": "301.88", "total_ttc": "1811.26", "free": false},
			map[string]any{"code": "contribution-bouquet", "quantity": "9", "unit_price": "2012.50", "amount": "1509.38", "vat_rate": "20.00"}},
		{"French date and termination",
			[]string{"--year", "2026", "--headcount", "60", "--existing", "--termination-received", "10/03/2026"},
			map[string]any{"months": 5.0, "service_start": "2025-01-01", "service_end": "2026-06-01", "total_ht": "1437.50"},
			map[string]any{"quantity": "5", "unit_price": "3450.00", "base_quantity": "12"}},
		{"free",
			[]string{"--year", "2025", "--headcount", "0", "--offer", "teletransmission", "--existing"},
			map[string]any{"free": true, "total_ht": "0.00", "total_ttc": "0.00", "months": 12.0}, nil},
		{"nothing due that year",
			[]string{"--year", "2025", "--headcount", "10", "--received", "2025-12-10"},
			map[string]any{"free": false, "total_ht": "0.00", "months": 0.0, "service_start": "2026-01-01", "period_start": nil}, nil},
		{"overage",
			[]string{"--kind", "overage", "--year", "2025", "--headcount", "30", "--usage", "partage-storage=120,5", "--usage", "signature-sms=200"},
			map[string]any{"kind": "overage", "total_ht": "45.00", "total_vat": "9.00", "total_ttc": "54.00", "period_start": "2025-01-01", "period_end": "2025-12-31"},
			map[string]any{"code": "partage-storage", "quantity": "3", "unit_price": "15.00", "amount": "45.00"}},
		{"overage within allowance",
			[]string{"--kind", "overage", "--year", "2025", "--headcount", "30", "--usage", "partage-storage=100"},
			map[string]any{"total_ht": "0.00"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, nil, append([]string{"quote", "--json"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			for k, v := range tt.want {
				if gv, ok := got[k]; !ok || gv != v {
					t.Errorf("%s = %v (present %v), want %v", k, gv, ok, v)
				}
			}
			lines, _ := got["lines"].([]any)
			if tt.line == nil {
				if len(lines) != 0 {
					t.Errorf("lines = %v, want none", lines)
				}
				return
			}
			if len(lines) == 0 {
				t.Fatal("no line")
			}
			l := lines[0].(map[string]any)
			for k, v := range tt.line {
				if l[k] != v {
					t.Errorf("lines[0].%s = %v, want %v", k, l[k], v)
				}
			}
			for _, k := range []string{"code", "label", "quantity", "unit_price", "amount", "vat_rate"} {
				if _, ok := l[k]; !ok {
					t.Errorf("lines[0] lacks %s", k)
				}
			}
		})
	}
}

func TestQuoteErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"teletransmission 20+", []string{"--year", "2025", "--headcount", "20", "--offer", "teletransmission", "--existing"}, 1, "must take the bouquet"},
		{"year past the convention", []string{"--year", "2030", "--headcount", "5", "--existing"}, 1, "year 2030 is outside the convention"},
		{"unknown service", []string{"--kind", "overage", "--year", "2025", "--headcount", "5", "--usage", "fax=3"}, 1, "usage fax: unknown service code"},
		{"negative quantity", []string{"--kind", "overage", "--year", "2025", "--headcount", "5", "--usage", "rdv-sms=-4"}, 2, "--usage rdv-sms: -4 is negative"},
		{"impossible date", []string{"--year", "2025", "--headcount", "5", "--received", "2025-02-30"}, 2, `"2025-02-30" is not a valid date`},
		{"no start", []string{"--year", "2025", "--headcount", "5"}, 2, "--received DATE or --existing is required"},
		{"no headcount", []string{"--year", "2025", "--existing"}, 2, "--headcount is required"},
		{"negative headcount", []string{"--year", "2025", "--existing", "--headcount", "-3"}, 2, "--headcount -3 is negative"},
		{"bad kind", []string{"--year", "2025", "--existing", "--headcount", "3", "--kind", "interest"}, 2, "--kind must be contribution or overage"},
		{"duplicate usage", []string{"--kind", "overage", "--year", "2025", "--headcount", "5", "--usage", "rdv-sms=1", "--usage", "rdv-sms=2"}, 2, "service rdv-sms is given twice"},
		{"bad quantity", []string{"--kind", "overage", "--year", "2025", "--headcount", "5", "--usage", "rdv-sms=lots"}, 2, `"lots" is not a number`},
		{"ambiguous count", []string{"--kind", "overage", "--year", "2025", "--headcount", "30", "--existing", "--usage", "signature-sms=1,500"}, 2, `"1,500" is ambiguous`},
		{"fractional count", []string{"--kind", "overage", "--year", "2025", "--headcount", "30", "--existing", "--usage", "signature-sms=1.5"}, 2, "1.5 is not a whole number"},
		{"termination before convention", []string{"--year", "2025", "--headcount", "5", "--received", "2025-05-01", "--termination-received", "2025-04-01"}, 1, "before the convention itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, nil, append([]string{"quote"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			first := strings.SplitN(errOut, "\n", 2)[0]
			if !strings.Contains(first, tt.want) {
				t.Errorf("stderr first line = %q, want %q", first, tt.want)
			}
			if tt.code == 1 && strings.Count(errOut, "\n") != 1 {
				t.Errorf("stderr has more than one line: %q", errOut)
			}
		})
	}
}

func TestInterestJSON(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "interest", "--principal", "5175.00", "--due", "2025-02-28", "--paid", "2025-09-30", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Days      int    `json:"days"`
		Interest  string `json:"interest"`
		Indemnity string `json:"indemnity"`
		Periods   []struct {
			From, To string
			Days     int
			Rate     string
		} `json:"periods"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Days != 214 || got.Interest != "100.17" || got.Indemnity != "0.00" || len(got.Periods) != 2 {
		t.Fatalf("got %+v", got)
	}
	if p := got.Periods[1]; p.From != "2025-07-01" || p.To != "2025-09-30" || p.Days != 92 || p.Rate != "2.76" {
		t.Errorf("second period = %+v", p)
	}

	code, out, _ = runCLI(t, nil, "interest", "--principal", "1000", "--due", "2025-06-30", "--paid", "2025-07-30", "--regime", "procurement", "--json")
	if code != 0 || !strings.Contains(out, `"interest": "8.34"`) || !strings.Contains(out, `"total": "48.34"`) {
		t.Errorf("procurement: exit %d\n%s", code, out)
	}
}

func TestInterestErrors(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "rates.csv")
	if err := os.WriteFile(broken, []byte("semester,start,end,particulier_pct,autres_cas_pct\n2025-S1,2025-01-01,2025-06-30,7.21,abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		environ map[string]string
		args    []string
		code    int
		want    string
	}{
		{"no rate known", nil, []string{"--principal", "100", "--due", "2027-01-01", "--paid", "2027-03-01"}, 1, "2027-S1"},
		{"no principal", nil, []string{"--due", "2025-01-01", "--paid", "2025-03-01"}, 2, "--principal is required"},
		{"bad regime", nil, []string{"--principal", "1", "--due", "2025-01-01", "--paid", "2025-03-01", "--regime", "usury"}, 2, "unknown interest regime"},
		{"broken table from the environment", map[string]string{envLegalRates: broken}, []string{"--principal", "1", "--due", "2025-01-01", "--paid", "2025-03-01"}, 1, "rates.csv:2"},
		{"broken table by flag", nil, []string{"--rates", broken, "--principal", "1", "--due", "2025-01-01", "--paid", "2025-03-01"}, 1, "autres_cas_pct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.environ, append([]string{"interest"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}

func TestDeliberationOverride(t *testing.T) {
	orig, err := os.ReadFile("../../fixtures/deliberations/2025-2029.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cheaper := filepath.Join(dir, "cheaper.yaml")
	if err := os.WriteFile(cheaper, []byte(strings.Replace(string(orig), `"920.00"`, `"900.00"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte(strings.Replace(string(orig), `"920.00"`, `"-1"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"quote", "--json", "--year", "2025", "--headcount", "3", "--existing"}
	if _, out, _ := runCLI(t, map[string]string{envDeliberation: cheaper}, args...); !strings.Contains(out, `"total_ht": "900.00"`) {
		t.Errorf("environment override not applied:\n%s", out)
	}
	if _, out, _ := runCLI(t, nil, append(args, "--deliberation", cheaper)...); !strings.Contains(out, `"total_ht": "900.00"`) {
		t.Errorf("flag override not applied:\n%s", out)
	}
	code, _, errOut := runCLI(t, nil, append(args, "--deliberation", broken)...)
	if code != 1 || !strings.Contains(errOut, "broken.yaml:47: offers.bouquet.brackets[0].amount") {
		t.Errorf("broken deliberation: exit %d, %q", code, errOut)
	}
}

func TestHelpAndDemo(t *testing.T) {
	code, out, _ := runCLI(t, nil, "help")
	for _, cmd := range commands() {
		if !strings.Contains(out, "  "+cmd.name+" ") {
			t.Errorf("help does not list %s", cmd.name)
		}
	}
	if code != 0 {
		t.Errorf("help exit %d", code)
	}
	for _, cmd := range commands() {
		if code, out, _ := runCLI(t, nil, cmd.name, "-h"); code != 0 || !strings.Contains(out, "Usage: chorusbill "+cmd.name) {
			t.Errorf("%s -h: exit %d, %q", cmd.name, code, out)
		}
	}
	if code, _, errOut := runCLI(t, nil, "bogus"); code != 2 || !strings.Contains(errOut, `unknown command "bogus"`) {
		t.Errorf("bogus: exit %d %q", code, errOut)
	}
	code, out, errOut := runCLI(t, nil, "quote", "--examples")
	if code != 0 {
		t.Fatalf("examples: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Total TTC  2\u00a0415,00\u00a0€", "9\u00a0mois × 920,00\u00a0€ / 12 = 690,00\u00a0€ HT", "Gratuit selon le barème", "4 blocs de 10 Go entamés"} {
		if !strings.Contains(out, want) {
			t.Errorf("examples lack %q", want)
		}
	}
}

// Command-line mistakes are named as such, before anything is done.
func TestCommandLineMistakes(t *testing.T) {
	dir := t.TempDir()
	// Redis on a port where nothing listens: a run refused for its year
	// must be refused before any queue is asked.
	env := map[string]string{envDatabaseURL: "sqlite://" + filepath.Join(dir, "books.db"), "CHORUSBILL_REDIS_URL": "redis://127.0.0.1:1/0", "CHORUS_ENV": "local"}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown users subcommand", []string{"users", "frob"}, 2, `unknown subcommand "frob": want add, passwd, disable or list`},
		{"a run past the convention", []string{"run", "--year", "2031", "--kind", "contribution"}, 1, "year 2031 is outside the convention"},
		{"a run before it", []string{"run", "--year", "2024", "--kind", "overage"}, 1, "overage run 2024: year 2024 is outside the convention"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, env, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
			}
		})
	}
	// A boolean flag whose help names a command is not shown as taking it.
	_, out, errOut := runCLI(t, env, "work", "-h")
	if help := out + errOut; !strings.Contains(help, "-no-auto-runs\n") {
		t.Fatalf("work -h shows -no-auto-runs as taking an argument:\n%s", help)
	}
}
