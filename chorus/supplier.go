package chorus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris, the zone of Chorus Pro's dates
)

// What the supplier's own technical account says of itself (its structures,
// bank accounts, password expiry), and the single exchanges of the
// qualification probes (`chorusbill chorus check`). chorus-pro.md §2.1, §1.5;
// research/chorus-pro-fidelity.md §4.

// SupplierStructures lists the supplier structures the technical account
// may act for (transverses/v1/recuperer/structures/actives/fournisseur):
// the idStructureCPP of one of them is fournisseur.idFournisseur
// (CHORUS_SUPPLIER_ID). chorus-pro.md §2.1.
func (c *Client) SupplierStructures(ctx context.Context) ([]StructureActive, error) {
	var out StructuresActivesFournisseurResponse
	err := c.call(ctx, "recuperer/structures/actives/fournisseur", PathStructuresActivesFournisseur, StructuresActivesFournisseurRequest{}, &out, safe)
	if out.AucunResultat() {
		return nil, nil
	}
	return out.ListeStructures, err
}

// BankAccounts lists the valid bank accounts of the supplier structure
// idStructure (transverses/v1/recuperer/coordbanc/valides): the
// idCoordonneeBancaire of one of them is CHORUS_BANK_ACCOUNT_ID. None is an
// empty list, not an error. chorus-pro.md §2.1.
func (c *Client) BankAccounts(ctx context.Context, idStructure int64) ([]CoordonneeBancaire, error) {
	var out CoordBancValidesResponse
	err := c.call(ctx, "recuperer/coordbanc/valides", PathCoordBancValides, CoordBancValidesRequest{IDStructure: idStructure}, &out, safe)
	if out.AucunResultat() {
		return nil, nil
	}
	return out.ListeCoordonneeBancaire, err
}

// ErrSupplierUnknown is returned when the supplier structure is not
// configured (CHORUS_SUPPLIER_ID) and the technical account does not act
// for exactly one structure: which one is meant cannot be guessed.
var ErrSupplierUnknown = errors.New("the supplier structure is not configured (CHORUS_SUPPLIER_ID) and the technical account does not act for exactly one")

// SupplierID is the supplier structure's idStructureCPP: Config.SupplierID,
// else the only structure the technical account acts for
// (SupplierStructures); ErrSupplierUnknown when there are none or several.
func (c *Client) SupplierID(ctx context.Context) (int64, error) {
	if c.cfg.SupplierID != 0 {
		return c.cfg.SupplierID, nil
	}
	list, err := c.SupplierStructures(ctx)
	if err != nil {
		return 0, err
	}
	if len(list) != 1 {
		return 0, fmt.Errorf("%w (it acts for %d)", ErrSupplierUnknown, len(list))
	}
	return list[0].IDStructureCPP, nil
}

// ErrPasswordExpiryUnknown is returned by PasswordExpiry when Chorus Pro's
// answer carries no dateExpirationMotPasseCompteTech: the expiry must then
// be configured (CHORUS_TECH_PASSWORD_EXPIRES) to be watched.
var ErrPasswordExpiryUnknown = errors.New("no dateExpirationMotPasseCompteTech in Chorus Pro's answer for the supplier structure")

// PasswordExpiry reads when the technical account's password expires:
// dateExpirationMotPasseCompteTech in the informationGenerales of the
// supplier's own structure (structures/v1/consulter of SupplierID). The
// password lasts 424 days and an expired one fails every call with a 401,
// so the date is worth watching (fidelity C-4). The instant is returned as
// Chorus Pro gave it; a date without a zone is read in Europe/Paris. A
// missing date is ErrPasswordExpiryUnknown; one that cannot be read is a
// Permanent *Error quoting it.
func (c *Client) PasswordExpiry(ctx context.Context) (time.Time, error) {
	id, err := c.SupplierID(ctx)
	if err != nil {
		return time.Time{}, err
	}
	var out ConsulterStructureResponse
	if err := c.call(ctx, "structures/consulter", PathConsulterStructure, ConsulterStructureRequest{IDStructureCPP: id}, &out, safe); err != nil {
		return time.Time{}, err
	}
	raw := strings.TrimSpace(out.InformationGenerales.DateExpirationMotPasseCompteTech)
	if raw == "" {
		return time.Time{}, ErrPasswordExpiryUnknown
	}
	t, err := parseExpiry(raw)
	if err != nil {
		return time.Time{}, &Error{Op: "structures/consulter", Kind: Permanent, Status: 200, Err: fmt.Errorf("dateExpirationMotPasseCompteTech: %w", err)}
	}
	return t, nil
}

