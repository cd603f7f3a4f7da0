package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/chorusbill/chorusbill/chorus"
	"github.com/chorusbill/chorusbill/internal/app"
	"github.com/chorusbill/chorusbill/invoice"
	"github.com/chorusbill/chorusbill/store"
	"github.com/chorusbill/chorusbill/worker"
)

const chorusAbout = `Talks to the configured Chorus Pro (CHORUS_ENV and CHORUS_*, as
"chorusbill work" does). One subcommand:

  chorusbill chorus check [--buyer SIRET] [--flow NUMBER]

check runs the qualification probes, one exchange each, and prints one line
per probe: OK or FAIL, then what the platform answered (HTTP status,
codeRetour and libelle, counts, and whether each list came as a JSON array
or as a single object). It settles what no documentation says
(research/chorus-pro-fidelity.md §4) before the first real deposit:

  token      a PISTE access token for CHORUS_CLIENT_ID and CHORUS_CLIENT_SECRET
  supplier   the structures the technical account acts for (one must be
             CHORUS_SUPPLIER_ID, and carry the issuer's SIRET)
  bank       the supplier's valid bank accounts (CHORUS_BANK_ACCOUNT_ID among them)
  buyer      a structure search for --buyer, which must be found
  unknown    a structure search for a SIRET no one holds, which must come back
             as "not on Chorus Pro" (codeRetour 20000, or nothing found)
  invoices   a search of the supplier's invoices by a number that cannot exist,
             which must find nothing
  flow       the processing report of --flow, or of a flow that does not
             exist, whose answer must be codeRetour 20001 (flux introuvable)
  password   when the technical account's password expires
             (dateExpirationMotPasseCompteTech, or CHORUS_TECH_PASSWORD_EXPIRES)

Exit status 0 when every probe is OK, 1 otherwise. Nothing is deposited and
nothing changes on Chorus Pro.`

// Probe values that cannot exist on any platform.
const (
	// checkBuyerDefault is a buyer of fixtures/sample on Chorus Pro in the
	// sandbox (Commune de Plougastel-Daoulas); in qualification, give a
	// SIRET of the platform's test data (--buyer).
	checkBuyerDefault = "21299951000010"
	// checkUnknownSIRET has valid check digits (SIREN 999 999 998), so that
	// Chorus Pro searches for it rather than refusing its form, and is
	// assigned to no one.
	checkUnknownSIRET = "99999999800084"
	// checkUnknownInvoice is no number of chorusbill's series (CT2025-…),
	// within Chorus Pro's 20 characters.
	checkUnknownInvoice = "CHORUSBILL-CHECK-0"
	// checkUnknownFlow has the form of a flow number (CPP + 22 digits) and
	// is no flow's.
	checkUnknownFlow = "CPP0000000000000000000000"
)

func runChorus(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(c.stdout, "Usage: chorusbill chorus check [flags]\n\n%s\n", chorusAbout)
		if len(args) == 0 {
			return usagef("a subcommand is required: check")
		}
		return nil
	}
	if args[0] != "check" {
		return usagef("unknown subcommand %q: want check", args[0])
	}
	return runChorusCheck(ctx, c, args[1:])
}

