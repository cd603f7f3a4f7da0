package sandbox

import (
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"regexp"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// state is everything the sandbox holds in memory. It is guarded by
// Server.mu.
type state struct {
	offset time.Duration // business clock advances
	faults Faults
	quirks Quirks
	// rng draws the faults and the quirks' shares.
	rng    *mrand.Rand
	tokens map[string]time.Time // access token → expiry (wall clock)
	// calls counts the /cpro calls by path, tokenCalls the token requests
	// (see CallCounts).
	calls      map[string]int64
	tokenCalls int64

	buyers     map[string]*Buyer // by SIRET
	buyersByID map[int64]*Buyer
	// received counts the invoices integrated per buyer and series, to pick
	// the buyer's script for the next one.
	received map[string]int

	flows        []*flow
	flowsByNum   map[string]*flow
	invoices     []*invoice // in identifiantFactureCPP order
	invoicesByID map[int64]*invoice
	// numbers holds every invoice number the supplier deposited that
	// became (or will become, once its flow is processed) a Chorus Pro
	// invoice: Chorus Pro refuses it again (chorus-pro.md §3.1).
	numbers     map[string]*invoice
	attachments map[int64]attachment

	// histoSeq numbers history statuses and actions; since every change
	// to an invoice records one, it also tells whether invoices changed
	// (searchCache).
	flowSeq, invoiceSeq, attachmentSeq, histoSeq int64
	// search is the last search through all invoices (nil: none).
	search *searchCache
}

// Sequences' first values. assumption: real ids are opaque integers.
const (
	firstInvoiceID    int64 = 4_200_001
	firstAttachmentID int64 = 7_700_001
)

func (s *Server) newState() *state {
	st := &state{
		faults:        s.cfg.Faults,
		quirks:        s.cfg.Quirks.clone(),
		rng:           newRNG(s.cfg.Seed),
		tokens:        map[string]time.Time{},
		calls:         map[string]int64{},
		buyers:        map[string]*Buyer{},
		buyersByID:    map[int64]*Buyer{},
		received:      map[string]int{},
		flowsByNum:    map[string]*flow{},
		invoicesByID:  map[int64]*invoice{},
		numbers:       map[string]*invoice{},
		attachments:   map[int64]attachment{},
		invoiceSeq:    firstInvoiceID - 1,
		attachmentSeq: firstAttachmentID - 1,
	}
	st.faults.Paths = append([]string(nil), st.faults.Paths...)
	for _, b := range s.cfg.Directory.buyers {
		c := b.clone()
		st.buyers[c.SIRET] = &c
		st.buyersByID[c.ID] = &c
	}
	return st
}

// Reset forgets every deposit, invoice and attachment, restores the buyer
// directory, the faults and quirks of the configuration, the clock (no
// advance) and the fault generator's seed, and sets the call counts back to
// zero. Issued tokens stay valid.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	tokens := s.st.tokens
	s.st = s.newState()
	s.st.tokens = tokens
}

