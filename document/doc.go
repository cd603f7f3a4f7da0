// Package document renders an invoice: the CII and UBL XML (EN 16931, as
// Chorus Pro takes them), the PDF, the Factur-X PDF/A-3 that carries the
// CII, the postal print batch and the usage statement's CSV. Every rendering
// reads the same Document, built from the books by its caller; the figures
// are invoice's and are never recomputed here. The issuer (seller and bank
// account) is parsed from the bytes it is handed. Rendering is pure and
// deterministic: no store, no Chorus Pro, no I/O.
package document
