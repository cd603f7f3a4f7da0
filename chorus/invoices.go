package chorus

import (
	"context"
	"fmt"
	"mime"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris, the zone of Chorus Pro's date-times
	"unicode/utf8"
)

// SearchCriteria selects the supplier's invoices: by deposit flow, by
// invoice number, by deposit dates (YYYY-MM-DD), or several of these.
type SearchCriteria struct {
	FlowNumber    string
	Number        string
	DepositedFrom string
	DepositedTo   string
}

// FindInvoices searches the supplier's invoices (factures/v1/rechercher/
// fournisseur) and returns every page of results: a flow of more than 10
// invoices must not be cut short (OCA's bug, billing.md §3.3). An answer
// with no invoice and a codeRetour ≠ 0 is an empty result, whatever the
// code (see noResult).
func (c *Client) FindInvoices(ctx context.Context, sc SearchCriteria) ([]FactureFournisseur, error) {
	if sc.FlowNumber == "" && sc.Number == "" && sc.DepositedFrom == "" {
		return nil, &Error{Op: "rechercher/fournisseur", Kind: Permanent, Err: fmt.Errorf("a flow number, an invoice number or a deposit date is required")}
	}
	const op = "rechercher/fournisseur"
	var all []FactureFournisseur
	for page := 1; page <= maxPages; page++ {
		var out RechercherFactureParFournisseurResponse
		err := c.call(ctx, op, PathRechercherFactureFournisseur, RechercherFactureParFournisseurRequest{
			NumeroFluxDepot: sc.FlowNumber, NumeroFacture: sc.Number, IDFournisseur: c.cfg.SupplierID,
			PeriodeDateDepotDu: sc.DepositedFrom, PeriodeDateDepotAu: sc.DepositedTo,
			RechercheFactureParFournisseur: &Pagination{PageResultatDemandee: page, NbResultatsParPage: c.cfg.PageSize},
		}, &out, safe)
		if c.noResult(ctx, op, err, out.Retour, len(out.ListeFactures)) {
			return all, nil
		}
		if err != nil {
			return nil, err
		}
		all = append(all, out.ListeFactures...)
		if out.ParametresRetour == nil || !out.ParametresRetour.HasNext() || len(out.ListeFactures) == 0 {
			return all, nil
		}
	}
	return all, nil
}

// ChangedPage is one page of the supplier's invoices whose current status
// was set within a period.
type ChangedPage struct {
	Invoices []FactureFournisseur
	// Page is the page read (from 1); Pages the number of pages (0 when
	// nothing changed); Total the number of invoices over all pages.
	Page, Pages, Total int
}

