package dashboard

import (
	"regexp"
	"strings"

	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

// auditActions name in French the actions the audit trail holds: store and
// worker write them as English identifiers, kept as they are (the trail is
// read by programs too, `chorusbill invoices --json`).
var auditActions = map[string]string{
	"finalise":           "Émission",
	"transition":         "Changement d'état",
	"update":             "Mise à jour",
	"document":           "Document enregistré",
	"payment":            "Paiement reçu",
	"payment-repeat":     "Paiement déjà enregistré",
	worker.ActionPrinted: "Imprimée dans un lot postal",
	worker.ActionMailed:  "Envoyée par courrier",
	"references":         "Références acheteur",
	"import":             "Import",
	"apply":              "Correction appliquée",
	"dismiss":            "Correction écartée",
	"user add":           "Utilisateur créé",
	"user passwd":        "Mot de passe changé",
	"user disable":       "Utilisateur désactivé",
	"queue":              "Action sur les files d'attente",
	// Reminders: the trail keeps the French names store gives them.
	store.ActionReminder:         "Relance envoyée",
	store.ActionRemindersPaused:  "Relances suspendues",
	store.ActionRemindersResumed: "Relances reprises",
}

// auditFields name the invoice's fields an "update" action lists
// (store.Change).
var auditFields = map[string]string{
	"channel":            "canal",
	"code_service":       "code service",
	"engagement":         "n° d'engagement",
	"chorus_flow_number": "n° de flux Chorus Pro",
	"chorus_invoice_id":  "n° de facture Chorus Pro",
	"chorus_status":      "statut Chorus Pro",
	"status_reason":      "motif",
	"paid_on":            "date de paiement",
}

// auditLabel is an audit action in French: "update chorus_status,
// status_reason" reads "Mise à jour : statut Chorus Pro, motif", "queue
// POST" (an operator's action in the queue console) names its method. An
// action unknown here is shown as written.
func auditLabel(action string) string {
	if l, ok := auditActions[action]; ok {
		return l
	}
	head, rest, _ := strings.Cut(action, " ")
	switch head {
	case "update":
		fields := strings.Split(rest, ", ")
		for i, f := range fields {
			if l, ok := auditFields[f]; ok {
				fields[i] = l
			}
		}
		return auditActions[head] + " : " + strings.Join(fields, ", ")
	case "queue":
		return auditActions[head] + " (" + rest + ")"
	}
	return action
}

// reDocument is a "document" event's reason: the format and the SHA-256
// of the bytes stored (store.PutDocument).
var reDocument = regexp.MustCompile(`^(\w+) ([0-9a-f]{64})$`)

// auditDetail is an audit event's reason as the invoice page shows it: a
// stored document names its format and fingerprint, the rest reads as
// frenchReason gives it.
func auditDetail(e store.AuditEvent) string {
	if m := reDocument.FindStringSubmatch(e.Reason); e.Action == "document" && m != nil {
		return formatLabel(m[1]) + ", empreinte SHA-256 " + m[2]
	}
	return frenchReason(e.Reason)
}
