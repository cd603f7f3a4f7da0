package dashboard

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/chorusbill/chorusbill/chorus"
)

// Supporting documents sent with the completion of an invoice the buyer
// suspended (SUSPENDUE): the buyer usually suspends it for a missing one.
// Chorus Pro's own limits (chorus.AddFile) are checked here first, so that
// a file it would refuse is named to the officer before anything is sent,
// rather than after the files before it were uploaded.
const (
	// attachmentField is the form's file input.
	attachmentField = "pieces"
	// maxAttachments bounds the files of one completion, and with them
	// the request.
	maxAttachments = 5
	// maxAttachmentSize: each file is strictly smaller (Chorus Pro
	// refuses 10 MB and more).
	maxAttachmentSize = chorus.MaxTailleFichierFlux
	// maxAttachmentName: the name, extension included, has at most that
	// many characters.
	maxAttachmentName = chorus.MaxLongueurReference
	// maxResubmitBody bounds a re-submission's request: the files, and
	// room for the comment and multipart's framing.
	maxResubmitBody = maxAttachments*maxAttachmentSize + 1<<20
	// attachmentMemory is how much of a multipart request is kept in
	// memory while parsing; the rest of the files go to temporary files.
	attachmentMemory = 1 << 20
)

// attachmentHelp says the limits on the form.
var attachmentHelp = fmt.Sprintf("%d fichiers au plus, chacun de moins de %d Mo, nom de %d caractères au plus, extension comprise. "+
	"Formats acceptés par Chorus Pro : PDF, images (JPG, PNG, TIFF, GIF, BMP), bureautique (DOC, DOCX, ODT, XLS, XLSX, ODS, PPT, PPTX, ODP, RTF, TXT), "+
	"CSV, XML, HTML, archives (ZIP, GZ, TGZ, BZ2), signatures P7S.", maxAttachments, maxAttachmentSize>>20, maxAttachmentName)

// attachmentError is a file the officer must change, said in French with
// its name.
type attachmentError struct{ msg string }

func (e *attachmentError) Error() string { return e.msg }

func attachmentErrorf(format string, args ...any) error {
	return &attachmentError{fmt.Sprintf(format, args...)}
}

// isMultipart reports whether a request's body is a multipart form.
func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/form-data")
}

// parseResubmitForm reads a re-submission's form, bounded: a multipart one
// (with files) up to maxResubmitBody, its files beyond attachmentMemory
// spooled to disk (cleanup removes them). A request too large is an
// *http.MaxBytesError.
func parseResubmitForm(w http.ResponseWriter, r *http.Request) (cleanup func(), err error) {
	cleanup = func() {}
	if !isMultipart(r) {
		return cleanup, r.ParseForm()
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxResubmitBody)
	if err := r.ParseMultipartForm(attachmentMemory); err != nil {
		return cleanup, err
	}
	return func() { r.MultipartForm.RemoveAll() }, nil
}

// formAttachments reads the files of the form, each checked against
// Chorus Pro's limits; an *attachmentError names the file at fault, and
// nothing is read then. An input left empty sends no file.
func formAttachments(r *http.Request) ([]chorus.Attachment, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var headers []*multipart.FileHeader
	for _, fh := range r.MultipartForm.File[attachmentField] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // a file input left empty
		}
		headers = append(headers, fh)
	}
	if len(headers) > maxAttachments {
		return nil, attachmentErrorf("%d pièces jointes au plus : %d fichiers choisis. Rien n'a été envoyé.", maxAttachments, len(headers))
	}
	for _, fh := range headers {
		if err := checkAttachment(fh.Filename, fh.Size); err != nil {
			return nil, err
		}
	}
	out := make([]chorus.Attachment, 0, len(headers))
	for _, fh := range headers {
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("attachment %s: %w", fh.Filename, err)
		}
		content, err := io.ReadAll(io.LimitReader(f, maxAttachmentSize))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("attachment %s: %w", fh.Filename, err)
		}
		// No MIME type: the browser's depends on the machine, while Chorus
		// Pro goes by the extension, from which chorus.AddFile derives it.
		out = append(out, chorus.Attachment{Name: fh.Filename, Content: content})
	}
	return out, nil
}

// checkAttachment checks a file's name and size against Chorus Pro's
// limits (chorus.CheckAttachment, the rule chorus.AddFile enforces),
// saying in French what is wrong.
func checkAttachment(name string, size int64) error {
	var e *chorus.AttachmentError
	if err := chorus.CheckAttachment(name, size); !errors.As(err, &e) {
		return err
	}
	switch e.Problem {
	case chorus.AttachmentNameTooLong:
		return attachmentErrorf("Pièce jointe « %s » : nom trop long (%d caractères ; %d au plus, extension comprise). Renommez le fichier ; rien n'a été envoyé.",
			name, e.Length, chorus.MaxLongueurReference)
	case chorus.AttachmentNoExtension:
		return attachmentErrorf("Pièce jointe « %s » : le nom n'a pas d'extension (.pdf, .jpg…), que Chorus Pro exige. Rien n'a été envoyé.", name)
	case chorus.AttachmentExtensionRefused:
		return attachmentErrorf("Pièce jointe « %s » : Chorus Pro n'accepte pas les fichiers .%s. Rien n'a été envoyé.", name, strings.ToLower(e.Ext))
	case chorus.AttachmentEmpty:
		return attachmentErrorf("Pièce jointe « %s » : le fichier est vide. Rien n'a été envoyé.", name)
	}
	return attachmentErrorf("Pièce jointe « %s » : %s Mo ; Chorus Pro n'accepte que des fichiers de moins de %d Mo. Rien n'a été envoyé.",
		name, megabytes(size), chorus.MaxTailleFichierFlux>>20)
}

// megabytes says a size in MB, the French way, with one decimal.
func megabytes(n int64) string {
	return strings.Replace(fmt.Sprintf("%.1f", float64(n)/(1<<20)), ".", ",", 1)
}

// tooLarge reports whether a request's body went beyond its bound.
func tooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}
