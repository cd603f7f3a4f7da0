package dashboard

import (
	"bytes"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
	"github.com/shopspring/decimal"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// parseTemplates parses each page with the layout.
func parseTemplates() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		out[base] = t
	}
	return out, nil
}

var funcs = template.FuncMap{
	"euros":        euros,
	"maxlen":       maxLen,
	"date":         frenchDate,
	"datep":        func(t *time.Time) string { return frenchDatePtr(t) },
	"datetime":     frenchDateTime,
	"state":        func(v any) string { return stateLabel(invoice.State(fmt.Sprint(v))) },
	"stateClass":   func(s invoice.State) string { return "st-" + string(s) },
	"kind":         kindLabel,
	"chorusStatus": chorusStatusLabel,
	"regime":       regimeLabel,
	"outcome":      outcomeLabel,
	"format":       formatLabel,
	"reason":       frenchReason,
	"audit":        auditLabel,
	"auditDetail":  auditDetail,
	"decimal":      invoice.FormatQuantity,
	"quantity":     invoice.QuantityLabel,
	"basis":        lineBasis,
	"add":          func(a, b int) int { return a + b },
	"attachHelp":   func() string { return attachmentHelp },
	"pct": func(n, total int) int {
		if total <= 0 {
			return 0
		}
		return n * 100 / total
	},
}

// lineBasis says what a line's unit price is for when it is not one unit:
// "pour 12 mois" (a contribution's annual price, prorated by the month).
func lineBasis(l invoice.Line) string {
	if l.BaseQuantity.IsZero() || l.BaseQuantity.Equal(decimal.NewFromInt(1)) {
		return ""
	}
	return "pour " + invoice.QuantityLabel(l.BaseQuantity, l.Unit)
}

// euros formats an amount the French way: "1 234,56 €" (narrow no-break
// space between thousands as FormatFrench gives, no-break space before €).
func euros(d decimal.Decimal) string { return invoice.FormatFrench(d) + "\u00a0€" }

func frenchDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("02/01/2006")
}

func frenchDatePtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return frenchDate(*t)
}

var paris = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		return l
	}
	return time.UTC
}()

func frenchDateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(paris).Format("02/01/2006 15:04")
}

func frenchDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %02d", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d jours", int(d.Hours()/24))
}

var stateLabels = map[invoice.State]string{
	invoice.StateDraft:             "Brouillon",
	invoice.StateFinalised:         "Émise",
	invoice.StateAwaitingReference: "Références à compléter",
	invoice.StateDelivering:        "Dépôt en cours",
	invoice.StateDeposited:         "Déposée",
	invoice.StateDelivered:         "Mise à disposition",
	invoice.StateRejected:          "Rejetée",
	invoice.StatePaid:              "Payée",
	invoice.StateCancelled:         "Annulée par avoir",
	invoice.StatePostal:            "Envoi postal",
}

func stateLabel(s invoice.State) string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return string(s)
}

func kindLabel(k invoice.Kind) string {
	switch k {
	case invoice.KindContribution:
		return "Contribution"
	case invoice.KindOverage:
		return "Dépassement d'usage"
	case invoice.KindInterest:
		return "Intérêts de retard"
	case invoice.KindCreditNote:
		return "Avoir"
	}
	return string(k)
}

