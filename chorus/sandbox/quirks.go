package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
)

// Quirks are behaviours of the real Chorus Pro that the happy sandbox does
// not show by default, each selectable: a client is tested against the
// platform as third-party sources saw it, not only as the sandbox's authors
// would like it (../shared/research/chorus-pro-fidelity.md, "fidelity.md"
// below, gives the sources). The zero value is the happy platform. They are
// set by Config.Quirks, the CHORUS_SANDBOX_QUIRKS environment variable (a
// comma-separated list of the Quirk* names, with their parameters in their
// own variables, see ConfigFromEnv), SetQuirks, or POST /_sandbox/quirks.
type Quirks struct {
	// HistoryNewestFirst (history-newest-first): consulter/historique lists
	// histoStatut newest first. fidelity.md A-4: Pastell « Par defaut le Tri
	// est descendant sur HistoStatutDatePassage », and its fixture lists the
	// newest entry first. Off, the list is chronological.
	HistoryNewestFirst bool `json:"historyNewestFirst"`
	// SingleObjects (single-objects): in a /cpro answer, a list of exactly
	// one element under one of the keys of singleObjectKeys is written as
	// that element, a JSON object, instead of an array. fidelity.md B-3:
	// AIFE's own consulterCRDetaille sample prints listeErreurDP as an
	// object; Pastell reads listeStructures in both forms.
	SingleObjects bool `json:"singleObjects"`
	// SingleObjectsAll extends SingleObjects to every one-element array
	// that is the value of an object key, whatever the key (it implies
	// SingleObjects). assumption: which lists Chorus Pro collapses is not
	// known.
	SingleObjectsAll bool `json:"singleObjectsAll"`
	// NoResultCodes (no-result-codes): a search that finds nothing answers
	// a per-service code, as Pastell saw (fidelity.md B-2, chorus-pro.md
	// §2.11: 20000 TRA_MSG_00.015 for one search, 20007 GFT_MSG_01.075 for
	// another): structures/rechercher and rechercher/services answer
	// CodeRechercheVide (with an empty list), rechercher/fournisseur
	// answers 20000 and omits listeFactures altogether. assumption: which
	// search answers which code (no source gives it for these three), and
	// the omitted list. Off, all three answer 20000 with an empty list.
	NoResultCodes bool `json:"noResultCodes"`
	// DuplicateByCode (duplicate-by-code): the refusal of an invoice number
	// the supplier already deposited carries a code, and a wording a
	// client cannot match on « déjà » or « doublon » (fidelity.md B-1: the
	// real wording is in no source). The flow report of the IN_REJETE flow
	// has listeErreurTechnique [{codeErreur DOUBLON_FACTURE, natureErreur
	// REJET}] and listeErreurDP's libelle is MsgNumeroNonUnique; soumettre
	// answers codeRetour 20008 with that wording. assumption: the code,
	// its place and the wording. Off, the refusal is listeErreurDP with
	// MsgNumeroDejaDepose.
	DuplicateByCode bool `json:"duplicateByCode"`
	// DuplicateSync is a mode of duplicate-by-code (it implies
	// DuplicateByCode): deposer/flux itself answers codeRetour 20008 with
	// MsgNumeroNonUnique, and creates no flow, for the number of an
	// invoice already deposited (its flow processed or not). assumption.
	DuplicateSync bool `json:"duplicateSync"`
	// ForbiddenRoutes (forbidden-routes): /cpro calls whose path starts
	// with one of these prefixes are answered HTTP 403, as when the PISTE
	// application is not subscribed to that API (fidelity.md B-4, §1.9:
	// the live probe [FR1] saw 403 for a route of an API not subscribed;
	// chorus-pro.md §1.4: an application must be attached to the Factures,
	// Structures, Utilisateurs and Transverses APIs). Empty: none. Each
	// must start with /cpro/. The default prefix when the quirk is named
	// without CHORUS_SANDBOX_FORBIDDEN_ROUTES is /cpro/factures/ (the
	// Factures API not subscribed).
	ForbiddenRoutes []string `json:"forbiddenRoutes"`
	// SearchLag (search-lag): an invoice is found by rechercher/fournisseur
	// only SearchLag (on the business clock) after it became a Chorus Pro
	// invoice (its flow integrated, or soumettre answered), while
	// consulterCRDetaille already says IN_INTEGRE and consulter/historique
	// answers by id. fidelity.md B-1: flows are processed asynchronously
	// and an invoice is usually not yet searchable right after its first
	// deposit. assumption: the lag itself (default 15m when the quirk is
	// named without CHORUS_SANDBOX_SEARCH_LAG).
	SearchLag Duration `json:"searchLag"`
	// LostInvoiceRate (lost-invoice) is the share of flows that would
	// integrate whose invoice never appears: consulterCRDetaille says
	// IN_INTEGRE, rechercher/fournisseur never finds it. fidelity.md A-2:
	// OCA commit a3e89bcc (« sometime it doesn't … missing invoice are we
	// always rejected ») and Pastell's « Impossible de trouver la facture ».
	// As OCA concludes the invoice was in fact rejected, no invoice is
	// created: the number may be deposited again (assumption).
	LostInvoiceRate float64 `json:"lostInvoiceRate"`
	// FlowARelancerRate (flow-a-relancer) and FlowErreurInterneRate
	// (flow-erreur-interne) are the shares of flows that would integrate
	// that end in IN_A_RELANCER or IN_ERREUR_INTERNE instead, with no
	// invoice created, so that a new deposit of the same number is
	// accepted (fidelity.md A-3: Demat4Dolibarr gives both states
	// can_resend = 1, like IN_REJETE). assumption: no listeErreurDP nor
	// listeErreurTechnique in their report. Behaviour.FlowOutcome does the
	// same for every flow to one buyer.
	FlowARelancerRate     float64 `json:"flowARelancerRate"`
	FlowErreurInterneRate float64 `json:"flowErreurInterneRate"`
	// CodeRetourAppliedRate (coderetour-applied) is the share of deposits
	// (deposer/flux calls that pass the synchronous checks) that are
	// applied, their flow created and processed as usual, but answered
	// codeRetour CodeErreurTechnique with no numeroFluxDepot: the
	// deposit-coderetour fault of the chaos plan. A client that takes the
	// answer for a refusal and deposits again meets its own duplicate.
	// assumption: the code and wording (fidelity.md §1.9: no error table
	// was readable).
	CodeRetourAppliedRate float64 `json:"codeRetourAppliedRate"`
	// Deposit4xxRate (deposit-4xx) is the share of deposits answered HTTP
	// 400 with a JSON body {codeRetour, libelle} (CodeParametreInvalide,
	// LibelleRequeteInvalide) and not applied: no flow, the number stays
	// free. fidelity.md B-4, D-1: go-choruspro parses 400 bodies as
	// {codeRetour, libelle}; a 400 is a possible answer to a deposit.
	// assumption: the code and wording.
	Deposit4xxRate float64 `json:"deposit4xxRate"`
}

