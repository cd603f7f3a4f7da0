package document

import "fmt"

// Document formats an invoice is rendered in.
const (
	FormatCII     = "cii"
	FormatUBL     = "ubl"
	FormatPDF     = "pdf"
	FormatFacturX = "facturx"
)

// Formats lists the formats, in rendering order.
func Formats() []string { return []string{FormatCII, FormatUBL, FormatPDF, FormatFacturX} }

// Extension is the file name extension of a format.
func Extension(format string) string {
	switch format {
	case FormatCII:
		return ".cii.xml"
	case FormatUBL:
		return ".ubl.xml"
	case FormatFacturX:
		return ".facturx.pdf"
	}
	return ".pdf"
}

// Render renders a document in one format.
func Render(d Document, format string) ([]byte, error) {
	switch format {
	case FormatCII:
		return RenderCII(d)
	case FormatUBL:
		return RenderUBL(d)
	case FormatPDF:
		return RenderPDF(d)
	case FormatFacturX:
		cii, err := RenderCII(d)
		if err != nil {
			return nil, err
		}
		return RenderFacturX(d, cii)
	}
	return nil, fmt.Errorf("unknown document format %q (want cii, ubl, pdf or facturx)", format)
}
