package document

import (
	"os"
	"path/filepath"
	"testing"
)

// einvoiceValidateEnv names the EN 16931 validator (XSD + schematron, the
// official artefacts) that the conformance tests run.
const einvoiceValidateEnv = "CHORUSBILL_EINVOICE_VALIDATE"

// einvoiceValidatePath finds the validator: the program
// $CHORUSBILL_EINVOICE_VALIDATE names, else shared/tools/einvoice-validate
// beside the repository (../../shared from this package's directory). A
// clone of the public repository has neither: the conformance test skips,
// saying so. CI (CI=true) has the artefacts and must run it, and a path
// named in the variable must exist, so neither ever skips silently.
func einvoiceValidatePath(t *testing.T) string {
	t.Helper()
	p, named := os.LookupEnv(einvoiceValidateEnv)
	if !named || p == "" {
		p = filepath.Join("..", "..", "shared", "tools", "einvoice-validate")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(abs)
	if err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
		return abs
	}
	msg := "EN 16931 validator not found or not executable at " + abs
	if named || os.Getenv("CI") == "true" {
		t.Fatalf("%s: the conformance tests need it (set %s to its path)", msg, einvoiceValidateEnv)
	}
	t.Skipf("%s: skipping the official EN 16931 conformance check (set %s to run it)", msg, einvoiceValidateEnv)
	return ""
}
