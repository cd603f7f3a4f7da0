package chorus

import (
	"context"
	"fmt"
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
	err := c.call(ctx, "recycler", PathRecycler, req, &out, unsafe)
	return out, err
}

// Complete adds a comment or attachments to a SUSPENDUE invoice
// (factures/v1/completer, chorus-pro.md §2.7).
func (c *Client) Complete(ctx context.Context, req CompleterRequest) (CompleterResponse, error) {
	var out CompleterResponse
	err := c.call(ctx, "completer", PathCompleter, req, &out, unsafe)
	return out, err
}
