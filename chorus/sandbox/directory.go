package sandbox

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/fixtures"
)

// Directory is the sandbox's buyer directory: the public structures that are
// on Chorus Pro, what each one requires on an invoice, its services, and the
// scripted way it treats the invoices it receives. A SIRET that is not in
// the directory is "not on Chorus Pro". A Directory is immutable once
// loaded; a Server copies it, so that admin changes and resets never touch
// it.
type Directory struct {
	buyers  []Buyer
	bySIRET map[string]int
	// creditNotes is the lifecycle of credit notes (AVOIR), whatever the
	// buyer.
	creditNotes []Step
}

// Buyer is a public structure on Chorus Pro.
type Buyer struct {
	SIRET string `json:"siret"`
	// ID is the idStructureCPP.
	ID   int64  `json:"idStructureCPP"`
	Name string `json:"name"`
	// Parametres are its obligations (structures/v1/consulter → parametres).
	Parametres chorus.ParametresStructure `json:"parametres"`
	Address    chorus.AdressePostale      `json:"adresse"`
	Services   []Service                  `json:"services"`
	Behaviour  Behaviour                  `json:"behaviour"`
}

// Service is a service (service exécutant) of a buyer.
type Service struct {
	ID   int64  `json:"idService"`
	Code string `json:"codeService"`
	Name string `json:"libelleService"`
	// Active is estActif: an inactive service is refused on an invoice
	// (chorus-pro.md §3.4).
	Active bool `json:"estActif"`
	// EngagementRequired is the service's parametres.numeroEngagement: an EJ
	// is required for this service (chorus-pro.md §2.2, §3.4).
	EngagementRequired bool `json:"numeroEngagement"`
	// Start and End are dateDbtService / dateFinService ("2016-10-25 17:42").
	Start string `json:"dateDbtService,omitempty"`
	End   string `json:"dateFinService,omitempty"`
}

// Behaviour is how a buyer treats the invoices it receives.
//
// Lifecycles[n] scripts the n-th invoice (not credit note) integrated for
// this buyer; invoices beyond the last script follow the last one. An empty
// script leaves invoices DEPOSEE. Lifecycle is a shorthand for a single
// script.
//
// FlowOutcome is a test hook (assumption, not Chorus Pro behaviour): when
// set, every flow whose invoice targets this buyer ends in that state
// instead of being processed (e.g. IN_INCIDENTE, or a state unknown to the
// client). IN_REJETE rejects the invoice with a generic listeErreurDP entry.
// Any other state creates no invoice, so the number may be deposited again:
// that is how the final states IN_A_RELANCER and IN_ERREUR_INTERNE, which
// real flows can end in (fidelity.md A-3), are played for one buyer (the
// flow-a-relancer and flow-erreur-interne quirks play them for a share of
// all flows).
type Behaviour struct {
	Lifecycle   []Step          `json:"lifecycle,omitempty" yaml:"lifecycle"`
	Lifecycles  [][]Step        `json:"lifecycles,omitempty" yaml:"lifecycles"`
	FlowOutcome chorus.EtatFlux `json:"flowOutcome,omitempty" yaml:"flowOutcome"`
}

// Step is one scripted status change of an invoice, After (on the business
// clock) the previous one; the first step counts from the invoice's
// integration (its DEPOSEE status). After a SUSPENDUE step the script waits
// for the supplier's completer (the invoice becomes COMPLETEE, then the
// script goes on, counting from then); after an A_RECYCLER step it waits for
// recycler (the invoice becomes DEPOSEE again, chorus-pro.md §2.7). A
// terminal status (MISE_EN_PAIEMENT, REJETEE, ABANDONNEE, SUPPRIMEE) ends
// the script.
//
// Status may be any upper-case code, including one outside the official
// enum, so that tests can exercise how a client handles unknown statuses.
// REJETEE and SUSPENDUE require a Comment: a recipient must give a reason
// (chorus-pro.md §2.10).
type Step struct {
	Status  chorus.StatutFacture `json:"status" yaml:"status"`
	After   Duration             `json:"after" yaml:"after"`
	Comment string               `json:"comment,omitempty" yaml:"comment"`
}

// Buyers returns a copy of the directory's buyers, in load order.
func (d *Directory) Buyers() []Buyer {
	out := make([]Buyer, len(d.buyers))
	for i, b := range d.buyers {
		out[i] = b.clone()
	}
	return out
}

// Lookup returns the buyer with this SIRET, if it is on Chorus Pro.
func (d *Directory) Lookup(siret string) (Buyer, bool) {
	i, ok := d.bySIRET[siret]
	if !ok {
		return Buyer{}, false
	}
	return d.buyers[i].clone(), true
}

