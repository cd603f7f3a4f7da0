package chorus_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

// A comment Chorus Pro would not take is refused before anything is sent,
// by the one rule the dashboard's forms use too.
func TestOverlongCommentIsNotSent(t *testing.T) {
	e := start(t, nil)
	long := strings.Repeat("é", chorus.MaxLongueurCommentaire+1)
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"completer", func() error {
			_, err := e.client.CompleteWith(context.Background(), 42, long, nil)
			return err
		}},
		{"recycler", func() error {
			_, err := e.client.Recycle(context.Background(), chorus.RecyclerRequest{IdentifiantFactureCPP: 42,
				Destinataire: chorus.DestinataireFacture{CodeDestinataire: "21299951000010"}, Commentaire: long})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var tooLong *chorus.CommentTooLongError
			var ce *chorus.Error
			if !errors.As(err, &tooLong) || tooLong.Length != chorus.MaxLongueurCommentaire+1 || !errors.As(err, &ce) || ce.Kind != chorus.Permanent {
				t.Fatalf("got %v, want a permanent *CommentTooLongError", err)
			}
			if n := e.sb.Calls().Total; n != 0 {
				t.Fatalf("%d calls reached Chorus Pro", n)
			}
		})
	}
	if err := chorus.CheckComment(strings.Repeat("é", chorus.MaxLongueurCommentaire)); err != nil {
		t.Fatalf("a comment at the limit: %v", err)
	}
}
