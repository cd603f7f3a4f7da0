package document

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/chorusbill/chorusbill/invoice"
	"github.com/shopspring/decimal"
)

// RenderPDF renders d as the human-readable A4 French invoice (or credit
// note): every mandatory mention of CGI ann. II art. 242 nonies A, C. com.
// L441-9 and CCP D2192-2, the buyer's address placed for a DL window
// envelope, and for an overage invoice its usage statement on a page of its
// own. All fonts are embedded. The bytes are deterministic: the same
// Document always gives the same PDF.
func RenderPDF(d Document) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("render PDF: %w", err)
	}
	c := newCanvas(documentMeta(d))
	c.drawDocument(d)
	return c.output()
}

// documentMeta is the PDF metadata of one invoice.
func documentMeta(d Document) pdfMeta {
	return pdfMeta{
		title:   d.Title() + " " + d.Number,
		author:  d.Seller.Name,
		subject: fmt.Sprintf("%s n° %s du %s, %s", d.Title(), d.Number, frDate(d.IssueDate), d.Buyer.Name),
		date:    d.IssueDate,
	}
}

func (c *canvas) output() ([]byte, error) {
	var buf bytes.Buffer
	if err := c.pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// docWriter lays out one document from its first page; y is the top of
// the free space on the current page.
type docWriter struct {
	*canvas
	d     Document
	y     float64
	first int // fpdf page number of the document's first page
}

// drawDocument appends d's pages to the canvas, numbered "Page i/n" among
// themselves (a print batch holds several documents).
func (c *canvas) drawDocument(d Document) {
	w := &docWriter{canvas: c, d: d}
	w.pdf.AddPage()
	w.first = w.pdf.PageNo()
	sellerBottom, titleBottom := w.header()
	refsBottom := w.references(sellerBottom)
	w.buyerAddress()
	if titleBottom > windowTop {
		// header shrinks long titles so that this cannot happen with
		// today's titles; fail rather than print into the envelope window.
		w.pdf.SetError(fmt.Errorf("render PDF %s: title block ends at %.1f mm, in the envelope window", d.Number, titleBottom))
	}
	w.y = max(refsBottom+7, windowBottom+1)
	w.linesTable()
	w.totals()
	w.payment()
	w.notes()
	if len(d.Statement) > 0 {
		w.statement()
	}
	w.footers(fmt.Sprintf("%s n° %s du %s", w.d.Title(), w.d.Number, frDate(w.d.IssueDate)))
}

// newPage starts a continuation page with its running header.
func (w *docWriter) newPage() {
	w.pdf.AddPage()
	w.font(styleBold, 9)
	w.textColor(colAccent)
	w.text(marginL, 11, w.d.Seller.Name, alignLeft)
	w.font(styleRegular, 9)
	w.textColor(colMuted)
	w.text(pageW-marginR, 11, fmt.Sprintf("N° %s du %s (suite)", w.d.Number, frDate(w.d.IssueDate)), alignRight)
	w.rule(marginL, pageW-marginR, 17.5, colRule, 0.3)
	w.y = contentTop
}

// ensure starts a new page unless h millimetres fit under y; it reports
// whether it did.
func (w *docWriter) ensure(h float64) bool {
	if w.y+h <= contentBottom {
		return false
	}
	w.newPage()
	return true
}

// header draws the seller's identity (top left) and the document's title,
// number and dates (top right); it returns the bottom of each block.
func (w *docWriter) header() (seller, title float64) {
	d := w.d
	sellerBottom := w.sellerBlock()

	// Title block, right-aligned on the address column.
	const right = pageW - marginR
	const tw = pageW - marginR - addrX
	y := 12.0
	// The block must end above the envelope window (windowTop): long
	// titles take two lines in a smaller size.
	size := 15.0
	w.font(styleBold, size)
	if len(w.wrap(d.Title(), tw)) > 1 {
		size = 13
		w.font(styleBold, size)
	}
	w.textColor(colAccent)
	y += w.paragraph(right, y, tw, d.Title(), alignRight) + 0.5
	w.font(styleBold, 11)
	w.textColor(colText)
	y += w.paragraph(right, y, tw, "N° "+d.Number, alignRight) + 0.8
	w.font(styleRegular, 9)
	y += w.paragraph(right, y, tw, "Date d'émission : "+frDate(d.IssueDate), alignRight)
	y += w.paragraph(right, y, tw, "Date d'échéance : "+frDate(d.DueDate), alignRight)
	if d.Preceding != nil {
		w.font(styleBold, 9)
		y += w.paragraph(right, y, tw, "Avoir sur la facture "+d.Preceding.Number+" du "+frDate(d.Preceding.IssueDate), alignRight)
	}
	return sellerBottom, y
}

// sellerBlock draws the seller's identity, top left, and returns its
// bottom: the same on every rendering (invoice, reminder letter).
func (w *docWriter) sellerBlock() float64 {
	s := w.d.Seller
	y := 12.0
	w.font(styleBold, 12.5)
	w.textColor(colAccent)
	const sw = windowLeft - marginL - 2
	y += w.paragraph(marginL, y, sw, s.Name, alignLeft) + 0.8
	w.font(styleRegular, 8.5)
	w.textColor(colText)
	y += w.lines(marginL, y, addressLines(s.Address, false), alignLeft)
	w.textColor(colMuted)
	ids := []string{"SIRET " + s.SIRET + " · SIREN " + s.SIREN()}
	if s.VATNumber != "" {
		ids = append(ids, "N° TVA intracommunautaire "+s.VATNumber)
	}
	var contact []string
	if s.Email != "" {
		contact = append(contact, s.Email)
	}
	if s.Phone != "" {
		contact = append(contact, "Tél. "+s.Phone)
	}
	if len(contact) > 0 {
		ids = append(ids, strings.Join(contact, " · "))
	}
	for _, l := range ids {
		y += w.paragraph(marginL, y, sw, l, alignLeft)
	}
	return y
}

// kv is one labelled value of a reference or payment block.
type kv struct{ label, value string }

// keyValues draws labelled rows (label column lw wide, values wrapped in
// the rest of width) from w.y, which it advances. A row never splits: it
// moves to a new page when it does not fit.
func (w *docWriter) keyValues(x, lw, width float64, rows []kv, size float64) {
	for _, r := range rows {
		w.font(styleRegular, size)
		vl := w.wrap(r.value, width-lw)
		w.font(styleRegular, size-0.5)
		ll := w.wrap(r.label, lw-2)
		h := float64(max(len(vl), len(ll))) * w.lineH()
		w.ensure(h)
		w.textColor(colMuted)
		w.lines(x, w.y, ll, alignLeft)
		w.font(styleRegular, size)
		w.textColor(colText)
		w.lines(x+lw, w.y, vl, alignLeft)
		w.y += h + 0.6
	}
}

// references draws the buyer's identifiers and the references Chorus Pro
// and the buyer's accountant need, left of the address window and under
// top (the seller block); it returns the lowest point drawn.
func (w *docWriter) references(top float64) float64 {
	d := w.d
	rows := []kv{{"SIRET client", d.Buyer.SIRET}, {"SIREN client", d.Buyer.SIREN()}}
	if d.Buyer.VATNumber != "" {
		rows = append(rows, kv{"N° TVA client", d.Buyer.VATNumber})
	}
	if d.BuyerReference != "" {
		rows = append(rows, kv{"Code service", d.BuyerReference})
	}
	if d.PurchaseOrder != "" {
		rows = append(rows, kv{"N° d'engagement", d.PurchaseOrder})
	}
	switch {
	case !d.Convention.IsZero():
		rows = append(rows, kv{"Convention", "n° " + d.Convention.Number + ", " + d.Convention.Approval()})
	case d.Contract != "":
		rows = append(rows, kv{"Contrat", d.Contract})
	}
	if !d.PeriodStart.IsZero() && !d.PeriodEnd.IsZero() {
		rows = append(rows, kv{"Période", "du " + frDate(d.PeriodStart) + " au " + frDate(d.PeriodEnd)})
	}
	if d.Preceding != nil {
		rows = append(rows, kv{"Facture d'origine", d.Preceding.Number + " du " + frDate(d.Preceding.IssueDate)})
	}
	w.y = max(addrY, top+5)
	w.font(styleBold, 8)
	w.textColor(colAccent)
	w.text(marginL, w.y, "RÉFÉRENCES", alignLeft)
	w.y += w.lineH() + 0.5
	w.keyValues(marginL, 29, windowLeft-marginL-2, rows, 8.5)
	return w.y
}

// buyerAddress prints the buyer's name and postal address in the window
// zone, shrinking the font rather than leaving the zone.
func (w *docWriter) buyerAddress() {
	b := w.d.Buyer
	lines := addressLines(b.Address, true)
	for size := 10.0; ; size -= 0.5 {
		w.font(styleBold, size)
		name := w.wrap(b.Name, addrW)
		w.font(styleRegular, size)
		if len(name)+len(lines) <= int((addrMaxY-addrY)/w.lineH()) || size <= 7 {
			y := addrY
			w.font(styleBold, size)
			w.textColor(colText)
			y += w.lines(addrX, y, name, alignLeft)
			w.font(styleRegular, size)
			w.lines(addrX, y, lines, alignLeft)
			return
		}
	}
}

// column of a table: width, header and alignment.
type column struct {
	w     float64
	title string
	align int
}

const cellPad = 1.6

// tableHeader draws a table's header row at y.
func (w *docWriter) tableHeader(cols []column) {
	w.font(styleBold, 7.5)
	h := 0.0
	for _, c := range cols {
		h = max(h, float64(len(w.wrap(c.title, c.w-2*cellPad)))*w.lineH())
	}
	h += 2 * cellPad
	w.box(marginL, w.y, contentW, h, colAccent)
	w.textColor(colWhite)
	x := marginL
	for _, c := range cols {
		ls := w.wrap(c.title, c.w-2*cellPad)
		top := w.y + (h-float64(len(ls))*w.lineH())/2
		w.lines(cellX(x, c), top, ls, c.align)
		x += c.w
	}
	w.y += h
}

// cellX is where a cell's text is anchored.
func cellX(x float64, c column) float64 {
	switch c.align {
	case alignRight:
		return x + c.w - cellPad
	case alignCenter:
		return x + c.w/2
	}
	return x + cellPad
}

// cell is the content of one table cell: its lines, font and colour.
type cell struct {
	lines []string
	style string
	size  float64
	color rgb
}

// tableRow draws one row; a row taller than the rest of the page is split
// across pages line by line, with the header repeated, so that no text is
// ever cut off.
func (w *docWriter) tableRow(cols []column, cells [][]cell, shade bool) {
	// Each column holds a stack of cells (e.g. a label and a code under it);
	// flatten each stack into styled lines.
	type styled struct {
		s     string
		style string
		size  float64
		color rgb
		h     float64
	}
	stacks := make([][]styled, len(cols))
	for i, cs := range cells {
		for _, c := range cs {
			w.font(c.style, c.size)
			for _, l := range c.lines {
				stacks[i] = append(stacks[i], styled{l, c.style, c.size, c.color, w.lineH()})
			}
		}
	}
	pos := make([]int, len(cols))
	for {
		avail := contentBottom - w.y - 2*cellPad
		// Take from every column the lines that fit.
		take := make([]int, len(cols))
		h, more, any := 0.0, false, false
		for i, st := range stacks {
			used := 0.0
			for j := pos[i]; j < len(st) && used+st[j].h <= avail; j++ {
				used += st[j].h
				take[i]++
			}
			if take[i] > 0 {
				any = true
			}
			if pos[i]+take[i] < len(st) {
				more = true
			}
			h = max(h, used)
		}
		if !any && more {
			w.newPage()
			w.tableHeader(cols)
			continue
		}
		h += 2 * cellPad
		if shade {
			w.box(marginL, w.y, contentW, h, colShade)
		}
		x := marginL
		for i, c := range cols {
			y := w.y + cellPad
			for j := pos[i]; j < pos[i]+take[i]; j++ {
				l := stacks[i][j]
				w.font(l.style, l.size)
				w.textColor(l.color)
				w.text(cellX(x, c), y, l.s, c.align)
				y += l.h
			}
			pos[i] += take[i]
			x += c.w
		}
		w.y += h
		w.rule(marginL, pageW-marginR, w.y, colRule, 0.2)
		if !more {
			return
		}
		w.newPage()
		w.tableHeader(cols)
	}
}

// rowFits reports whether a row of height h fits, starting a new page with
// the table header otherwise; rows that fit on a page are never split.
func (w *docWriter) rowFits(cols []column, h float64) {
	if h <= contentBottom-contentTop-20 && w.ensure(h) {
		w.tableHeader(cols)
	}
}

// linesTable draws the invoice lines.
func (w *docWriter) linesTable() {
	d := w.d
	cols := []column{
		{82, "Désignation", alignLeft},
		{28, "Quantité", alignRight},
		{24, "Prix unitaire HT", alignRight},
		{22, "TVA", alignRight},
		{24, "Montant HT", alignRight},
	}
	w.ensure(30)
	w.tableHeader(cols)
	cur := d.CurrencyCode()
	for _, l := range d.Lines {
		w.font(styleRegular, 9)
		cells := [][]cell{
			{{w.wrap(l.Label, cols[0].w-2*cellPad), styleRegular, 9, colText}},
			{{w.wrap(frQuantity(l), cols[1].w-2*cellPad), styleRegular, 9, colText}},
			{{w.wrap(frAmount(l.UnitPrice, cur), cols[2].w-2*cellPad), styleRegular, 9, colText}},
			{{w.wrap(vatLabel(l.VAT), cols[3].w-2*cellPad), styleRegular, 9, colText}},
			{{w.wrap(frAmount(l.Amount, cur), cols[4].w-2*cellPad), styleBold, 9, colText}},
		}
		if !l.BaseQuantity.IsZero() && !l.BaseQuantity.Equal(decimal.NewFromInt(1)) {
			w.font(styleRegular, 7)
			cells[2] = append(cells[2], cell{w.wrap("pour "+frNumber(l.BaseQuantity)+" "+invoice.UnitName(l.Unit, l.BaseQuantity), cols[2].w-2*cellPad), styleRegular, 7, colMuted})
		}
		w.rowFits(cols, rowHeight(w.canvas, cells))
		w.tableRow(cols, cells, false)
	}
}

// rowHeight is the height a row's cells need.
func rowHeight(c *canvas, cells [][]cell) float64 {
	h := 0.0
	for _, cs := range cells {
		ch := 0.0
		for _, x := range cs {
			c.font(x.style, x.size)
			ch += float64(len(x.lines)) * c.lineH()
		}
		h = max(h, ch)
	}
	return h + 2*cellPad
}

// totals draws the VAT breakdown (left) and the totals (right).
func (w *docWriter) totals() {
	d, cur := w.d, w.d.CurrencyCode()
	const leftW = 98.0
	const boxX, boxW = 125.0, pageW - marginR - 125.0
	rowH := 5.2

	// Measure both sides first: the block never splits.
	w.font(styleItalic, 7.5)
	var mentions [][]string
	leftH := 5.5
	for _, b := range d.Totals.Breakdown {
		var m []string
		if b.VAT.Category != invoice.VATStandard && b.VAT.Mention != "" {
			m = w.wrap(b.VAT.Mention, leftW-2*cellPad)
		}
		mentions = append(mentions, m)
		leftH += rowH + float64(len(m))*w.lineH()
	}
	rows := []kv{{"Total HT", frAmount(d.Totals.HT, cur)}, {"Total TVA", frAmount(d.Totals.VAT, cur)}, {"Total TTC", frAmount(d.Totals.TTC, cur)}}
	if !d.PaidAmount.IsZero() {
		rows = append(rows, kv{"Déjà réglé", frAmount(d.PaidAmount.Neg(), cur)})
	}
	rightH := float64(len(rows))*rowH + 9
	w.y += 5
	w.ensure(max(leftH, rightH))
	top := w.y

	// VAT breakdown.
	vcols := []column{{34, "TVA", alignLeft}, {32, "Base HT", alignRight}, {32, "Montant TVA", alignRight}}
	w.font(styleBold, 7.5)
	w.textColor(colMuted)
	x := marginL
	for _, c := range vcols {
		w.text(cellX(x, c), w.y, c.title, c.align)
		x += c.w
	}
	w.y += 4.5
	w.rule(marginL, marginL+leftW, w.y, colRule, 0.3)
	w.y += 0.5
	for i, b := range d.Totals.Breakdown {
		w.font(styleRegular, 8.5)
		w.textColor(colText)
		label := vatLabel(b.VAT)
		if b.VAT.Category == invoice.VATStandard {
			label = "TVA " + label
		}
		vals := []string{label, frAmount(b.Base, cur), frAmount(b.Amount, cur)}
		x = marginL
		for j, c := range vcols {
			w.text(cellX(x, c), w.y+0.6, vals[j], c.align)
			x += c.w
		}
		w.y += rowH
		if len(mentions[i]) > 0 {
			w.font(styleItalic, 7.5)
			w.textColor(colMuted)
			w.y += w.lines(marginL+cellPad, w.y-0.6, mentions[i], alignLeft)
		}
	}
	leftBottom := w.y

	// Totals box.
	y := top
	for i, r := range rows {
		if i%2 == 0 {
			w.box(boxX, y, boxW, rowH, colShade)
		}
		w.font(styleRegular, 9)
		w.textColor(colText)
		if r.label == "Total TTC" {
			w.font(styleBold, 9)
		}
		w.text(boxX+2, y+0.4, r.label, alignLeft)
		w.text(boxX+boxW-2, y+0.4, r.value, alignRight)
		y += rowH
	}
	y += 1.2
	w.box(boxX, y, boxW, 7.5, colAccent)
	w.font(styleBold, 10.5)
	w.textColor(colWhite)
	label := "Net à payer"
	if d.Kind == invoice.KindCreditNote {
		label = "Montant de l'avoir"
	}
	w.text(boxX+2, y+0.9, label, alignLeft)
	w.text(boxX+boxW-2, y+0.9, frAmount(d.DueAmount(), cur), alignRight)
	y += 7.5
	w.y = max(leftBottom, y)
}

// sectionTitle draws a small heading with a rule, keeping at least need
// millimetres of content with it on the page.
func (w *docWriter) sectionTitle(title string, need float64) {
	w.y += 5
	w.ensure(6 + need)
	w.font(styleBold, 9)
	w.textColor(colAccent)
	w.text(marginL, w.y, title, alignLeft)
	w.y += 4.6
	w.rule(marginL, pageW-marginR, w.y, colRule, 0.3)
	w.y += 1.5
}

// payment draws the payment block: due date, amount, terms, bank details
// and the late-payment clause.
func (w *docWriter) payment() {
	d, cur := w.d, w.d.CurrencyCode()
	amountLabel := "Montant à régler"
	if d.Kind == invoice.KindCreditNote {
		amountLabel = "Montant de l'avoir"
	}
	rows := []kv{
		{"Date d'échéance", frDate(d.DueDate)},
		{amountLabel, frAmount(d.DueAmount(), cur)},
	}
	if d.PaymentTerms != "" {
		rows = append(rows, kv{"Conditions", d.PaymentTerms})
	}
	if d.Bank.IBAN != "" {
		bank := "IBAN " + frIBAN(d.Bank.IBAN)
		if d.Bank.BIC != "" {
			bank += " · BIC " + d.Bank.BIC
		}
		rows = append(rows, kv{"Virement", bank})
	}
	if d.Bank.Holder != "" {
		rows = append(rows, kv{"Titulaire du compte", d.Bank.Holder})
	}
	rows = append(rows, kv{"Référence à rappeler", d.Number})
	if d.LatePaymentClause != "" {
		rows = append(rows, kv{"Retard de paiement", d.LatePaymentClause})
	}
	if d.RecoveryClause != "" {
		rows = append(rows, kv{"Frais de recouvrement", d.RecoveryClause})
	}
	if d.DiscountClause != "" {
		rows = append(rows, kv{"Escompte", d.DiscountClause})
	}
	w.sectionTitle("Règlement", 12)
	w.keyValues(marginL, 38, contentW, rows, 8.5)
}

// notes draws the invoice notes, the attachments carried by the
// electronic invoice and, for an overage invoice, where its statement is.
func (w *docWriter) notes() {
	d := w.d
	paras := append([]string(nil), d.Notes...)
	for _, a := range d.Attachments {
		s := "Pièce jointe à la facture électronique : " + a.Filename
		if a.Description != "" {
			s += " (" + a.Description + ")"
		}
		paras = append(paras, s+".")
	}
	statement := len(d.Statement) > 0
	if len(paras) == 0 && !statement {
		return
	}
	w.sectionTitle("Observations", 8)
	w.font(styleRegular, 8.5)
	w.textColor(colText)
	draw := func(p string) {
		for _, l := range w.wrap(p, contentW) {
			w.ensure(w.lineH())
			w.text(marginL, w.y, l, alignLeft)
			w.y += w.lineH()
		}
		w.y += 1
	}
	for _, p := range paras {
		draw(p)
	}
	if statement {
		// The statement starts on the page after this sentence, which is
		// kept whole so that the page number it gives is right.
		w.ensure(2 * w.lineH())
		draw(fmt.Sprintf("Le relevé des consommations %d, justificatif de cette facture, figure en page %d.",
			statementYear(d), w.pdf.PageNo()-w.first+2))
	}
}

// statementYear is the year the usage statement covers.
func statementYear(d Document) int {
	if !d.PeriodStart.IsZero() {
		return d.PeriodStart.Year()
	}
	return d.IssueDate.Year()
}

// statement draws the usage statement (justificatif) of an overage invoice
// on its own page(s): per service, what was included, observed and billed.
func (w *docWriter) statement() {
	d, cur := w.d, w.d.CurrencyCode()
	w.newPage()
	w.font(styleBold, 14)
	w.textColor(colAccent)
	w.y += w.paragraph(marginL, w.y, contentW, fmt.Sprintf("Relevé des consommations %d", statementYear(d)), alignLeft) + 1
	w.font(styleRegular, 9)
	w.textColor(colText)
	intro := []string{
		fmt.Sprintf("Justificatif de la facture %s du %s, %s (SIRET %s).", d.Number, frDate(d.IssueDate), d.Buyer.Name, d.Buyer.SIRET),
	}
	if !d.PeriodStart.IsZero() && !d.PeriodEnd.IsZero() {
		intro = append(intro, "Période de consommation : du "+frDate(d.PeriodStart)+" au "+frDate(d.PeriodEnd)+".")
	}
	for _, p := range intro {
		w.y += w.paragraph(marginL, w.y, contentW, p, alignLeft)
	}
	w.y += 4
	cols := []column{
		{38, "Service", alignLeft},
		{12, "Unité", alignLeft},
		{17, "Volume inclus", alignRight},
		{18, "Consommé", alignRight},
		{22, "Dépassement", alignRight},
		{15, "Taille du bloc", alignRight},
		{15, "Blocs facturés", alignRight},
		{21, "Prix HT par bloc", alignRight},
		{22, "Montant HT", alignRight},
	}
	w.tableHeader(cols)
	total := decimal.Zero
	for i, r := range d.Statement {
		u := r.Usage
		w.font(styleRegular, 8.5)
		wrap := func(s string, col int) []string { return w.wrap(s, cols[col].w-2*cellPad) }
		cells := [][]cell{
			{{wrap(r.Label, 0), styleRegular, 8.5, colText}},
			{{wrap(r.Unit, 1), styleRegular, 8.5, colText}},
			{{wrap(frNumber(u.Allowance), 2), styleRegular, 8.5, colText}},
			{{wrap(frNumber(u.Observed), 3), styleRegular, 8.5, colText}},
			{{wrap(frNumber(u.Excess), 4), styleRegular, 8.5, colText}},
			{{wrap(frNumber(u.BlockSize), 5), styleRegular, 8.5, colText}},
			{{wrap(frNumber(decimal.NewFromInt(u.Blocks)), 6), styleRegular, 8.5, colText}},
			{{wrap(frAmount(r.UnitPrice, cur), 7), styleRegular, 8.5, colText}},
			{{wrap(frAmount(r.Amount, cur), 8), styleBold, 8.5, colText}},
		}
		if r.Code != "" {
			w.font(styleRegular, 6.5)
			cells[0] = append(cells[0], cell{w.wrap(r.Code, cols[0].w-2*cellPad), styleRegular, 6.5, colMuted})
		}
		w.rowFits(cols, rowHeight(w.canvas, cells))
		w.tableRow(cols, cells, i%2 == 1)
		total = total.Add(r.Amount)
	}
	w.font(styleBold, 9)
	w.ensure(8)
	w.y += 1
	w.textColor(colText)
	w.text(marginL+cellPad, w.y+0.5, "Total des dépassements HT", alignLeft)
	w.text(pageW-marginR-cellPad, w.y+0.5, frAmount(total, cur), alignRight)
	w.y += w.lineH() + 1
	w.rule(marginL, pageW-marginR, w.y, colAccent, 0.4)
	w.y += 4
	w.font(styleItalic, 8)
	w.textColor(colMuted)
	for _, p := range []string{
		"Les quantités sont celles relevées sur la période, sans arrondi. Le dépassement est la consommation au-delà du volume inclus ; chaque bloc entamé au-delà de ce volume est facturé au prix du bloc.",
		"Montants hors taxes : la TVA applicable figure sur la facture.",
	} {
		ls := w.wrap(p, contentW)
		w.ensure(float64(len(ls)) * w.lineH())
		w.y += w.lines(marginL, w.y, ls, alignLeft) + 1
	}
}

// footers stamps every page of the document (an invoice, a reminder
// letter) with the seller's legal mentions, its caption and "Page i/n". It
// runs once the document is laid out, when n is known, and leaves the
// canvas on the document's last page.
func (w *docWriter) footers(caption string) {
	last := w.pdf.PageCount()
	n := last - w.first + 1
	s := w.d.Seller
	legal := s.Name + " · " + strings.Join(addressLines(s.Address, false), ", ") + " · SIRET " + s.SIRET
	if s.VATNumber != "" {
		legal += " · TVA " + s.VATNumber
	}
	for p := w.first; p <= last; p++ {
		w.pdf.SetPage(p)
		w.forceState(styleRegular, 7)
		w.rule(marginL, pageW-marginR, footerRule, colRule, 0.3)
		w.textColor(colMuted)
		y := footerRule + 1.2
		for _, l := range w.wrap(legal, contentW) {
			w.text(pageW/2, y, l, alignCenter)
			y += w.lineH()
		}
		w.font(styleRegular, 7.5)
		w.textColor(colText)
		w.text(marginL, y+0.5, caption, alignLeft)
		w.font(styleBold, 7.5)
		w.text(pageW-marginR, y+0.5, fmt.Sprintf("Page %d/%d", p-w.first+1, n), alignRight)
	}
	w.pdf.SetPage(last)
}
