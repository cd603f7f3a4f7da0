package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

// upload is a file of a multipart form.
type upload struct {
	name    string
	content []byte
}

// multipartBody encodes fields and files (in the input "pieces") as a
// browser would.
func multipartBody(t testing.TB, fields url.Values, files []upload) (string, *bytes.Buffer) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, attachmentField, f.name))
		h.Set("Content-Type", "application/octet-stream")
		part, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(f.content)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &body
}

// postFiles sends a multipart form as a same-origin browser would, with
// the cookie; hdr overrides headers.
func postFiles(t testing.TB, h http.Handler, path string, cookie *http.Cookie, fields url.Values, files []upload, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	ctype, body := multipartBody(t, fields, files)
	return send(h, "POST", path, ctype, body, cookie, hdr...)
}

// The confirmation of a suspended invoice's completion takes files; no
// other confirmation does.
func TestCompleteFormTakesFiles(t *testing.T) {
	e := newEnv(t)
	body := e.do("GET", "/factures/"+e.suspended+"/resoumettre", e.operator, nil).Body.String()
	for _, want := range []string{`enctype="multipart/form-data"`, `<input type="file" name="pieces" multiple>`,
		"5 fichiers au plus, chacun de moins de 10 Mo, nom de 50 caractères au plus", `<button class="primary">Compléter la facture</button>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the completion's confirmation lacks %q", want)
		}
	}
	for _, number := range []string{e.rejected, e.platformRejected} {
		if body := e.do("GET", "/factures/"+number+"/resoumettre", e.operator, nil).Body.String(); strings.Contains(body, "multipart") || strings.Contains(body, `type="file"`) {
			t.Errorf("%s: the confirmation takes files", number)
		}
	}
	// The invoice page leads there.
	if body := e.do("GET", "/factures/"+e.suspended, e.operator, nil).Body.String(); !strings.Contains(body, `href="/factures/`+e.suspended+`/resoumettre">Compléter…</a>`) {
		t.Error("the suspended invoice's page has no « Compléter… »")
	}
}

// The formats the form names are ones Chorus Pro accepts.
func TestAttachmentHelpNamesAcceptedFormats(t *testing.T) {
	_, list, _ := strings.Cut(attachmentHelp, "Formats acceptés par Chorus Pro : ")
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return strings.ContainsRune(" ,().:", r) }) {
		if f == strings.ToUpper(f) && !chorus.AllowedAttachmentExtension(f) {
			t.Errorf("the form names %s, which Chorus Pro refuses", f)
		}
	}
}

// A suspended invoice is completed with the files chosen, read from a
// real multipart request; a file Chorus Pro would refuse is named on the
// confirmation page again and nothing is sent; CSRF and roles hold as for
// any form.
func TestCompleteWithAttachments(t *testing.T) {
	pdf := []byte("%PDF-1.4 bon de commande")
	long := strings.Repeat("x", 47) + ".pdf" // 51 characters
	confirmed := func(e *env) url.Values {
		return url.Values{"confirmer": {"oui"}, "etat": {"delivered/SUSPENDUE"}, "motif": {"bon de commande joint"}}
	}
	// One dashboard for every case: the fake pipeline only records.
	e := newEnv(t)
	six := make([]upload, 6)
	for i := range six {
		six[i] = upload{fmt.Sprintf("piece-%d.pdf", i+1), pdf}
	}
	for _, tc := range []struct {
		name   string
		files  []upload
		form   func(*env) url.Values
		cookie func(*env) *http.Cookie
		number func(*env) string
		hdr    []string
		// status and, for 422, the message naming the file (HTML-escaped)
		status int
		says   string
		// files: the call expected ("" when none); flash: on the next page
		call  *resubmitCall
		flash string
	}{
		{name: "two files", files: []upload{{"bon-de-commande.pdf", pdf}, {"convention signée.JPG", []byte("jpeg")}},
			status: http.StatusSeeOther, call: &resubmitCall{Reason: "bon de commande joint (olivia)", Actor: "user:olivia",
				Files: "bon-de-commande.pdf:24:%PDF-1.4 bon de commande,convention signée.JPG:4:jpeg"},
			flash: "facture complétée avec 2 pièce(s) jointe(s)"},
		{name: "an input left empty sends nothing", files: []upload{{"", nil}, {"bon.pdf", pdf}},
			status: http.StatusSeeOther, call: &resubmitCall{Reason: "bon de commande joint (olivia)", Actor: "user:olivia", Files: "bon.pdf:24:%PDF-1.4 bon de commande"}},
		{name: "no file: a comment alone", files: []upload{{"", nil}},
			status: http.StatusSeeOther, call: &resubmitCall{Reason: "bon de commande joint (olivia)", Actor: "user:olivia"}, flash: "livraison relancée"},
		{name: "extension refused", files: []upload{{"bon.pdf", pdf}, {"facture.exe", []byte("MZ")}},
			status: http.StatusUnprocessableEntity, says: "Pièce jointe « facture.exe » : Chorus Pro n&#39;accepte pas les fichiers .exe. Rien n&#39;a été envoyé."},
		{name: "no extension", files: []upload{{"bon-de-commande", pdf}},
			status: http.StatusUnprocessableEntity, says: "Pièce jointe « bon-de-commande » : le nom n&#39;a pas d&#39;extension"},
		{name: "name too long", files: []upload{{long, pdf}},
			status: http.StatusUnprocessableEntity, says: "Pièce jointe « " + long + " » : nom trop long (51 caractères ; 50 au plus, extension comprise)"},
		{name: "name of 50 characters", files: []upload{{long[1:], pdf}},
			status: http.StatusSeeOther, call: &resubmitCall{Reason: "bon de commande joint (olivia)", Actor: "user:olivia", Files: long[1:] + ":24:%PDF-1.4 bon de commande"}},
		{name: "empty file", files: []upload{{"vide.pdf", nil}},
			status: http.StatusUnprocessableEntity, says: "Pièce jointe « vide.pdf » : le fichier est vide."},
		{name: "10 MB", files: []upload{{"scan.pdf", bytes.Repeat([]byte("a"), chorus.MaxTailleFichierFlux)}},
			status: http.StatusUnprocessableEntity, says: "Pièce jointe « scan.pdf » : 10,0 Mo ; Chorus Pro n&#39;accepte que des fichiers de moins de 10 Mo."},
		{name: "just under 10 MB", files: []upload{{"scan.pdf", bytes.Repeat([]byte("a"), chorus.MaxTailleFichierFlux-1)}},
			status: http.StatusSeeOther, call: &resubmitCall{Reason: "bon de commande joint (olivia)", Actor: "user:olivia", Files: fmt.Sprintf("scan.pdf:%d:", chorus.MaxTailleFichierFlux-1)}},
		{name: "six files", files: six,
			status: http.StatusUnprocessableEntity, says: "5 pièces jointes au plus : 6 fichiers choisis."},
		{name: "request beyond its bound", files: []upload{{"a.pdf", bytes.Repeat([]byte("a"), 9<<20)}, {"b.pdf", bytes.Repeat([]byte("a"), 9<<20)},
			{"c.pdf", bytes.Repeat([]byte("a"), 9<<20)}, {"d.pdf", bytes.Repeat([]byte("a"), 9<<20)}, {"e.pdf", bytes.Repeat([]byte("a"), 9<<20)},
			{"f.pdf", bytes.Repeat([]byte("a"), 9<<20)}},
			status: http.StatusRequestEntityTooLarge, says: "Envoi trop volumineux : 5 pièces jointes au plus, chacune de moins de 10 Mo."},
		{name: "an invoice not suspended", files: []upload{{"bon.pdf", pdf}}, number: func(e *env) string { return e.platformRejected },
			form:   func(*env) url.Values { return url.Values{"confirmer": {"oui"}, "etat": {"rejected/IN_REJETE"}} },
			status: http.StatusSeeOther, flash: "n&#39;est pas suspendue par l&#39;acheteur"},
		{name: "confirmed for another state", files: []upload{{"bon.pdf", pdf}},
			form:   func(*env) url.Values { return url.Values{"confirmer": {"oui"}, "etat": {"delivered/A_RECYCLER"}} },
			status: http.StatusSeeOther, flash: "La facture a changé depuis l&#39;affichage de la confirmation"},
		{name: "viewer", files: []upload{{"bon.pdf", pdf}}, cookie: func(e *env) *http.Cookie { return e.viewer }, status: http.StatusForbidden},
		{name: "cross-origin", files: []upload{{"bon.pdf", pdf}}, hdr: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
			status: http.StatusForbidden},
		{name: "no origin said, another Origin", files: []upload{{"bon.pdf", pdf}}, hdr: []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
			status: http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.actions.reset()
			number, form, cookie := e.suspended, confirmed(e), e.operator
			if tc.number != nil {
				number = tc.number(e)
			}
			if tc.form != nil {
				form = tc.form(e)
			}
			if tc.cookie != nil {
				cookie = tc.cookie(e)
			}
			before := len(e.audit(number))
			w := postFiles(t, e.srv, "/factures/"+number+"/resoumettre", cookie, form, tc.files, tc.hdr...)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d\n%s", w.Code, tc.status, w.Body.String())
			}
			if tc.says != "" && !strings.Contains(w.Body.String(), tc.says) {
				t.Errorf("the answer does not say %q:\n%s", tc.says, w.Body.String())
			}
			if tc.status == http.StatusUnprocessableEntity {
				// The confirmation again, the comment kept, the files to choose again.
				for _, want := range []string{fmt.Sprintf(`<textarea name="motif" rows="3" maxlength="%d" required>bon de commande joint</textarea>`, fieldLimits["motif"].Max), `type="file"`} {
					if !strings.Contains(w.Body.String(), want) {
						t.Errorf("the confirmation shown again lacks %q", want)
					}
				}
			}
			calls := e.actions.Calls()
			switch {
			case tc.call == nil && len(calls) != 0:
				t.Fatalf("the pipeline was called: %+v", calls)
			case tc.call != nil:
				want := *tc.call
				want.Number = number
				if len(calls) != 1 || calls[0] != want {
					t.Fatalf("calls %+v\nwant %+v", calls, want)
				}
			}
			if tc.call == nil && len(e.audit(number)) != before {
				t.Error("the audit trail changed with nothing done")
			}
			if tc.flash != "" {
				if w.Header().Get("Location") != "/factures/"+number {
					t.Errorf("redirected to %q", w.Header().Get("Location"))
				}
				next := e.do("GET", "/factures/"+number, e.operator, nil, "Cookie", w.Header().Get("Set-Cookie")).Body.String()
				if !strings.Contains(next, tc.flash) {
					t.Errorf("the next page does not say %q", tc.flash)
				}
			}
		})
	}
}

// The pipeline refusing the files (the invoice no longer suspended when
// it acted) is said in French, on the invoice's page.
func TestCompleteRefusedByThePipeline(t *testing.T) {
	e := newEnv(t)
	e.actions.resubmitErr = &worker.StateError{Number: e.suspended, State: invoice.StateDelivered, ChorusStatus: "MISE_EN_PAIEMENT", Err: worker.ErrNotSuspended}
	w := postFiles(t, e.srv, "/factures/"+e.suspended+"/resoumettre", e.operator,
		url.Values{"confirmer": {"oui"}, "etat": {"delivered/SUSPENDUE"}, "motif": {"bon joint"}}, []upload{{"bon.pdf", []byte("%PDF")}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("%d", w.Code)
	}
	next := e.do("GET", "/factures/"+e.suspended, e.operator, nil, "Cookie", w.Header().Get("Set-Cookie")).Body.String()
	if !strings.Contains(next, "La facture "+e.suspended+" (Mise à disposition) n&#39;est pas suspendue par l&#39;acheteur") {
		t.Errorf("the refusal is not said:\n%s", next)
	}
}

// End to end: an invoice the sandbox's buyer suspended (the sample's
// Combourg, for a missing document) is completed from the dashboard with
// two files through the real pipeline; Chorus Pro receives both and the
// completion, and the books say it with the officer's name.
func TestAttachmentsReachChorusPro(t *testing.T) {
	const combourg = "21350549800013"
	ctx := context.Background()
	r := runSample(t)
	var susp store.WorkRow
	r.waitFor(t, time.Minute, "Combourg's invoice suspended", func() (bool, error) {
		rows, err := r.books.WorkList(ctx, store.WorkFilter{States: []invoice.State{invoice.StateDelivered}, ChorusStatuses: []string{string(chorus.StatutSuspendue)}, Query: combourg})
		if len(rows) == 1 {
			susp = rows[0]
		}
		return len(rows) == 1, err
	})
	srv := r.dashboard(t, Config{SecureCookies: true})
	cookie, err := srv.NewSession(ctx, "olivia")
	if err != nil {
		t.Fatal(err)
	}
	uploadsBefore := r.sb.Calls().Calls[chorus.PathAjouterFichier]

	w := postFiles(t, srv, "/factures/"+susp.Number+"/resoumettre", cookie,
		url.Values{"confirmer": {"oui"}, "etat": {"delivered/SUSPENDUE"}, "motif": {"Convention d'adhésion signée jointe"}},
		[]upload{{"convention-adhesion.pdf", []byte("%PDF-1.4 convention signée")}, {"deliberation.odt", []byte("PK odt")}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("%d\n%s", w.Code, w.Body.String())
	}
	if n := r.sb.Calls().Calls[chorus.PathAjouterFichier] - uploadsBefore; n != 2 {
		t.Errorf("%d files uploaded to Chorus Pro, want 2 (calls %v)", n, r.sb.Calls().Calls)
	}
	var completed bool
	for _, inv := range r.sb.Invoices() {
		if inv.NumeroFacture != susp.Number {
			continue
		}
		last := inv.Historique[len(inv.Historique)-1]
		completed = last.Statut == chorus.StatutCompletee && strings.Contains(last.Commentaire, "Convention d'adhésion signée jointe (olivia)")
		if !completed {
			t.Errorf("Chorus Pro's history ends with %+v", last)
		}
	}
	if !completed {
		t.Fatalf("Chorus Pro has no completed invoice %s", susp.Number)
	}
	inv, err := r.books.InvoiceByNumber(ctx, susp.Number)
	if err != nil {
		t.Fatal(err)
	}
	trail, err := r.books.AuditTrail(ctx, "invoice", inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range trail {
		found = found || ev.Actor == "user:olivia" && strings.Contains(ev.Reason, "pièces jointes : convention-adhesion.pdf, deliberation.odt")
	}
	if !found {
		t.Errorf("no audit row of the completion with its files: %+v", trail)
	}
	if inv.ChorusStatus == string(chorus.StatutSuspendue) {
		t.Errorf("the books still say %s", inv.ChorusStatus)
	}
}