// SetBehaviour replaces the behaviour of the buyer with this SIRET for the
// invoices it receives from now on: the next invoice of each series follows
// the first script again. Invoices already deposited keep their script.
func (s *Server) SetBehaviour(siret string, b Behaviour) error {
	b = b.clone()
	if err := b.normalize(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	buyer, ok := s.st.buyers[siret]
	if !ok {
		return fmt.Errorf("sandbox: %s is not on Chorus Pro", siret)
	}
	if err := buyer.checkBehaviour(b); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	buyer.Behaviour = b
	for k := range s.st.received {
		if len(k) > len(siret) && k[:len(siret)] == siret && k[len(siret)] == '|' {
			delete(s.st.received, k)
		}
	}
	return nil
}

// Buyer returns the current state of the buyer with this SIRET.
func (s *Server) Buyer(siret string) (Buyer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.st.buyers[siret]
	if !ok {
		return Buyer{}, false
	}
	return b.clone(), true
}

// ---------------------------------------------------------------------------
// Flows.

// flow is a deposited flow. Its outcome is decided when it is deposited,
// against everything deposited before it; it is revealed over time
// (FlowProcessingDelay, FlowIntegrationDelay).
type flow struct {
	numero      string
	nomFichier  string
	syntaxe     chorus.SyntaxeFlux
	depositedAt time.Time
	size        int
	sha256      string
	doc         document
	final       chorus.EtatFlux
	erreursDP   []chorus.ErreurDP
	erreursTech []chorus.ErreurTechnique
	invoice     *invoice // when the flow integrates
	// quirk names the quirk that decided the flow's outcome or its
	// deposit's answer ("" for none).
	quirk string
	// answerLost tells that the deposit's answer was never sent (the
	// lost-response fault): the client cannot know the flow exists.
	answerLost bool
	// receivedAt and answeredAt are when the deposit arrived and its
	// answer left, on the machine's clock (not the sandbox's business
	// clock): a judge compares them with the books'.
	receivedAt, answeredAt time.Time
}

// markAnswered records when the deposit of flow numero arrived and when
// its answer left.
func (s *Server) markAnswered(numero string, arrived time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.st.flowsByNum[numero]; ok {
		f.receivedAt, f.answeredAt = arrived, time.Now()
	}
}

// markAnswerLost records that the answer to the deposit of flow numero,
// arrived then, was lost.
func (s *Server) markAnswerLost(numero string, arrived time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.st.flowsByNum[numero]; ok {
		f.answerLost, f.receivedAt = true, arrived
	}
}

// stateAt returns the flow's state at now and since when.
// chorus-pro.md §2.4: IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP right
// after the deposit, then being processed, then the final state.
func (s *Server) flowStateAt(f *flow, now time.Time) (chorus.EtatFlux, time.Time) {
	processing := f.depositedAt.Add(s.cfg.FlowProcessingDelay)
	done := f.depositedAt.Add(s.cfg.FlowIntegrationDelay)
	switch {
	case now.Before(processing):
		return chorus.EtatFluxDeposeEnAttente, f.depositedAt
	case now.Before(done):
		return chorus.EtatFluxEnCoursTraitement, processing
	}
	return f.final, done
}

// ---------------------------------------------------------------------------
// Invoices and their lifecycle.

// invoice is a Chorus Pro invoice of the supplier.
type invoice struct {
	id          int64
	number      string
	flowNumber  string
	modeDepot   chorus.ModeDepot
	typeFacture chorus.TypeFacture
	buyer       *Buyer
	service     *Service
	engagement  string
	contract    string
	dateFacture string
	currency    string
	ht, ttc     string
	aPayer      string
	// depositedAt is when it was deposited (dateDepot); visibleAt when it
	// became a Chorus Pro invoice (its flow was integrated, or soumettre
	// answered).
	depositedAt, visibleAt time.Time

	script  []Step
	next    int       // index of the next scripted step
	base    time.Time // the next step's delay counts from here
	blocked bool      // waiting for completer or recycler

	history     []histo
	actions     []chorus.HistoAction
	rejetTraite bool
}

type histo struct {
	id      int64
	status  chorus.StatutFacture
	at      time.Time
	comment string
}

type attachment struct {
	name, mime, ext string
	size            int
}

// integrate creates the invoice a flow or a soumettre call produces: DEPOSEE
// at visibleAt (« Chorus Pro certifie que la facture est bien intégrée »,
// chorus-pro.md §2.10), then the buyer's script.
func (s *Server) integrate(st *state, inv *invoice) {
	st.invoiceSeq++
	inv.id = st.invoiceSeq
	if inv.typeFacture == chorus.TypeFactureAvoir {
		inv.script = s.cfg.Directory.creditNotes
	} else {
		// The n-th invoice of a series (the number without its final run
		// of digits) this buyer receives follows its n-th script.
		key := inv.buyer.SIRET + "|" + series(inv.number)
		inv.script = inv.buyer.Behaviour.script(st.received[key])
		st.received[key]++
	}
	inv.base = inv.visibleAt
	st.histoSeq++
	inv.history = []histo{{id: st.histoSeq, status: chorus.StatutDeposee, at: inv.visibleAt}}
	st.invoices = append(st.invoices, inv)
	st.invoicesByID[inv.id] = inv
	st.numbers[inv.number] = inv
}

var trailingDigits = regexp.MustCompile(`[0-9]+$`)

// series is an invoice number without its final run of digits
// (CT2025-000042 → CT2025-).
func series(number string) string { return trailingDigits.ReplaceAllString(number, "") }

// advance plays the scripted steps due at now.
func (st *state) advance(inv *invoice, now time.Time) {
	for !inv.blocked && inv.next < len(inv.script) {
		step := inv.script[inv.next]
		if step.Status == chorus.StatutMiseEnPaiement && inv.buyer.Parametres.StatutMiseEnPaiementNestPasRemonte {
			// A buyer that does not report payment never sets it (see
			// Buyer.checkBehaviour); the script ends here.
			inv.next = len(inv.script)
			return
		}
		at := inv.base.Add(time.Duration(step.After))
		if at.After(now) {
			return
		}
		st.histoSeq++
		inv.history = append(inv.history, histo{id: st.histoSeq, status: step.Status, at: at, comment: step.Comment})
		inv.base = at
		inv.next++
		// chorus-pro.md §2.7, §2.10: SUSPENDUE waits for completer,
		// A_RECYCLER waits for recycler.
		if step.Status == chorus.StatutSuspendue || step.Status == chorus.StatutARecycler {
			inv.blocked = true
		}
	}
}

// nextDue returns when the invoice's next scripted step falls due, if one
// is waiting for time only (not for the supplier, not at the end).
func (inv *invoice) nextDue() (time.Time, bool) {
	if inv.blocked || inv.next >= len(inv.script) {
		return time.Time{}, false
	}
	return inv.base.Add(time.Duration(inv.script[inv.next].After)), true
}

// current returns the invoice's current status, after advancing it to now.
func (st *state) current(inv *invoice, now time.Time) histo {
	st.advance(inv, now)
	return inv.history[len(inv.history)-1]
}

// resume records a supplier action that unblocks the script: status at now,
// then the remaining steps count from now.
func (st *state) resume(inv *invoice, status chorus.StatutFacture, now time.Time, comment string) {
	st.histoSeq++
	inv.history = append(inv.history, histo{id: st.histoSeq, status: status, at: now, comment: comment})
	inv.base = now
	inv.blocked = false
}

func (st *state) addAction(inv *invoice, code chorus.HistoActionCode, at time.Time, who string) {
	st.histoSeq++
	inv.actions = append(inv.actions, chorus.HistoAction{
		HistoActionID: st.histoSeq, HistoActionCode: code, HistoActionDateHeure: at.Format(formatHisto), HistoActionUtilisateurNom: who,
	})
}

// ---------------------------------------------------------------------------
// Formats of the dates Chorus Pro returns.
const (
	// formatDate: dateDepot, dateFacture, dateTraitement (go-choruspro
	// parses them as YYYY-MM-DD [S4]).
	formatDate = time.DateOnly
	// formatTimestamp: dateHeureEtatCourant, dateDepotFlux… e.g.
	// 2019-03-27T11:12:24.777+01:00 (chorus-pro.md §2 "Dates").
	formatTimestamp = "2006-01-02T15:04:05.000-07:00"
	// formatHisto: histoStatutDatePassage, histoActionDateHeure.
	// assumption: "2006-01-02 15:04" as go-choruspro parses them [S4].
	formatHisto = "2006-01-02 15:04"
)

// ---------------------------------------------------------------------------
// Admin views.

// Deposit is the admin view of a deposited flow (GET /_sandbox/deposits).
type Deposit struct {
	NumeroFluxDepot string             `json:"numeroFluxDepot"`
	NomFichier      string             `json:"nomFichier"`
	SyntaxeFlux     chorus.SyntaxeFlux `json:"syntaxeFlux"`
	DateDepot       time.Time          `json:"dateDepot"`
	Taille          int                `json:"taille"`
	SHA256          string             `json:"sha256"`
	// Etat is the flow's state now; EtatFinal the state it ends in.
	Etat      chorus.EtatFlux `json:"etat"`
	EtatFinal chorus.EtatFlux `json:"etatFinal"`
	// Fields read from the file (empty when it could not be read).
	NumeroFacture        string                   `json:"numeroFacture,omitempty"`
	SIRETAcheteur        string                   `json:"siretAcheteur,omitempty"`
	CodeService          string                   `json:"codeService,omitempty"`
	Engagement           string                   `json:"engagement,omitempty"`
	MontantTTC           string                   `json:"montantTTC,omitempty"`
	ListeErreurDP        []chorus.ErreurDP        `json:"listeErreurDP,omitempty"`
	ListeErreurTechnique []chorus.ErreurTechnique `json:"listeErreurTechnique,omitempty"`
	// IdentifiantFactureCPP is set when the flow integrates an invoice.
	IdentifiantFactureCPP int64 `json:"identifiantFactureCPP,omitempty"`
	// Quirk names the quirks, comma-separated, that decided the flow's
	// outcome or its deposit's answer (e.g. lost-invoice: IN_INTEGRE with
	// no invoice; coderetour-applied: the deposit answered codeRetour ≠ 0).
	Quirk string `json:"quirk,omitempty"`
	// AnswerLost tells that the deposit was applied but its answer never
	// sent (Faults.LostResponseRate): the client could not know of it.
	AnswerLost bool `json:"answerLost,omitempty"`
	// ReceivedAt and AnsweredAt are when the deposit arrived and its answer
	// left (zero when none did), on the machine's clock.
	ReceivedAt time.Time `json:"receivedAt"`
	AnsweredAt time.Time `json:"answeredAt,omitzero"`
}

// Invoice is the admin view of a Chorus Pro invoice (GET /_sandbox/invoices).
type Invoice struct {
	IdentifiantFactureCPP int64              `json:"identifiantFactureCPP"`
	NumeroFacture         string             `json:"numeroFacture"`
	NumeroFluxDepot       string             `json:"numeroFluxDepot,omitempty"`
	ModeDepot             chorus.ModeDepot   `json:"modeDepot"`
	TypeFacture           chorus.TypeFacture `json:"typeFacture"`
	SIRETAcheteur         string             `json:"siretAcheteur"`
	CodeService           string             `json:"codeService,omitempty"`
	Engagement            string             `json:"engagement,omitempty"`
	MontantTTC            string             `json:"montantTTC,omitempty"`
	// Visible is false until the flow is integrated (IntegreeLe).
	Visible     bool                 `json:"visible"`
	IntegreeLe  time.Time            `json:"integreeLe"`
	Statut      chorus.StatutFacture `json:"statut"`
	Historique  []InvoiceStatus      `json:"historique"`
	RejetTraite bool                 `json:"rejetTraite"`
}

// InvoiceStatus is one status of an invoice's history.
type InvoiceStatus struct {
	Statut      chorus.StatutFacture `json:"statut"`
	Le          time.Time            `json:"le"`
	Commentaire string               `json:"commentaire,omitempty"`
}

// Deposits returns every deposited flow, in deposit order, as of now.
func (s *Server) Deposits() []Deposit {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	out := make([]Deposit, 0, len(s.st.flows))
	for _, f := range s.st.flows {
		etat, _ := s.flowStateAt(f, now)
		d := Deposit{
			NumeroFluxDepot: f.numero, NomFichier: f.nomFichier, SyntaxeFlux: f.syntaxe,
			DateDepot: f.depositedAt, Taille: f.size, SHA256: f.sha256, Etat: etat, EtatFinal: f.final,
			NumeroFacture: f.doc.Number, SIRETAcheteur: f.doc.BuyerID, CodeService: f.doc.BuyerReference,
			Engagement: f.doc.OrderReference, MontantTTC: f.doc.TotalTTC,
			ListeErreurDP: f.erreursDP, ListeErreurTechnique: f.erreursTech, Quirk: f.quirk, AnswerLost: f.answerLost,
			ReceivedAt: f.receivedAt, AnsweredAt: f.answeredAt,
		}
		if f.invoice != nil {
			d.IdentifiantFactureCPP = f.invoice.id
		}
		out = append(out, d)
	}
	return out
}

// Invoices returns every invoice, integrated or about to be, in
// identifiantFactureCPP order, as of now.
func (s *Server) Invoices() []Invoice {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	out := make([]Invoice, 0, len(s.st.invoices))
	for _, inv := range s.st.invoices {
		cur := s.st.current(inv, now)
		v := Invoice{
			IdentifiantFactureCPP: inv.id, NumeroFacture: inv.number, NumeroFluxDepot: inv.flowNumber,
			ModeDepot: inv.modeDepot, TypeFacture: inv.typeFacture, SIRETAcheteur: inv.buyer.SIRET,
			Engagement: inv.engagement, MontantTTC: inv.ttc, Visible: !now.Before(inv.visibleAt),
			IntegreeLe: inv.visibleAt, Statut: cur.status, RejetTraite: inv.rejetTraite,
		}
		if inv.service != nil {
			v.CodeService = inv.service.Code
		}
		for _, h := range inv.history {
			v.Historique = append(v.Historique, InvoiceStatus{Statut: h.status, Le: h.at, Commentaire: h.comment})
		}
		out = append(out, v)
	}
	return out
}

// jsonNumber returns s as a JSON number, or "" (omitted).
func jsonNumber(s string) json.Number { return json.Number(s) }