func (b Buyer) clone() Buyer {
	b.Services = append([]Service(nil), b.Services...)
	b.Behaviour = b.Behaviour.clone()
	return b
}

func (b Behaviour) clone() Behaviour {
	b.Lifecycle = append([]Step(nil), b.Lifecycle...)
	ls := make([][]Step, len(b.Lifecycles))
	for i, l := range b.Lifecycles {
		ls[i] = append([]Step(nil), l...)
	}
	b.Lifecycles = ls
	return b
}

// script returns the lifecycle of the n-th invoice (from 0).
func (b Behaviour) script(n int) []Step {
	if len(b.Lifecycles) == 0 {
		return nil
	}
	return b.Lifecycles[min(n, len(b.Lifecycles)-1)]
}

var codePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// normalize folds Lifecycle into Lifecycles and validates the scripts.
func (b *Behaviour) normalize() error {
	if len(b.Lifecycle) > 0 {
		if len(b.Lifecycles) > 0 {
			return errors.New("give lifecycle or lifecycles, not both")
		}
		b.Lifecycles = [][]Step{b.Lifecycle}
		b.Lifecycle = nil
	}
	for i, l := range b.Lifecycles {
		if err := validateScript(l); err != nil {
			return fmt.Errorf("lifecycles[%d]: %w", i, err)
		}
	}
	if b.FlowOutcome != "" && !codePattern.MatchString(string(b.FlowOutcome)) {
		return fmt.Errorf("flowOutcome %q is not an upper-case code", b.FlowOutcome)
	}
	return nil
}

// checkBehaviour refuses a behaviour that pays the invoices of a buyer that
// does not report payment (statutMiseEnPaiementNestPasRemonte): such a
// buyer never sets MISE_EN_PAIEMENT (assumption: the flag's meaning, from
// its name), though it may reject, suspend or send back for recycling like
// any recipient (chorus-pro-fidelity.md A-1, the Swagger's
// traiterFactureRecue). The default lifecycle's payment is not refused but
// not played (state.advance).
func (b Buyer) checkBehaviour(bh Behaviour) error {
	if !b.Parametres.StatutMiseEnPaiementNestPasRemonte {
		return nil
	}
	for _, l := range append([][]Step{bh.Lifecycle}, bh.Lifecycles...) {
		for _, st := range l {
			if st.Status == chorus.StatutMiseEnPaiement {
				return fmt.Errorf("%s does not report payment (statutMiseEnPaiementNestPasRemonte): its lifecycle cannot reach %s", b.SIRET, st.Status)
			}
		}
	}
	return nil
}

func validateScript(steps []Step) error {
	for i, s := range steps {
		if !codePattern.MatchString(string(s.Status)) {
			return fmt.Errorf("step %d: status %q is not an upper-case code", i+1, s.Status)
		}
		if s.After < 0 {
			return fmt.Errorf("step %d: negative delay", i+1)
		}
		// chorus-pro.md §2.10: a reason is mandatory for REJETEE and SUSPENDUE.
		if (s.Status == chorus.StatutRejetee || s.Status == chorus.StatutSuspendue) && strings.TrimSpace(s.Comment) == "" {
			return fmt.Errorf("step %d: %s needs a comment (the buyer's reason)", i+1, s.Status)
		}
		if s.Status.Terminal() && i != len(steps)-1 {
			return fmt.Errorf("step %d: %s is terminal but steps follow it", i+1, s.Status)
		}
	}
	return nil
}

// directoryFile is the YAML layout of fixtures/chorus-buyers.yaml.
type directoryFile struct {
	Default     Behaviour   `yaml:"default"`
	CreditNotes Behaviour   `yaml:"creditNotes"`
	Buyers      []buyerFile `yaml:"buyers"`
}

type buyerFile struct {
	SIRET          string         `yaml:"siret"`
	IDStructureCPP int64          `yaml:"idStructureCPP"`
	Name           string         `yaml:"name"`
	Parametres     parametresFile `yaml:"parametres"`
	Adresse        struct {
		Adresse    string `yaml:"adresse"`
		CodePostal string `yaml:"codePostal"`
		Ville      string `yaml:"ville"`
	} `yaml:"adresse"`
	Services    []serviceFile   `yaml:"services"`
	Lifecycle   []Step          `yaml:"lifecycle"`
	Lifecycles  [][]Step        `yaml:"lifecycles"`
	FlowOutcome chorus.EtatFlux `yaml:"flowOutcome"`
}