// expiryLayouts are the spellings of a date seen in Chorus Pro's answers and
// in its clients: the sandbox's and the Swagger's ISO timestamp with
// milliseconds and offset, RFC 3339 (go-choruspro types the field as a
// time.Time), the "2016-10-25 17:42" of service dates, and a bare date.
// assumption: the real spelling of dateExpirationMotPasseCompteTech is
// undocumented; `chorusbill chorus check` shows what the platform sends.
var expiryLayouts = []string{
	"2006-01-02T15:04:05.000-07:00", time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.000",
	"2006-01-02 15:04:05", "2006-01-02 15:04", time.DateOnly, "02/01/2006",
}

// parseExpiry reads a date or timestamp as Chorus Pro writes them; one
// without a zone is in Europe/Paris.
func parseExpiry(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range expiryLayouts {
		if t, err := time.ParseInLocation(layout, s, chorusZone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date Chorus Pro writes (e.g. 2026-03-31T00:00:00.000+02:00 or 2026-03-31)", s)
}

// Seen is what one exchange of a probe showed, whatever its outcome: the
// HTTP status, the envelope, and how each list of the answer came.
type Seen struct {
	// Status is the HTTP status (0 when no answer came).
	Status int
	// CodeRetour and Libelle are the answer's envelope (zero when the
	// body was not a JSON object, e.g. an HTTP error page).
	CodeRetour int
	Libelle    string
	// Lists gives the shape of each list field at the top of the answer
	// (liste…, or any field holding an array): a one-element list sent as
	// a single object is what fidelity B-3 fears, and the typed decoding
	// refuses it.
	Lists map[string]Shape
}

// Shape is how a list field came: a JSON array of Len items, or a single
// object in its place.
type Shape struct {
	Object bool
	Len    int
}

func (s Shape) String() string {
	if s.Object {
		return "a single object, not an array"
	}
	return fmt.Sprintf("an array of %d", s.Len)
}

// ListsString describes the lists of the answer, sorted by name: e.g.
// "listeStructures: an array of 1".
func (s Seen) ListsString() string {
	names := make([]string, 0, len(s.Lists))
	for n := range s.Lists {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ": " + s.Lists[n].String()
	}
	return strings.Join(parts, ", ")
}

// Probe makes one exchange for a qualification check: in is POSTed to path
// as any call would, the answer decoded into out (when not nil), and
// described in Seen whatever it held. Unlike the other calls it is not
// retried (a probe reports what the platform answered, once; a 401 still
// fetches one new token first), so a transient failure is returned as it
// came. A business error (codeRetour ≠ 0) is a Permanent *Error, Seen
// filled all the same; a list that came as an object is decoded (List) and
// Seen.Lists says so.
func (c *Client) Probe(ctx context.Context, op, path string, in, out any) (Seen, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return Seen{}, &Error{Op: op, Kind: Permanent, Err: err}
	}
	var seen Seen
	err = c.once(ctx, op, path, body, &probeAnswer{out: out, seen: &seen}, safe)
	var e *Error
	switch {
	case err == nil:
		seen.Status = 200 // classify accepts nothing else
	case errors.As(err, &e):
		seen.Status = e.Status
	}
	return seen, err
}

// CheckToken fetches a PISTE access token (or finds the one held still
// valid): the first step of every call, probed alone so that credentials
// refused by PISTE are told apart from a technical account refused by
// Chorus Pro. Its errors are the calls' (Auth for refused credentials).
func (c *Client) CheckToken(ctx context.Context) error {
	_, err := c.tokens.token(ctx)
	return err
}

// probeAnswer decodes an answer into out while noting, in seen, its
// envelope and the shape of its lists.
type probeAnswer struct {
	out  any
	seen *Seen
}

func (p *probeAnswer) retour() Retour {
	return Retour{CodeRetour: p.seen.CodeRetour, Libelle: p.seen.Libelle}
}

func (p *probeAnswer) UnmarshalJSON(data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	var env Retour
	if err := json.Unmarshal(data, &env); err != nil {
		return err
	}
	p.seen.CodeRetour, p.seen.Libelle = env.CodeRetour, env.Libelle
	p.seen.Lists = map[string]Shape{}
	for name, raw := range fields {
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) > 0 && raw[0] == '[':
			var items []json.RawMessage
			if err := json.Unmarshal(raw, &items); err == nil {
				p.seen.Lists[name] = Shape{Len: len(items)}
			}
		case len(raw) > 0 && raw[0] == '{' && strings.HasPrefix(name, "liste"):
			p.seen.Lists[name] = Shape{Object: true, Len: 1}
		}
	}
	if p.out == nil {
		return nil
	}
	return json.Unmarshal(data, p.out)
}
