package chorus

import (
	"fmt"
	"unicode/utf8"
)

// MaxLongueurCommentaire bounds the commentaire chorusbill sends with
// completer and recycler, in characters. Neither the API's documentation
// nor the Swagger gathered (research/chorus-pro.md, chorus-pro-fidelity.md)
// gives a maximum for it: this is chorusbill's choice, a paragraph's room,
// so that nothing longer ever leaves, and the dashboard's forms derive
// their own bounds from it.
const MaxLongueurCommentaire = 1000

// CommentTooLongError is a comment over MaxLongueurCommentaire: it is not
// sent (and never truncated).
type CommentTooLongError struct {
	// Length is the comment's length in characters.
	Length int
}

func (e *CommentTooLongError) Error() string {
	return fmt.Sprintf("comment of %d characters; at most %d are sent to Chorus Pro", e.Length, MaxLongueurCommentaire)
}

// CheckComment refuses a comment longer than MaxLongueurCommentaire
// characters (a *CommentTooLongError).
func CheckComment(comment string) error {
	if n := utf8.RuneCountInString(comment); n > MaxLongueurCommentaire {
		return &CommentTooLongError{Length: n}
	}
	return nil
}