// Names of the quirks, as CHORUS_SANDBOX_QUIRKS lists them.
const (
	QuirkHistoryNewestFirst = "history-newest-first"
	QuirkSingleObjects      = "single-objects"
	QuirkNoResultCodes      = "no-result-codes"
	QuirkDuplicateByCode    = "duplicate-by-code"
	QuirkForbiddenRoutes    = "forbidden-routes"
	QuirkSearchLag          = "search-lag"
	QuirkLostInvoice        = "lost-invoice"
	QuirkFlowARelancer      = "flow-a-relancer"
	QuirkFlowErreurInterne  = "flow-erreur-interne"
	QuirkCodeRetourApplied  = "coderetour-applied"
	QuirkDeposit4xx         = "deposit-4xx"
)

// Defaults of the quirks' parameters when a quirk is named without them.
// assumption: no source gives a lag or a frequency.
const (
	defaultSearchLag = 15 * time.Minute
	defaultQuirkRate = 0.1
)

// defaultForbiddenRoute is the forbidden-routes quirk's prefix when none is
// given: the Factures API.
const defaultForbiddenRoute = "/cpro/factures/"

// Codes and wordings of the quirks.
const (
	// CodeRechercheVide and LibelleRechercheVide are the "no result" of
	// the works-invoice search Pastell met (chorus-pro.md §2.11 [S6a]),
	// which the no-result-codes quirk gives to the structure and service
	// searches.
	CodeRechercheVide    = 20007
	LibelleRechercheVide = "GFT_MSG_01.075 - La recherche n'a retourné aucun résultat"
	// MsgNumeroNonUnique is the duplicate-by-code quirk's refusal of a
	// number already deposited: it says neither « déjà » nor « doublon ».
	// assumption: wording.
	MsgNumeroNonUnique = "Facture rejetée : numéro %s non unique pour ce fournisseur"
	// natureErreurRejet is the natureErreur of the duplicate's
	// listeErreurTechnique entry. assumption.
	natureErreurRejet = "REJET"
	// CodeErreurTechnique and LibelleErreurTechnique answer a deposit that
	// the coderetour-applied quirk applies nevertheless. assumption.
	CodeErreurTechnique    = 20099
	LibelleErreurTechnique = "Erreur technique, veuillez réessayer"
	// LibelleRequeteInvalide is the libelle of the deposit-4xx quirk's
	// HTTP 400 (codeRetour CodeParametreInvalide). assumption.
	LibelleRequeteInvalide = "Requête mal formulée : le dépôt n'a pas été pris en compte"
)