func runChorusCheck(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("chorus check", "[--buyer SIRET] [--flow NUMBER]", chorusAbout)
	buyer := fs.String("buyer", checkBuyerDefault, "a buyer `SIRET` the platform knows (default: a buyer of the sandbox)")
	flow := fs.String("flow", "", "read the processing report of this deposited flow `NUMBER` (default: a flow that does not exist)")
	if err := parse(fs, args); err != nil {
		return err
	}
	siret, err := invoice.ValidateSIRET(*buyer)
	if err != nil {
		return usagef("--buyer: %v", err)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	ccfg, err := cfg.ChorusConfig()
	if err != nil {
		return err
	}
	api, err := chorus.New(ccfg, chorus.WithLogger(c.logger(c.stderr, slog.LevelWarn)))
	if err != nil {
		return err
	}
	is, err := cfg.LoadIssuer()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Chorus Pro %s at %s (technical account %s)\n", ccfg.Env, ccfg.BaseURL, ccfg.TechLogin)
	k := &checker{ctx: ctx, api: api, cfg: cfg, ccfg: ccfg, issuerSIRET: is.Seller.SIRET, now: time.Now}
	results := k.run(siret, *flow)
	nfailed := 0
	for _, r := range results {
		mark := "OK  "
		if !r.ok {
			mark = "FAIL"
			nfailed++
		}
		fmt.Fprintf(c.stdout, "%s %-9s %s\n", mark, r.name, r.detail)
	}
	if nfailed > 0 {
		return fmt.Errorf("%d of %d probes failed", nfailed, len(results))
	}
	fmt.Fprintf(c.stdout, "all %d probes OK\n", len(results))
	return nil
}

// probeResult is one line of the check.
type probeResult struct {
	name   string
	ok     bool
	detail string
}

// checker runs the probes against one platform.
type checker struct {
	ctx         context.Context
	api         *chorus.Client
	cfg         app.Config
	ccfg        chorus.Config
	issuerSIRET string
	now         func() time.Time
}

// run makes every probe in order. Without a token nothing else can be
// asked: the other probes are then reported failed, untried, rather than
// each spending PISTE's retries on the same refusal.
func (k *checker) run(buyer, flow string) []probeResult {
	if err := k.api.CheckToken(k.ctx); err != nil {
		out := []probeResult{{"token", false, "no token from " + k.ccfg.TokenURL + ": " + err.Error()}}
		for _, name := range []string{"supplier", "bank", "buyer", "unknown", "invoices", "flow", "password"} {
			out = append(out, probeResult{name, false, "not tried: no token"})
		}
		return out
	}
	out := []probeResult{{"token", true, "PISTE token obtained from " + k.ccfg.TokenURL}}
	supplier, r := k.supplier()
	out = append(out, r, k.bank(supplier), k.buyer(buyer), k.unknownBuyer(), k.unknownInvoice(), k.flow(flow), k.password(supplier))
	return out
}

// seen describes an answer: "HTTP 200, codeRetour 0 (TRA_MSG_00.000),
// listeStructures: an array of 1".
func seen(s chorus.Seen) string {
	parts := []string{}
	if s.Status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", s.Status))
	}
	if s.Status == 200 || s.CodeRetour != 0 || s.Libelle != "" {
		parts = append(parts, fmt.Sprintf("codeRetour %d (%s)", s.CodeRetour, s.Libelle))
	}
	if l := s.ListsString(); l != "" {
		parts = append(parts, l)
	}
	return strings.Join(parts, ", ")
}

// failed is a probe whose exchange went wrong: what was seen, then the error.
func failed(name string, s chorus.Seen, err error) probeResult {
	if d := seen(s); d != "" {
		return probeResult{name, false, d + ": " + err.Error()}
	}
	return probeResult{name, false, err.Error()}
}

// supplier checks the structures the technical account acts for; it
// returns the supplier's idStructureCPP (0 when unknown).
func (k *checker) supplier() (int64, probeResult) {
	var out chorus.StructuresActivesFournisseurResponse
	s, err := k.api.Probe(k.ctx, "recuperer/structures/actives/fournisseur", chorus.PathStructuresActivesFournisseur, chorus.StructuresActivesFournisseurRequest{}, &out)
	if err != nil {
		return 0, failed("supplier", s, err)
	}
	names := make([]string, len(out.ListeStructures))
	var chosen *chorus.StructureActive
	for i, st := range out.ListeStructures {
		names[i] = fmt.Sprintf("%d %s (SIRET %s)", st.IDStructureCPP, st.DesignationStructure, st.Identifiant)
		if st.IDStructureCPP == k.ccfg.SupplierID || (k.ccfg.SupplierID == 0 && len(out.ListeStructures) == 1) {
			chosen = &out.ListeStructures[i]
		}
	}
	detail := seen(s) + ": " + strings.Join(names, "; ")
	switch {
	case len(out.ListeStructures) == 0:
		return 0, probeResult{"supplier", false, seen(s) + ": no structure: the technical account acts for none"}
	case chosen == nil && k.ccfg.SupplierID != 0:
		return 0, probeResult{"supplier", false, fmt.Sprintf("%s; CHORUS_SUPPLIER_ID %d is not among them", detail, k.ccfg.SupplierID)}
	case chosen == nil:
		return 0, probeResult{"supplier", false, detail + "; several structures: set CHORUS_SUPPLIER_ID to the supplier's"}
	case chosen.Identifiant != k.issuerSIRET:
		return chosen.IDStructureCPP, probeResult{"supplier", false, fmt.Sprintf("%s; structure %d has SIRET %s, the issuer (%s) %s: Chorus Pro would refuse the invoices' seller",
			detail, chosen.IDStructureCPP, chosen.Identifiant, app.EnvIssuer, k.issuerSIRET)}
	case k.ccfg.SupplierID == 0:
		return chosen.IDStructureCPP, probeResult{"supplier", true, fmt.Sprintf("%s; CHORUS_SUPPLIER_ID unset: the only structure, %d, is the supplier", detail, chosen.IDStructureCPP)}
	}
	return chosen.IDStructureCPP, probeResult{"supplier", true, detail}
}