// FindChanged reads page `page` (from 1) of the supplier's invoices whose
// current status was set between from and to, both included
// (rechercher/fournisseur filtered on periodeDateHeureEtatCourantDu/Au,
// idFournisseur set when configured), in pages of Config.PageSize. One call
// tells what changed across all invoices, where consulter/historique costs
// one call per invoice (fidelity C-5).
//
// The bounds are written as Chorus Pro's local date-time: Europe/Paris,
// "2006-01-02T15:04:05", no zone. The Swagger types the fields as
// date-time and says no more; Pastell, in production, sends
// "<date>T23:59:59" (connecteur/cpp CPPWrapper), a Paris wall-clock time.
// The lower bound is cut to the second and the upper one rounded up, so
// that consecutive periods [a, b], [b, c] overlap rather than leave a gap.
//
// Results are sorted by invoice number, ascending (triColonne NumeroFacture:
// the Swagger's enum has no status date, and a unique key keeps pages from
// sharing or skipping invoices while nothing changes). A zero `to` sends
// no upper bound: an invoice whose status changes again while the pages
// are read then stays in the results (it may be read twice), where with an
// upper bound it would leave them and shift the next pages over an invoice
// never read. No result is an empty page
// with Pages 0, whatever the code (see noResult).
func (c *Client) FindChanged(ctx context.Context, from, to time.Time, page int) (ChangedPage, error) {
	const op = "rechercher/fournisseur"
	switch {
	case page < 1:
		return ChangedPage{}, &Error{Op: op, Kind: Permanent, Err: fmt.Errorf("page %d: pages count from 1", page)}
	case from.IsZero() || (!to.IsZero() && to.Before(from)):
		return ChangedPage{}, &Error{Op: op, Kind: Permanent, Err: fmt.Errorf("period %s to %s is empty", from.Format(time.RFC3339), to.Format(time.RFC3339))}
	}
	au := "" // a zero `to`: no upper bound
	if !to.IsZero() {
		au = parisDateTime(to, true)
	}
	var out RechercherFactureParFournisseurResponse
	err := c.call(ctx, op, PathRechercherFactureFournisseur, RechercherFactureParFournisseurRequest{
		IDFournisseur:                 c.cfg.SupplierID,
		PeriodeDateHeureEtatCourantDu: parisDateTime(from, false),
		PeriodeDateHeureEtatCourantAu: au,
		RechercheFactureParFournisseur: &Pagination{PageResultatDemandee: page, NbResultatsParPage: c.cfg.PageSize,
			TriColonne: TriColonneNumeroFacture, TriSens: TriAscendant},
	}, &out, safe)
	if c.noResult(ctx, op, err, out.Retour, len(out.ListeFactures)) {
		return ChangedPage{Page: page}, nil
	}
	if err != nil {
		return ChangedPage{}, err
	}
	p := ChangedPage{Invoices: out.ListeFactures, Page: page, Pages: page, Total: len(out.ListeFactures)}
	if r := out.ParametresRetour; r != nil {
		p.Pages, p.Total = r.Pages, r.Total
	}
	if len(out.ListeFactures) == 0 && (out.ParametresRetour == nil || out.ParametresRetour.Total == 0) {
		p.Pages = 0
	}
	return p, nil
}

// TriColonneNumeroFacture sorts a supplier search by invoice number (one of
// the Swagger's triColonne values).
const TriColonneNumeroFacture = "NumeroFacture"

// chorusZone is Chorus Pro's time zone.
var chorusZone = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err) // time/tzdata is imported: cannot happen
	}
	return l
}()

// parisDateTime writes t as a Paris wall-clock date-time to the second,
// rounded down, or up when roundUp.
func parisDateTime(t time.Time, roundUp bool) string {
	s := t.Truncate(time.Second)
	if roundUp && s.Before(t) {
		s = s.Add(time.Second)
	}
	return s.In(chorusZone).Format("2006-01-02T15:04:05")
}

// maxPages bounds the pages a paged read asks for, so that an answer
// whose paging never ends cannot loop for ever.
const maxPages = 10_000

// History reads an invoice's status history (factures/v1/consulter/
// historique, chorus-pro.md §2.6, §2.10).
func (c *Client) History(ctx context.Context, idFacture int64) (ConsulterHistoriqueResponse, error) {
	var out ConsulterHistoriqueResponse
	err := c.call(ctx, "consulter/historique", PathConsulterHistorique, ConsulterHistoriqueRequest{IDFacture: idFacture}, &out, safe)
	if err == nil && !out.StatutCourantCode.Known() {
		c.log.Warn("chorus pro invoice in an unknown status", "invoice", out.NumeroFacture, "status", string(out.StatutCourantCode))
	}
	return out, err
}

// Recycle re-routes an invoice in status A_RECYCLER to the corrected buyer
// service and references; its number is kept (chorus-pro.md §2.7, §3.2).
func (c *Client) Recycle(ctx context.Context, req RecyclerRequest) (RecyclerResponse, error) {
	var out RecyclerResponse
	if err := CheckComment(req.Commentaire); err != nil {
		return out, &Error{Op: "recycler", Kind: Permanent, Err: err}
	}
	err := c.call(ctx, "recycler", PathRecycler, req, &out, unsafe)
	return out, err
}