// codeErreurDoublon and codeRetourDoublon are the duplicate-by-code
// quirk's codes: codeErreur of the flow report's listeErreurTechnique
// entry, and codeRetour of a synchronous refusal, the client's own (the
// values are an assumption: no source gives them).
const (
	codeErreurDoublon = chorus.CodeErreurDoublon
	codeRetourDoublon = chorus.CodeRetourDoublon
)

// singleObjectKeys are the list keys the single-objects quirk collapses
// when they hold one element. listeCoordonneesBancaires is the spelling
// asked for; the API's own key is listeCoordonneeBancaire (chorus-pro.md
// §2.1): both are listed.
var singleObjectKeys = []string{
	"listeErreurDP", "listeErreurTechnique", "listeStructures", "listeServices", "listeFactures",
	"histoStatut", "listeCoordonneeBancaire", "listeCoordonneesBancaires",
}

// quirkDef is a quirk by name: how to switch it on (with its default
// parameters) and whether it is on.
type quirkDef struct {
	name   string
	enable func(*Quirks)
	on     func(Quirks) bool
}

var quirkDefs = []quirkDef{
	{QuirkHistoryNewestFirst, func(q *Quirks) { q.HistoryNewestFirst = true }, func(q Quirks) bool { return q.HistoryNewestFirst }},
	{QuirkSingleObjects, func(q *Quirks) { q.SingleObjects = true }, func(q Quirks) bool { return q.SingleObjects || q.SingleObjectsAll }},
	{QuirkNoResultCodes, func(q *Quirks) { q.NoResultCodes = true }, func(q Quirks) bool { return q.NoResultCodes }},
	{QuirkDuplicateByCode, func(q *Quirks) { q.DuplicateByCode = true }, func(q Quirks) bool { return q.duplicateByCode() }},
	{QuirkForbiddenRoutes, func(q *Quirks) { q.ForbiddenRoutes = []string{defaultForbiddenRoute} }, func(q Quirks) bool { return len(q.ForbiddenRoutes) > 0 }},
	{QuirkSearchLag, func(q *Quirks) { q.SearchLag = Duration(defaultSearchLag) }, func(q Quirks) bool { return q.SearchLag > 0 }},
	{QuirkLostInvoice, func(q *Quirks) { q.LostInvoiceRate = defaultQuirkRate }, func(q Quirks) bool { return q.LostInvoiceRate > 0 }},
	{QuirkFlowARelancer, func(q *Quirks) { q.FlowARelancerRate = defaultQuirkRate }, func(q Quirks) bool { return q.FlowARelancerRate > 0 }},
	{QuirkFlowErreurInterne, func(q *Quirks) { q.FlowErreurInterneRate = defaultQuirkRate }, func(q Quirks) bool { return q.FlowErreurInterneRate > 0 }},
	{QuirkCodeRetourApplied, func(q *Quirks) { q.CodeRetourAppliedRate = defaultQuirkRate }, func(q Quirks) bool { return q.CodeRetourAppliedRate > 0 }},
	{QuirkDeposit4xx, func(q *Quirks) { q.Deposit4xxRate = defaultQuirkRate }, func(q Quirks) bool { return q.Deposit4xxRate > 0 }},
}

// duplicateByCode reports whether the duplicate-by-code quirk is on, in
// either mode.
func (q Quirks) duplicateByCode() bool { return q.DuplicateByCode || q.DuplicateSync }