var chorusLabels = map[string]string{
	"":                      "—",
	"DEPOT_EN_COURS":        "Dépôt en cours",
	"PAIEMENT_NON_REMONTE":  "Paiement non remonté par l'acheteur",
	"DEPOSEE":               "Déposée",
	"EN_COURS_ACHEMINEMENT": "En cours d'acheminement",
	"MISE_A_DISPOSITION":    "Mise à disposition",
	"A_RECYCLER":            "À recycler",
	"SUSPENDUE":             "Suspendue",
	"COMPLETEE":             "Complétée",
	"REJETEE":               "Rejetée par l'acheteur",
	"MANDATEE":              "Mandatée",
	"MISE_EN_PAIEMENT":      "Mise en paiement",
	"COMPTABILISEE":         "Comptabilisée",
	"ABANDONNEE":            "Abandonnée",
	"IN_REJETE":             "Flux rejeté par la plateforme",
	"IN_INCIDENTE":          "Flux en incident",
	// The flow's states while Chorus Pro processes a deposit.
	"IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP": "Flux déposé, en attente de traitement",
	"IN_RECU":                        "Flux reçu",
	"IN_TRAITE_SE_CPP":               "Flux en cours de traitement",
	"IN_EN_ATTENTE_TRAITEMENT_CPP":   "Flux en attente de traitement",
	"IN_EN_COURS_TRAITEMENT_CPP":     "Flux en cours de traitement",
	"IN_EN_ATTENTE_RETRAITEMENT_CPP": "Flux en attente d'un nouveau traitement",
	"IN_INTEGRE":                     "Flux intégré",
	"IN_INTEGRE_PARTIEL":             "Flux intégré partiellement",
	// Chorus Pro asks for the flow to be deposited again (its own fault):
	// Resubmit deposits the same invoice again.
	"IN_A_RELANCER":     "Chorus Pro demande un nouveau dépôt",
	"IN_ERREUR_INTERNE": "Chorus Pro demande un nouveau dépôt",
	// chorusbill's own statuses (worker): a deposit under way, refused,
	// whose refusal is being checked, held by a pause, or to look for on
	// the portal by hand.
	"DEPOT_REFUSE":        "Dépôt refusé par Chorus Pro",
	"DEPOT_A_VERIFIER":    "Dépôt à vérifier (réponse de Chorus Pro contestable)",
	worker.StatusPaused:   "Dépôt suspendu (configuration Chorus Pro)",
	worker.StatusToVerify: "À vérifier sur Chorus Pro",
}

func chorusStatusLabel(s string) string {
	if l, ok := chorusLabels[s]; ok {
		return l
	}
	return s
}

func regimeLabel(r invoice.Regime) string {
	switch r {
	case invoice.RegimeLegal:
		return "Taux légal"
	case invoice.RegimeProcurement:
		return "Commande publique (BCE + 8 pts)"
	}
	return string(r)
}

func outcomeLabel(o string) string {
	switch o {
	case "issued":
		return "facturé"
	case "free":
		return "gratuit"
	case "nothing_due":
		return "rien à facturer"
	case "failed":
		return "en échec"
	}
	return o
}

func formatLabel(f string) string {
	switch f {
	case "pdf":
		return "PDF"
	case "facturx":
		return "Factur-X"
	case "cii":
		return "CII (XML)"
	case "ubl":
		return "UBL (XML)"
	}
	return f
}

// page is what the layout needs around a page's own data.
type page struct {
	Title string
	Nav   string
	User  *principal
	// Operator is whether the user may act: the pages show the actions
	// (forms, buttons, links to them) to operators only, never a button
	// that ends on a 403.
	Operator bool
	Flash    string
	FlashErr string
	Refresh  bool
	// Account warns that the Chorus Pro technical account's password
	// expires soon, or has (nil: nothing to say).
	Account *accountBanner
	// Pause says that deliveries to Chorus Pro are paused (nil: they
	// are not).
	Pause *pauseBanner
	Data  any
}

// pauseBanner is what every page says while the worker holds deliveries
// to Chorus Pro (store.Pause): invoices do not move, and nobody need
// re-submit them; the configuration on Chorus Pro's side needs fixing.
type pauseBanner struct {
	Since  string // DD/MM/YYYY à HH:MM, Paris time
	Reason string
}

// pause reads whether deliveries are paused; a failure to read is logged
// and shows nothing (the page itself matters more).
func (s *Server) pause(r *http.Request) *pauseBanner {
	ps, paused, err := s.books.DeliveryPause(r.Context())
	if err != nil {
		s.log.Warn("read the delivery pause", "error", err)
		return nil
	}
	if !paused {
		return nil
	}
	return &pauseBanner{Since: ps.Since.In(paris).Format("02/01/2006 à 15:04"), Reason: strings.TrimRight(strings.TrimSpace(ps.Reason), ".")}
}

// accountBanner is the warning every page shows from
// worker.PasswordWarningDays before the technical account's password
// expires: every call to Chorus Pro fails once it has.
type accountBanner struct {
	Day      string // DD/MM/YYYY
	DaysLeft int
	Expired  bool
}