// Complete adds a comment or attachments to a SUSPENDUE invoice
// (factures/v1/completer, chorus-pro.md §2.7).
// A comment over MaxLongueurCommentaire is refused unsent (a permanent
// *Error wrapping a *CommentTooLongError), as with Recycle.
func (c *Client) Complete(ctx context.Context, req CompleterRequest) (CompleterResponse, error) {
	var out CompleterResponse
	if err := CheckComment(req.Commentaire); err != nil {
		return out, &Error{Op: "completer", Kind: Permanent, Err: err}
	}
	err := c.call(ctx, "completer", PathCompleter, req, &out, unsafe)
	return out, err
}

// CompleteWith answers a SUSPENDUE invoice (its identifiantFactureCPP) with
// a comment and the attachments uploaded by AddFile: the buyer suspends an
// invoice for missing supporting documents (fidelity A-5), and completer
// takes them as pieceJointeComplementaire (the Swagger's
// CompleterFactureParam). Each is designated « Pièce jointe n »: the ids
// carry no name, and BIMP's production client sends a designation with no
// type, as this does.
func (c *Client) CompleteWith(ctx context.Context, idFacture int64, comment string, attachmentIDs []int64) (CompleterResponse, error) {
	req := CompleterRequest{IdentifiantFactureCPP: idFacture, Commentaire: comment}
	if idFacture <= 0 {
		return CompleterResponse{}, &Error{Op: "completer", Kind: Permanent, Err: fmt.Errorf("invoice id %d", idFacture)}
	}
	for i, id := range attachmentIDs {
		if id <= 0 {
			return CompleterResponse{}, &Error{Op: "completer", Kind: Permanent, Err: fmt.Errorf("attachment id %d", id)}
		}
		req.PieceJointeComplementaire = append(req.PieceJointeComplementaire, PieceJointeComplementaire{
			PieceJointeComplementaireDesignation: fmt.Sprintf("Pièce jointe %d", i+1),
			PieceJointeComplementaireID:          id,
		})
	}
	return c.Complete(ctx, req)
}

// Attachment is a supporting document to upload with AddFile.
type Attachment struct {
	// Name is the file's name, extension included (at most 50 characters).
	Name string
	// MIME is its type; when empty, it is guessed from the extension.
	MIME    string
	Content []byte
}

// AddFile uploads a supporting document (transverses/v1/ajouter/fichier)
// and returns its id, for CompleteWith. Chorus Pro's limits are checked
// first (CheckAttachment), and a file outside them is a Permanent error
// wrapping an *AttachmentError, with no call made.
func (c *Client) AddFile(ctx context.Context, a Attachment) (int64, error) {
	const op = "ajouter/fichier"
	if err := CheckAttachment(a.Name, int64(len(a.Content))); err != nil {
		return 0, &Error{Op: op, Kind: Permanent, Err: err}
	}
	ext := strings.ToUpper(a.Name[strings.LastIndexByte(a.Name, '.')+1:])
	typ := a.MIME
	if typ == "" {
		if typ = mime.TypeByExtension("." + strings.ToLower(ext)); typ == "" {
			typ = "application/octet-stream"
		}
		typ, _, _ = strings.Cut(typ, ";") // no "; charset=…"
	}
	var out AjouterFichierResponse
	// Safe to send again: an upload that arrived twice leaves an unused
	// file, which nothing refers to.
	err := c.call(ctx, op, PathAjouterFichier, AjouterFichierRequest{
		PieceJointeFichier: a.Content, PieceJointeNom: a.Name, PieceJointeTypeMime: typ, PieceJointeExtension: ext,
	}, &out, safe)
	if err != nil {
		return 0, err
	}
	if out.PieceJointeID == 0 {
		return 0, &Error{Op: op, Kind: Transient, Err: fmt.Errorf("answer without pieceJointeId")}
	}
	return out.PieceJointeID, nil
}