// quirkParam is an environment variable that sets a parameter of a quirk;
// it is refused unless the quirk is named in CHORUS_SANDBOX_QUIRKS, so that
// a parameter never switches a quirk on by itself.
type quirkParam struct {
	env, quirk string
	set        func(q *Quirks, v string) error
}

var quirkParams = []quirkParam{
	{EnvSingleObjectsAll, QuirkSingleObjects, boolParam(func(q *Quirks) *bool { return &q.SingleObjectsAll })},
	{EnvDuplicateSync, QuirkDuplicateByCode, boolParam(func(q *Quirks) *bool { return &q.DuplicateSync })},
	{EnvForbiddenRoutes, QuirkForbiddenRoutes, func(q *Quirks, v string) error {
		q.ForbiddenRoutes = nil
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				q.ForbiddenRoutes = append(q.ForbiddenRoutes, p)
			}
		}
		return nil
	}},
	{EnvSearchLag, QuirkSearchLag, func(q *Quirks, v string) error {
		d, err := ParseDuration(v)
		q.SearchLag = Duration(d)
		return err
	}},
	{EnvLostInvoiceRate, QuirkLostInvoice, rateParam(func(q *Quirks) *float64 { return &q.LostInvoiceRate })},
	{EnvFlowARelancerRate, QuirkFlowARelancer, rateParam(func(q *Quirks) *float64 { return &q.FlowARelancerRate })},
	{EnvFlowErreurInterneRate, QuirkFlowErreurInterne, rateParam(func(q *Quirks) *float64 { return &q.FlowErreurInterneRate })},
	{EnvCodeRetourAppliedRate, QuirkCodeRetourApplied, rateParam(func(q *Quirks) *float64 { return &q.CodeRetourAppliedRate })},
	{EnvDeposit4xxRate, QuirkDeposit4xx, rateParam(func(q *Quirks) *float64 { return &q.Deposit4xxRate })},
}

func rateParam(field func(*Quirks) *float64) func(*Quirks, string) error {
	return func(q *Quirks, v string) error {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("not a probability in [0, 1]")
		}
		*field(q) = p
		return nil // Validate checks the range
	}
}

func boolParam(field func(*Quirks) *bool) func(*Quirks, string) error {
	return func(q *Quirks, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("not a boolean")
		}
		*field(q) = b
		return nil
	}
}

// QuirkNames lists the names of every quirk.
func QuirkNames() []string {
	out := make([]string, len(quirkDefs))
	for i, d := range quirkDefs {
		out[i] = d.name
	}
	return out
}

// Names lists the names of the quirks that are on.
func (q Quirks) Names() []string {
	var out []string
	for _, d := range quirkDefs {
		if d.on(q) {
			out = append(out, d.name)
		}
	}
	return out
}

// Validate reports an invalid parameter: a share outside [0, 1], shares
// of the same draw adding up above 1, a negative lag, a forbidden route
// outside /cpro/.
func (q Quirks) Validate() error {
	rates := []struct {
		name string
		v    float64
	}{
		{"lostInvoiceRate", q.LostInvoiceRate}, {"flowARelancerRate", q.FlowARelancerRate},
		{"flowErreurInterneRate", q.FlowErreurInterneRate},
		{"codeRetourAppliedRate", q.CodeRetourAppliedRate}, {"deposit4xxRate", q.Deposit4xxRate},
	}
	for _, r := range rates {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			return fmt.Errorf("quirks: %s %v is not a probability in [0, 1]", r.name, r.v)
		}
	}
	if sum := q.LostInvoiceRate + q.FlowARelancerRate + q.FlowErreurInterneRate; sum > 1 {
		return fmt.Errorf("quirks: lostInvoiceRate + flowARelancerRate + flowErreurInterneRate = %v exceeds 1", sum)
	}
	if sum := q.CodeRetourAppliedRate + q.Deposit4xxRate; sum > 1 {
		return fmt.Errorf("quirks: codeRetourAppliedRate + deposit4xxRate = %v exceeds 1", sum)
	}
	if q.SearchLag < 0 {
		return errors.New("quirks: searchLag must not be negative")
	}
	for _, p := range q.ForbiddenRoutes {
		if !strings.HasPrefix(p, "/cpro/") {
			return fmt.Errorf("quirks: forbidden route %q does not start with /cpro/", p)
		}
	}
	return nil
}

