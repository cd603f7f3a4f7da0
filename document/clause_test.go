package document

import (
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/invoice"
)

func TestLatePaymentClause(t *testing.T) {
	if c := LatePaymentClause(invoice.RegimeLegal); !strings.Contains(c, "intérêt légal") || strings.Contains(c, "40 €") {
		t.Errorf("legal clause = %q", c)
	}
	if c := LatePaymentClause(invoice.RegimeProcurement); !strings.Contains(c, "BCE majoré de 8 points") || !strings.Contains(c, "40 €") {
		t.Errorf("procurement clause = %q", c)
	}
}