// account reads when the technical account's password expires and says
// whether to warn of it; a failure to read is logged and shows nothing
// (the page itself matters more).
func (s *Server) account(r *http.Request) *accountBanner {
	e, found, err := worker.ReadAccountExpiry(r.Context(), s.books, s.cfg.TechPasswordExpires)
	if err != nil {
		s.log.Warn("read the technical account's password expiry", "error", err)
		return nil
	}
	now := s.cfg.Now()
	if !found || !e.Warn(now) {
		return nil
	}
	return &accountBanner{Day: frenchDate(e.On), DaysLeft: e.DaysLeft(now), Expired: e.Expired(now)}
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	t, ok := s.pages[name]
	if !ok {
		http.Error(w, "page inconnue", http.StatusInternalServerError)
		return
	}
	p := page{Title: title, Nav: name, Data: data}
	if u, ok := userFrom(r.Context()); ok {
		p.User = &u
		p.Operator = u.Operator()
		p.Account = s.account(r)
		p.Pause = s.pause(r)
	}
	p.Flash, p.FlashErr = s.takeFlash(w, r)
	if rv, ok := data.(interface{ refresh() bool }); ok {
		p.Refresh = rv.refresh()
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		s.log.Error("render", "page", name, "error", err)
		http.Error(w, "Erreur d'affichage.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", statusTitle(status), msg)
}

// statusTitles title the error pages: http.StatusText is English.
var statusTitles = map[int]string{
	http.StatusBadRequest:            "Requête invalide",
	http.StatusUnauthorized:          "Authentification requise",
	http.StatusForbidden:             "Accès refusé",
	http.StatusNotFound:              "Page introuvable",
	http.StatusMethodNotAllowed:      "Méthode non autorisée",
	http.StatusConflict:              "Action impossible",
	http.StatusRequestEntityTooLarge: "Envoi trop volumineux",
	http.StatusTooManyRequests:       "Trop de tentatives",
	http.StatusInternalServerError:   "Erreur interne",
	http.StatusServiceUnavailable:    "Service indisponible",
}

// statusTitle is the French title of an error page.
func statusTitle(status int) string {
	if t, ok := statusTitles[status]; ok {
		return t
	}
	return fmt.Sprintf("Erreur %d", status)
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	s.renderError(w, r, http.StatusInternalServerError, "Une erreur est survenue ; elle a été journalisée. Réessayez ou prévenez l'exploitation.")
}

// notFound answers what no route takes: a path that answers to other
// methods (a form posted to a page) is a 405 saying which, in French, where
// Go's mux would say "Method Not Allowed"; anything else is a 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowedMethods(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.renderError(w, r, http.StatusMethodNotAllowed, "Cette adresse ne s'utilise pas ainsi (méthode "+r.Method+" refusée) : revenez à la page précédente.")
		return
	}
	s.renderError(w, r, http.StatusNotFound, "Cette page n'existe pas.")
}

// allowedMethods lists the methods r's path has a route for, other than the
// catch-all.
func (s *Server) allowedMethods(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if m == r.Method || s.mux == nil {
			continue
		}
		c := r.Clone(r.Context())
		c.Method = m
		if _, pattern := s.mux.Handler(c); pattern != "" && pattern != "/" {
			out = append(out, m)
			if m == http.MethodGet {
				out = append(out, http.MethodHead)
			}
		}
	}
	return out
}

const flashCookie = "chorusbill_flash"

// setFlash keeps a one-time message for the page after a redirect.
func (s *Server) setFlash(w http.ResponseWriter, msg string, isErr bool) {
	v := "ok:" + msg
	if isErr {
		v = "err:" + msg
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: encodeFlash(v), Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) (ok, bad string) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return "", ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	v := decodeFlash(c.Value)
	if m, found := strings.CutPrefix(v, "err:"); found {
		return "", m
	}
	m, _ := strings.CutPrefix(v, "ok:")
	return m, ""
}

// static serves the embedded assets to anyone (they hold nothing of the
// books, and the login page needs them): files only, never a directory's
// listing, with the type their extension says.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	fi, err := fs.Stat(staticFS, name)
	if !fs.ValidPath(name) || err != nil || fi.IsDir() {
		s.notFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeFileFS(w, r, staticFS, name)
}

func encodeFlash(s string) string { return base64URL.EncodeToString([]byte(s)) }