func (q Quirks) clone() Quirks {
	q.ForbiddenRoutes = slices.Clone(q.ForbiddenRoutes)
	return q
}

// forbidden reports whether the forbidden-routes quirk refuses path.
func (s *Server) forbidden(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.st.quirks.ForbiddenRoutes, func(p string) bool { return strings.HasPrefix(path, p) })
}

// quirksFromEnv reads CHORUS_SANDBOX_QUIRKS and the quirks' parameters.
func quirksFromEnv(getenv func(string) string) (Quirks, error) {
	var q Quirks
	named := map[string]bool{}
	for n := range strings.SplitSeq(getenv(EnvQuirks), ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		i := slices.IndexFunc(quirkDefs, func(d quirkDef) bool { return d.name == n })
		if i < 0 {
			return q, fmt.Errorf("%s: unknown quirk %q (known: %s)", EnvQuirks, n, strings.Join(QuirkNames(), ", "))
		}
		quirkDefs[i].enable(&q)
		named[n] = true
	}
	for _, p := range quirkParams {
		v := strings.TrimSpace(getenv(p.env))
		if v == "" {
			continue
		}
		if !named[p.quirk] {
			return q, fmt.Errorf("%s is set but %s does not name %s", p.env, EnvQuirks, p.quirk)
		}
		if err := p.set(&q, v); err != nil {
			return q, fmt.Errorf("%s: %q: %w", p.env, v, err)
		}
	}
	if err := q.Validate(); err != nil {
		return q, fmt.Errorf("%s: %w", EnvQuirks, err)
	}
	return q, nil
}

// Quirks returns the quirks in effect.
func (s *Server) Quirks() Quirks {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.quirks.clone()
}

// SetQuirks replaces the quirks in effect. Deposits already made keep the
// outcome they were given.
func (s *Server) SetQuirks(q Quirks) error {
	if err := q.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.quirks = q.clone()
	return nil
}

// drawFlowFate draws whether a flow that would integrate meets one of the
// flow quirks: it returns the quirk's name and the flow's final state, or
// "" for none. The caller holds s.mu.
func (s *Server) drawFlowFate() (string, chorus.EtatFlux) {
	q := s.st.quirks
	if q.LostInvoiceRate+q.FlowARelancerRate+q.FlowErreurInterneRate == 0 {
		return "", "" // no draw: the fault sequence stays as without quirks
	}
	switch u := s.st.rng.Float64(); {
	case u < q.FlowARelancerRate:
		return QuirkFlowARelancer, chorus.EtatFluxARelancer
	case u < q.FlowARelancerRate+q.FlowErreurInterneRate:
		return QuirkFlowErreurInterne, chorus.EtatFluxErreurInterne
	case u < q.FlowARelancerRate+q.FlowErreurInterneRate+q.LostInvoiceRate:
		return QuirkLostInvoice, chorus.EtatFluxIntegre
	}
	return "", ""
}

// drawDepositFate draws whether a deposit meets deposit-4xx or
// coderetour-applied: it returns the quirk's name, or "" for none. The
// caller holds s.mu.
func (s *Server) drawDepositFate() string {
	q := s.st.quirks
	if q.Deposit4xxRate+q.CodeRetourAppliedRate == 0 {
		return "" // no draw: the fault sequence stays as without quirks
	}
	switch u := s.st.rng.Float64(); {
	case u < q.Deposit4xxRate:
		return QuirkDeposit4xx
	case u < q.Deposit4xxRate+q.CodeRetourAppliedRate:
		return QuirkCodeRetourApplied
	}
	return ""
}

// collapseSingletons rewrites a JSON answer for the single-objects quirk:
// every one-element array under one of singleObjectKeys (any key when all)
// becomes its element. Numbers are kept as written (UseNumber).
func collapseSingletons(data []byte, all bool) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(collapse(v, all))
}

func collapse(v any, all bool) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			e = collapse(e, all)
			if a, ok := e.([]any); ok && len(a) == 1 && (all || slices.Contains(singleObjectKeys, k)) {
				e = a[0]
			}
			t[k] = e
		}
	case []any:
		for i, e := range t {
			t[i] = collapse(e, all)
		}
	}
	return v
}