// bank checks the supplier's valid bank accounts.
func (k *checker) bank(supplier int64) probeResult {
	if supplier == 0 {
		return probeResult{"bank", false, "not tried: no supplier structure"}
	}
	var out chorus.CoordBancValidesResponse
	s, err := k.api.Probe(k.ctx, "recuperer/coordbanc/valides", chorus.PathCoordBancValides, chorus.CoordBancValidesRequest{IDStructure: supplier}, &out)
	if err != nil && s.CodeRetour != chorus.CodeRetourAucunResultat {
		return failed("bank", s, err)
	}
	names := make([]string, len(out.ListeCoordonneeBancaire))
	found := false
	for i, a := range out.ListeCoordonneeBancaire {
		names[i] = fmt.Sprintf("%d %s", a.IDCoordonneeBancaire, a.NomCoordonneeBancaire)
		found = found || a.IDCoordonneeBancaire == k.ccfg.BankAccountID
	}
	detail := seen(s)
	if len(names) > 0 {
		detail += ": " + strings.Join(names, "; ")
	}
	switch {
	case len(names) == 0:
		return probeResult{"bank", false, detail + ": no valid bank account for structure " + fmt.Sprint(supplier)}
	case k.ccfg.BankAccountID != 0 && !found:
		return probeResult{"bank", false, fmt.Sprintf("%s; CHORUS_BANK_ACCOUNT_ID %d is not among them", detail, k.ccfg.BankAccountID)}
	}
	return probeResult{"bank", true, detail}
}

// searchStructure searches the directory for a SIRET.
func (k *checker) searchStructure(siret string) (chorus.RechercherStructureResponse, chorus.Seen, error) {
	var out chorus.RechercherStructureResponse
	s, err := k.api.Probe(k.ctx, "structures/rechercher", chorus.PathRechercherStructure, chorus.RechercherStructureRequest{
		Structure: chorus.CritereStructure{IdentifiantStructure: siret, TypeIdentifiantStructure: chorus.TypeIdentifiantSIRET},
	}, &out)
	return out, s, err
}

// buyer checks that a buyer the platform knows is found.
func (k *checker) buyer(siret string) probeResult {
	out, s, err := k.searchStructure(siret)
	if err != nil {
		return failed("buyer", s, err)
	}
	if len(out.ListeStructures) == 0 {
		return probeResult{"buyer", false, seen(s) + ": " + siret + " not found (give a SIRET the platform knows with --buyer)"}
	}
	st := out.ListeStructures[0]
	return probeResult{"buyer", true, fmt.Sprintf("%s: %s is structure %d %s, statut %s", seen(s), siret, st.IDStructureCPP, st.DesignationStructure, st.Statut)}
}

// unknownBuyer checks that a SIRET no one holds comes back as the pipeline
// reads "not on Chorus Pro" (chorus.Client.LookupBuyer): codeRetour 20000,
// or success with nothing found. Any other answer would fail every postal
// buyer's delivery instead of sending it by post.
func (k *checker) unknownBuyer() probeResult {
	out, s, err := k.searchStructure(checkUnknownSIRET)
	switch {
	case s.CodeRetour == chorus.CodeRetourAucunResultat && len(out.ListeStructures) == 0:
		return probeResult{"unknown", true, seen(s) + ": " + checkUnknownSIRET + " is not on Chorus Pro"}
	case err != nil:
		return failed("unknown", s, fmt.Errorf("%w (the pipeline reads only codeRetour %d as not on Chorus Pro)", err, chorus.CodeRetourAucunResultat))
	case len(out.ListeStructures) > 0:
		return probeResult{"unknown", false, fmt.Sprintf("%s: %s was found, as structure %d", seen(s), checkUnknownSIRET, out.ListeStructures[0].IDStructureCPP)}
	}
	return probeResult{"unknown", true, seen(s) + ": " + checkUnknownSIRET + " is not on Chorus Pro (nothing found, with success)"}
}

// unknownInvoice checks that a search by an invoice number that cannot
// exist finds nothing, the answer chorus.Client.FindInvoices reads as no
// invoice (reconciliation before any new deposit relies on it).
func (k *checker) unknownInvoice() probeResult {
	var out chorus.RechercherFactureParFournisseurResponse
	s, err := k.api.Probe(k.ctx, "rechercher/fournisseur", chorus.PathRechercherFactureFournisseur, chorus.RechercherFactureParFournisseurRequest{
		NumeroFacture: checkUnknownInvoice, IDFournisseur: k.ccfg.SupplierID,
		RechercheFactureParFournisseur: &chorus.Pagination{PageResultatDemandee: 1, NbResultatsParPage: 10},
	}, &out)
	switch {
	case s.CodeRetour == chorus.CodeRetourAucunResultat && len(out.ListeFactures) == 0:
		return probeResult{"invoices", true, seen(s) + ": no invoice " + checkUnknownInvoice}
	case err != nil:
		return failed("invoices", s, fmt.Errorf("%w (the pipeline reads only codeRetour %d as no invoice)", err, chorus.CodeRetourAucunResultat))
	case len(out.ListeFactures) > 0:
		return probeResult{"invoices", false, fmt.Sprintf("%s: %d invoice(s) found for %s", seen(s), len(out.ListeFactures), checkUnknownInvoice)}
	}
	return probeResult{"invoices", true, seen(s) + ": no invoice " + checkUnknownInvoice + " (nothing found, with success)"}
}