// AttachmentProblem is what is wrong with a file to attach.
type AttachmentProblem int

// Attachment problems.
const (
	AttachmentNameTooLong AttachmentProblem = iota + 1
	AttachmentNoExtension
	AttachmentExtensionRefused
	AttachmentEmpty
	AttachmentTooLarge
)

// AttachmentError is a file Chorus Pro would refuse as an attachment: the
// dashboard and the command line say it in their own words (Problem), the
// rule being this package's (CheckAttachment).
type AttachmentError struct {
	Name    string
	Problem AttachmentProblem
	// Ext is the extension refused; Length the name's characters; Size
	// the file's bytes.
	Ext    string
	Length int
	Size   int64
}

func (e *AttachmentError) Error() string {
	switch e.Problem {
	case AttachmentNameTooLong:
		return fmt.Sprintf("attachment %q: its name has %d characters; Chorus Pro takes at most %d, extension included", e.Name, e.Length, MaxLongueurReference)
	case AttachmentNoExtension:
		return fmt.Sprintf("attachment %q: its name has no extension (.pdf, .jpg…), which Chorus Pro requires", e.Name)
	case AttachmentExtensionRefused:
		return fmt.Sprintf("attachment %q: Chorus Pro does not accept .%s files", e.Name, strings.ToLower(e.Ext))
	case AttachmentEmpty:
		return fmt.Sprintf("attachment %q is empty", e.Name)
	case AttachmentTooLarge:
		return fmt.Sprintf("attachment %q: %d bytes; Chorus Pro takes files under %d MB", e.Name, e.Size, MaxTailleFichierFlux>>20)
	}
	return fmt.Sprintf("attachment %q refused", e.Name)
}

// CheckAttachment says whether Chorus Pro takes a file of this name and
// size as an attachment (an *AttachmentError when not): a name of at most
// 50 characters with an allowed extension (HTTP 400 beyond 50,
// BR-FR-CPRO-41), not empty, under 10 MB (OCA's CHORUS_FILESIZE_MAX_MO;
// error 20003 beyond). chorus-pro.md §2.5, §3.3. AddFile, the dashboard and
// the command line all ask it.
func CheckAttachment(name string, size int64) error {
	n := utf8.RuneCountInString(name)
	i := strings.LastIndexByte(name, '.')
	switch {
	case n > MaxLongueurReference:
		return &AttachmentError{Name: name, Problem: AttachmentNameTooLong, Length: n}
	case i <= 0 || i == len(name)-1:
		return &AttachmentError{Name: name, Problem: AttachmentNoExtension}
	case !AllowedAttachmentExtension(name[i+1:]):
		return &AttachmentError{Name: name, Problem: AttachmentExtensionRefused, Ext: name[i+1:]}
	case size <= 0:
		return &AttachmentError{Name: name, Problem: AttachmentEmpty}
	case size >= MaxTailleFichierFlux:
		return &AttachmentError{Name: name, Problem: AttachmentTooLarge, Size: size}
	}
	return nil
}

// AllowedAttachmentExtension reports whether Chorus Pro accepts attachments
// with this extension (without the dot, any case): the list of AIFE's page
// « Pièces jointes dans Chorus Pro : quelques règles à respecter », as OCA
// has it (chorus-pro.md §3.3).
func AllowedAttachmentExtension(ext string) bool {
	return slices.Contains(attachmentExtensions, strings.ToUpper(ext))
}

var attachmentExtensions = strings.Fields(`BMP GIF FAX ODT PPT TIFF XLS BZ2 GZ JPEG P7S RTF TXT XML CSV GZIP JPG PDF
	SVG XHTML XLSX DOC HTM ODP PNG TGZ XLC ZIP DOCX HTML ODS PPS TIF XLM PPTX`)