type serviceFile struct {
	IDService        int64  `yaml:"idService"`
	CodeService      string `yaml:"codeService"`
	LibelleService   string `yaml:"libelleService"`
	EstActif         *bool  `yaml:"estActif"`
	NumeroEngagement bool   `yaml:"numeroEngagement"`
	DateDbtService   string `yaml:"dateDbtService"`
	DateFinService   string `yaml:"dateFinService"`
}

// parametresFile is chorus.ParametresStructure in YAML, under the API's own
// names.
type parametresFile struct {
	CodeServiceDoitEtreRenseigne       bool `yaml:"codeServiceDoitEtreRenseigne"`
	NumeroEJDoitEtreRenseigne          bool `yaml:"numeroEJDoitEtreRenseigne"`
	GestionNumeroEJOuCodeService       bool `yaml:"gestionNumeroEJOuCodeService"`
	StatutMiseEnPaiementNestPasRemonte bool `yaml:"statutMiseEnPaiementNestPasRemonte"`
	ConnexionEDI                       bool `yaml:"connexionEDI"`
	RecevoirDonneesViaEDI              bool `yaml:"recevoirDonneesViaEDI"`
	EstMoaUniquement                   bool `yaml:"estMoaUniquement"`
	EstValideurDelegue                 bool `yaml:"estValideurDelegue"`
	GetaMoa                            bool `yaml:"getaMoa"`
	NonDiffusibleInsee                 bool `yaml:"nonDiffusibleInsee"`
}

// EstablishmentsSource is an establishments CSV (the import format of
// fixtures/README.md: ';'-separated, with a header naming at least siret,
// and optionally name and on_chorus).
type EstablishmentsSource struct {
	Name string
	Data []byte
}

// First idStructureCPP given to buyers without one: those of the YAML file,
// then those from establishments CSVs. assumption: real ids are opaque
// integers.
const (
	firstListedBuyerID   int64 = 25_000_001
	firstDefaultBuyerID  int64 = 40_000_001
	servicesPerStructure int64 = 100
)

