package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// The README's first command, as a user runs it (with --once): nothing but
// Go needed, the whole pipeline on the sample, a summary, exit 0.
func TestDemoOnce(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "demo.db")
	code, out, errOut := runCLI(t, nil, "demo", "--once", "--database", db, "--settle", "2s")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"NOT durable", "import establishments.csv: 40 rows", "Résumé — contribution 2025", "Résumé — overage 2025",
		"factures émises", "payées", "envoyées par courrier", "en attente de références acheteur"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The books stay for later commands.
	code, out, _ = runCLI(t, map[string]string{envDatabaseURL: db}, "invoices", "list", "--year", "2025", "--state", "paid")
	if code != 0 || !strings.Contains(out, "CT") || strings.Contains(out, "0 facture(s)") {
		t.Errorf("paid invoices after the demo: %d %q", code, out)
	}
}

// A dashboard port already in use stops the demo before it runs, saying so.
func TestDemoPortTakenFirst(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := map[string]string{envDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "demo.db")}
	code, out, errOut := runCLI(t, env, "demo", "--addr", ln.Addr().String())
	if code != 1 || !strings.Contains(errOut, "dashboard on "+ln.Addr().String()) || !strings.Contains(errOut, "address already in use") {
		t.Fatalf("exit %d, stderr %q; want the port in use named", code, errOut)
	}
	if out != "" {
		t.Fatalf("the demo ran before the port was checked: %q", out)
	}
}