// flow reads a flow's processing report: the one given, or one that does
// not exist, which must answer codeRetour 20001 (flux introuvable).
// numeroFluxDepot alone is sent, as OCA, Pastell and Tryton do (fidelity C-2).
func (k *checker) flow(number string) probeResult {
	unknown := number == ""
	if unknown {
		number = checkUnknownFlow
	}
	var out chorus.ConsulterCRDetailleResponse
	s, err := k.api.Probe(k.ctx, "consulterCRDetaille", chorus.PathConsulterCRDetaille, chorus.ConsulterCRDetailleRequest{NumeroFluxDepot: number}, &out)
	if unknown {
		if s.CodeRetour == chorus.CodeRetourErreur20001 {
			return probeResult{"flow", true, seen(s) + ": flow " + number + " does not exist"}
		}
		if err != nil {
			return failed("flow", s, fmt.Errorf("%w (flow %s does not exist: codeRetour %d was expected)", err, number, chorus.CodeRetourErreur20001))
		}
		return probeResult{"flow", false, fmt.Sprintf("%s: flow %s, which does not exist, has state %q", seen(s), number, out.EtatCourantDepotFlux)}
	}
	if err != nil {
		return failed("flow", s, err)
	}
	detail := fmt.Sprintf("%s: flow %s is %s (%s), file %q, %d invoice error(s), %d technical error(s)", seen(s), number,
		out.EtatCourantDepotFlux, out.EtatCourantDepotFlux.Issue(), out.NomFichier, len(out.ListeErreurDP), len(out.ListeErreurTechnique))
	for _, e := range out.ListeErreurDP {
		detail += fmt.Sprintf("; %s: %s", e.NumeroDP, e.LibelleErreurDP)
	}
	return probeResult{"flow", out.EtatCourantDepotFlux.Issue() != chorus.IssueUnknown, detail}
}

// password says when the technical account's password expires: the date
// Chorus Pro gives, and the configured one, which wins (the dashboard's
// rule, worker.ReadAccountExpiry). It fails once the password has expired,
// or when no date is known at all (nothing could then warn before every
// call is refused).
func (k *checker) password(supplier int64) probeResult {
	if supplier == 0 && k.ccfg.SupplierID == 0 {
		return probeResult{"password", false, "not tried: no supplier structure"}
	}
	var (
		from string
		e    worker.AccountExpiry
	)
	t, err := k.api.PasswordExpiry(k.ctx)
	switch {
	case err == nil:
		from = "dateExpirationMotPasseCompteTech " + t.Format(time.RFC3339)
		e = worker.AccountExpiry{On: store.CivilDayInParis(t), Source: store.AccountFromChorus}
	case errors.Is(err, chorus.ErrPasswordExpiryUnknown):
		from = "Chorus Pro gives no dateExpirationMotPasseCompteTech"
	default:
		return probeResult{"password", false, err.Error()}
	}
	if c := k.cfg.TechPasswordExpires; !c.IsZero() {
		e = worker.AccountExpiry{On: store.CivilDayInParis(c), Source: worker.AccountFromConfiguration}
		from += fmt.Sprintf("; %s %s wins", app.EnvTechPasswordExpires, c.Format(time.DateOnly))
	}
	if e.On.IsZero() {
		return probeResult{"password", false, from + ": set " + app.EnvTechPasswordExpires + " (YYYY-MM-DD) so that the dashboard warns before it expires"}
	}
	now := k.now()
	days := e.DaysLeft(now)
	switch {
	case e.Expired(now):
		return probeResult{"password", false, fmt.Sprintf("%s: expired on %s, %d day(s) ago: renew it on the Chorus Pro portal", from, e.On.Format(time.DateOnly), -days)}
	case e.Warn(now):
		return probeResult{"password", true, fmt.Sprintf("%s: expires on %s, in %d day(s): renew it on the Chorus Pro portal", from, e.On.Format(time.DateOnly), days)}
	}
	return probeResult{"password", true, fmt.Sprintf("%s: expires on %s, in %d days", from, e.On.Format(time.DateOnly), days)}
}
