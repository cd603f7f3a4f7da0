package document

import "github.com/chorusbill/chorusbill/invoice"

// LatePaymentClause is the late-payment mention printed on an invoice for
// the establishment's regime: the convention's legal interest, or the
// statutory interest and indemnity of public procurement.
func LatePaymentClause(r invoice.Regime) string {
	if r == invoice.RegimeProcurement {
		return "En cas de retard de paiement, intérêts moratoires au taux de la BCE majoré de 8 points " +
			"et indemnité forfaitaire pour frais de recouvrement de 40 € (articles L2192-13 et D2192-35 " +
			"du code de la commande publique)."
	}
	return "En cas de retard de paiement, intérêts au taux de l'intérêt légal (taux applicable aux " +
		"créanciers autres que les particuliers), calculés du lendemain de l'échéance au jour du paiement, " +
		"conformément à la convention."
}

// RecoveryClause is the mention of the fixed indemnity for recovery costs.
// Public procurement owes it by law (CCP D2192-35); a convention between
// public bodies billed at the legal rate does not (the indemnity of C. com.
// L441-10 concerns traders), so the invoice says it does not apply.
func RecoveryClause(r invoice.Regime) string {
	if r == invoice.RegimeProcurement {
		return "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € (article D2192-35 du code de la commande publique)."
	}
	return "Indemnité forfaitaire pour frais de recouvrement : non applicable (convention entre personnes publiques ; seuls les intérêts au taux légal sont dus)."
}

// DiscountClause is the early-payment discount mention: none is granted.
func DiscountClause() string { return "Pas d'escompte pour paiement anticipé." }
