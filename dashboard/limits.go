package dashboard

import (
	"fmt"
	"unicode/utf8"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/invoice"
)

// The bounds of the free text the dashboard's forms post, in one table:
// the handlers refuse longer text (checkLength), never truncating it, and
// the templates say the same bound as maxlength (the template func
// maxlen), so that a browser stops the typing where the server would
// refuse it.

// fieldLimit is a form field's bound, in characters, and its name on the
// form.
type fieldLimit struct {
	Max   int
	Label string
}

// maxUsername is the longest user name store.ValidUsername accepts.
const maxUsername = 63

// resubmitSignature is what resubmitReason adds to the officer's text: the
// user's name in parentheses.
const resubmitSignature = len(" ()") + maxUsername

// fieldLimits bounds every free-text field by its name in the forms (one
// name, one meaning, wherever it is posted). It is only read.
var fieldLimits = map[string]fieldLimit{
	// The login form: the users' own rules (store.ValidUsername, and
	// CheckPasswordStrength's maximum).
	"utilisateur":  {maxUsername, "Identifiant"},
	"mot_de_passe": {MaxPasswordLength, "Mot de passe"},
	// The comment of a re-submission goes to Chorus Pro as the commentaire
	// of completer or recycler, signed with the user's name.
	"motif": {chorus.MaxLongueurCommentaire - resubmitSignature, "Commentaire"},
	// The comment of a decision on a correction goes to the audit trail
	// only: a paragraph.
	"commentaire": {1000, "Commentaire"},
	// The buyer's references: the engagement number is sent as
	// numeroBonCommande (Chorus Pro's 50); no source gives the service
	// code's, 100 is room for any seen (they are short codes).
	"code_service": {100, "Code service"},
	"engagement":   {chorus.MaxLongueurReference, "N° d'engagement"},
	// Invoice numbers ticked on a list (invoice.MaxNumberLength).
	"facture": {invoice.MaxNumberLength, "N° de facture"},
	// A list's filter: a number, a SIRET or a name.
	"q": {200, "Filtre"},
}

// LengthError is a field's text over its bound; its message, in French,
// names the field.
type LengthError struct {
	// Field is the form's name of the field, Label its name on the form.
	Field, Label string
	// Length is the text's length and Max the bound, in characters.
	Length, Max int
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("« %s » : %d caractères, %d au plus. Raccourcissez le texte ; rien n'a été enregistré ni envoyé.", e.Label, e.Length, e.Max)
}

// checkLength refuses a field's value longer than its bound (a
// *LengthError); a field missing from fieldLimits is a mistake of the
// code, refused too.
func checkLength(field, value string) error {
	l, ok := fieldLimits[field]
	if !ok {
		return fmt.Errorf("field %q has no length limit in fieldLimits", field)
	}
	if n := utf8.RuneCountInString(value); n > l.Max {
		return &LengthError{Field: field, Label: l.Label, Length: n, Max: l.Max}
	}
	return nil
}

// checkLengths checks the values of a form's fields, the first too long
// reported.
func checkLengths(values map[string][]string, fields ...string) error {
	for _, f := range fields {
		for _, v := range values[f] {
			if err := checkLength(f, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxLen is the template func maxlen, a field's bound for maxlength; a
// field missing from the table fails the page's rendering rather than go
// unbounded.
func maxLen(field string) (int, error) {
	l, ok := fieldLimits[field]
	if !ok {
		return 0, fmt.Errorf("maxlen: field %q has no length limit in fieldLimits", field)
	}
	return l.Max, nil
}

// resubmitReason is the comment a re-submission sends and records: the
// officer's text signed with the user's name (the motif's bound leaves it
// room under Chorus Pro's).
func resubmitReason(text, username string) string {
	return text + " (" + username + ")"
}