func decodeFlash(s string) string {
	b, err := base64URL.DecodeString(s)
	if err != nil {
		return ""
	}
	return string(b)
}

var base64URL = base64.RawURLEncoding

var reBuyerRequires = regexp.MustCompile(`^buyer (\d{14}) requires (.+)$`)

// The payments' audit reasons the books wrote in English before they wrote
// them in French (store.Payment.Summary).
var (
	reReceivedOn    = regexp.MustCompile(`^(-?\d+\.\d{2}) € received on (\d{4}-\d{2}-\d{2}) \((\S*) ?(.*)\)$`)
	rePaymentRepeat = regexp.MustCompile(`^(-?\d+\.\d{2}) € on (\d{4}-\d{2}-\d{2}) \((\S*) ?(.*)\) is payment #(\d+) of (-?\d+\.\d{2}) € on (\d{4}-\d{2}-\d{2}) \((\S*) ?(.*)\): not added again$`)
)

// frenchReason shows an invoice's status reason or an audit event's. The
// pipeline and the books write their reasons in French (worker.Reason,
// store.Payment.Summary); this translates the English ones that existing
// databases still hold: reference reasons ("buyer … requires a code
// service") of invoices parked before, until they are delivered again, and
// the payments' audit reasons ("… € received on 2026-12-13 (…)"), as the
// books write them now. Other reasons are shown as kept.
func frenchReason(r string) string {
	if m := reReceivedOn.FindStringSubmatch(r); m != nil {
		if p, ok := oldPayment(m[1:5]); ok {
			return "paiement de " + p.Summary()
		}
	}
	if m := rePaymentRepeat.FindStringSubmatch(r); m != nil {
		p, ok := oldPayment(m[1:5])
		held, okHeld := oldPayment(m[6:10])
		id, err := strconv.ParseInt(m[5], 10, 64)
		if ok && okHeld && err == nil {
			held.ID = id
			return store.RepeatReason(p, held)
		}
	}
	m := reBuyerRequires.FindStringSubmatch(r)
	if m == nil {
		return r
	}
	fr := strings.NewReplacer("a code service or an engagement number", "un code service ou un numéro d'engagement",
		"a code service", "un code service", "an engagement number", "un numéro d'engagement", " and ", " et ")
	return "Chorus Pro : l'acheteur exige " + fr.Replace(m[2]) + "."
}

// oldPayment reads amount, day, source and reference from an English
// payment reason.
func oldPayment(f []string) (store.Payment, bool) {
	amount, err := decimal.NewFromString(f[0])
	if err != nil {
		return store.Payment{}, false
	}
	day, err := time.Parse(time.DateOnly, f[1])
	if err != nil {
		return store.Payment{}, false
	}
	return store.Payment{Amount: amount, PaidOn: day, Source: f[2], Reference: f[3]}, true
}

// frenchFailure says in French why an action failed on a call the page
// cannot fix: a Chorus Pro failure by its kind (what it means for the
// officer, with the call and status for support), anything else as an
// internal error whose detail is in the server's log.
func frenchFailure(err error) string {
	var ce *chorus.Error
	if !errors.As(err, &ce) {
		return "erreur interne (le détail est dans le journal du serveur) ; rien n'est perdu, réessayez plus tard"
	}
	call := ce.Op
	if ce.Status != 0 && ce.Status != http.StatusOK {
		call += fmt.Sprintf(", HTTP %d", ce.Status)
	}
	switch ce.Kind {
	case chorus.Transient:
		return fmt.Sprintf("Chorus Pro ne répond pas pour l'instant (%s) : rien n'a été appliqué, réessayez dans quelques minutes", call)
	case chorus.Uncertain:
		return fmt.Sprintf("Chorus Pro n'a pas confirmé l'appel (%s) : il a pu être appliqué ; le suivi le vérifiera, ne recommencez pas tout de suite", call)
	case chorus.Auth, chorus.Configuration:
		return fmt.Sprintf("Chorus Pro refuse l'accès (%s) : la configuration du raccordement est à vérifier par un opérateur", call)
	}
	msg := fmt.Sprintf("Chorus Pro refuse la demande (%s)", call)
	if ce.CodeRetour != 0 {
		msg += fmt.Sprintf(" : codeRetour %d, « %s »", ce.CodeRetour, ce.Libelle)
	}
	return msg
}
