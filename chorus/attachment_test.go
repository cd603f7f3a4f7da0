package chorus_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chorusbill/chorusbill/chorus"
)

// The one rule of what Chorus Pro takes as an attachment: AddFile, the
// dashboard and the command line all ask it.
func TestCheckAttachment(t *testing.T) {
	cases := []struct {
		name string
		size int64
		want chorus.AttachmentProblem
	}{
		{"bon-de-commande.pdf", 1000, 0},
		{"SCAN.JPG", 1, 0},
		{strings.Repeat("x", 46) + ".pdf", 10, 0},
		{strings.Repeat("x", 47) + ".pdf", 10, chorus.AttachmentNameTooLong},
		{"convention", 10, chorus.AttachmentNoExtension},
		{"point.", 10, chorus.AttachmentNoExtension},
		{".pdf", 10, chorus.AttachmentNoExtension},
		{"facture.exe", 10, chorus.AttachmentExtensionRefused},
		{"vide.pdf", 0, chorus.AttachmentEmpty},
		{"scan.pdf", chorus.MaxTailleFichierFlux - 1, 0},
		{"scan.pdf", chorus.MaxTailleFichierFlux, chorus.AttachmentTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := chorus.CheckAttachment(tc.name, tc.size)
			var e *chorus.AttachmentError
			switch {
			case tc.want == 0 && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != 0 && (!errors.As(err, &e) || e.Problem != tc.want || e.Name != tc.name):
				t.Errorf("got %v, want problem %d naming the file", err, tc.want)
			}
		})
	}
}