// LoadDirectory reads a buyer directory: the YAML file (see
// fixtures/chorus-buyers.yaml for the layout) and establishments CSVs whose
// on_chorus=oui rows (empty means oui, per fixtures/README.md) not listed
// in the YAML become buyers with the YAML's default behaviour, no
// obligation and the FACTURES_PUBLIQUES service only. name labels errors.
func LoadDirectory(name string, buyersYAML []byte, establishments ...EstablishmentsSource) (*Directory, error) {
	var f directoryFile
	dec := yaml.NewDecoder(bytes.NewReader(buyersYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := f.Default.normalize(); err != nil {
		return nil, fmt.Errorf("%s: default: %w", name, err)
	}
	if err := f.CreditNotes.normalize(); err != nil {
		return nil, fmt.Errorf("%s: creditNotes: %w", name, err)
	}
	d := &Directory{bySIRET: map[string]int{}}
	if len(f.CreditNotes.Lifecycles) > 0 {
		d.creditNotes = f.CreditNotes.Lifecycles[0]
	}
	ids := map[int64]string{}
	nextID := firstListedBuyerID
	for i, bf := range f.Buyers {
		where := fmt.Sprintf("%s: buyers[%d] (%s)", name, i, bf.SIRET)
		if !isSIRETShape(bf.SIRET) {
			return nil, fmt.Errorf("%s: siret must be 14 digits", where)
		}
		if _, dup := d.bySIRET[bf.SIRET]; dup {
			return nil, fmt.Errorf("%s: siret listed twice", where)
		}
		if strings.TrimSpace(bf.Name) == "" {
			return nil, fmt.Errorf("%s: name is required", where)
		}
		b := Buyer{SIRET: bf.SIRET, ID: bf.IDStructureCPP, Name: bf.Name, Parametres: chorus.ParametresStructure(bf.Parametres)}
		if b.ID == 0 {
			for ids[nextID] != "" {
				nextID++
			}
			b.ID = nextID
			nextID++
		}
		if other := ids[b.ID]; other != "" {
			return nil, fmt.Errorf("%s: idStructureCPP %d already used by %s", where, b.ID, other)
		}
		ids[b.ID] = b.SIRET
		b.Address = chorus.AdressePostale{Adresse: bf.Adresse.Adresse, CodePostal: bf.Adresse.CodePostal, Ville: bf.Adresse.Ville, Pays: "FR"}
		codes := map[string]bool{}
		for k, sf := range bf.Services {
			if sf.CodeService == "" {
				return nil, fmt.Errorf("%s: services[%d]: codeService is required", where, k)
			}
			if codes[sf.CodeService] {
				return nil, fmt.Errorf("%s: service %s listed twice", where, sf.CodeService)
			}
			codes[sf.CodeService] = true
			s := Service{ID: sf.IDService, Code: sf.CodeService, Name: sf.LibelleService, Active: sf.EstActif == nil || *sf.EstActif,
				EngagementRequired: sf.NumeroEngagement, Start: sf.DateDbtService, End: sf.DateFinService}
			if s.ID == 0 {
				s.ID = b.ID*servicesPerStructure + int64(k) + 1
			}
			if s.Name == "" {
				s.Name = s.Code
			}
			b.Services = append(b.Services, s)
		}
		b.Behaviour = Behaviour{Lifecycle: bf.Lifecycle, Lifecycles: bf.Lifecycles, FlowOutcome: bf.FlowOutcome}
		if err := b.checkBehaviour(b.Behaviour); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if len(b.Behaviour.Lifecycle) == 0 && len(b.Behaviour.Lifecycles) == 0 {
			b.Behaviour.Lifecycles = f.Default.clone().Lifecycles
		}
		if err := b.Behaviour.normalize(); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		d.bySIRET[b.SIRET] = len(d.buyers)
		d.buyers = append(d.buyers, b)
	}
	nextID = firstDefaultBuyerID
	for _, src := range establishments {
		rows, err := readEstablishments(src)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if !r.onChorus {
				continue
			}
			if _, listed := d.bySIRET[r.siret]; listed {
				continue
			}
			for ids[nextID] != "" {
				nextID++
			}
			b := Buyer{SIRET: r.siret, ID: nextID, Name: r.name, Address: chorus.AdressePostale{Pays: "FR"}}
			nextID++
			ids[b.ID] = b.SIRET
			b.Services = []Service{{ID: b.ID*servicesPerStructure + 1, Code: chorus.CodeServiceFacturesPubliques,
				Name: "Service des factures publiques", Active: true}}
			b.Behaviour = f.Default.clone()
			d.bySIRET[b.SIRET] = len(d.buyers)
			d.buyers = append(d.buyers, b)
		}
	}
	return d, nil
}

type establishmentRow struct {
	siret, name string
	onChorus    bool
}

// readEstablishments reads the siret, name and on_chorus columns of an
// establishments CSV. Other columns are ignored; rows are not validated
// beyond the SIRET's shape (the importer does that).
func readEstablishments(src EstablishmentsSource) ([]establishmentRow, error) {
	r := csv.NewReader(bytes.NewReader(src.Data))
	r.Comma = ';'
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", src.Name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	siretCol, ok := col["siret"]
	if !ok {
		return nil, fmt.Errorf("%s: no siret column", src.Name)
	}
	nameCol, hasName := col["name"]
	chorusCol, hasChorus := col["on_chorus"]
	var rows []establishmentRow
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.Name, err)
		}
		if siretCol >= len(rec) {
			continue
		}
		row := establishmentRow{siret: strings.TrimSpace(rec[siretCol]), onChorus: true}
		if !isSIRETShape(row.siret) {
			return nil, fmt.Errorf("%s: line %d: siret %q is not 14 digits", src.Name, line, row.siret)
		}
		if hasName && nameCol < len(rec) {
			row.name = strings.TrimSpace(rec[nameCol])
		}
		if hasChorus && chorusCol < len(rec) {
			switch strings.ToLower(strings.TrimSpace(rec[chorusCol])) {
			case "", "oui":
			case "non":
				row.onChorus = false
			default:
				return nil, fmt.Errorf("%s: line %d: on_chorus %q is neither oui nor non", src.Name, line, rec[chorusCol])
			}
		}
		if row.name == "" {
			row.name = "Structure " + row.siret
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// DefaultDirectory loads the embedded fixtures/chorus-buyers.yaml with the
// embedded sample establishments (fixtures/sample/establishments.csv).
func DefaultDirectory() (*Directory, error) {
	buyers, err := embeddedBuyers()
	if err != nil {
		return nil, err
	}
	est, err := embeddedEstablishments()
	if err != nil {
		return nil, err
	}
	return LoadDirectory("fixtures/"+fixtures.ChorusBuyers, buyers, est...)
}

func embeddedBuyers() ([]byte, error) {
	data, err := fs.ReadFile(fixtures.FS(), fixtures.ChorusBuyers)
	if err != nil {
		return nil, fmt.Errorf("sandbox: embedded buyer directory: %w", err)
	}
	return data, nil
}

func embeddedEstablishments() ([]EstablishmentsSource, error) {
	p := path.Join(fixtures.SampleDir, "establishments.csv")
	data, err := fs.ReadFile(fixtures.FS(), p)
	if err != nil {
		return nil, fmt.Errorf("sandbox: embedded sample establishments: %w", err)
	}
	return []EstablishmentsSource{{Name: "fixtures/" + p, Data: data}}, nil
}
