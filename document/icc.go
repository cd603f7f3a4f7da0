package document

import (
	"encoding/binary"
	"math"
	"sync"
)

// The PDF/A output intent needs an ICC profile for the sRGB colours the
// invoice is drawn with. No ICC file ships with this machine or with Go;
// Debian's icc-profiles-free could provide one, but embedding a third-party
// binary in every invoice means carrying its licence along. An sRGB display
// profile is small and fully specified by public standards, so we build it:
//
//   - ICC.1:2001-04 (version 2.1) display ("mntr") profile, RGB → XYZ PCS,
//     the matrix/TRC model every PDF/A validator and colour engine reads;
//   - primaries and white of IEC 61966-2-1 (sRGB), chromatically adapted
//     from D65 to the D50 PCS illuminant with the Bradford transform, as
//     ICC requires for rXYZ/gXYZ/bXYZ (the test recomputes them);
//   - media white point D50 (the colorants are already adapted, so the
//     relative and absolute intents coincide);
//   - the sRGB tone curve (linear segment below 0.04045, then the 2.4
//     power law) sampled at 1024 points, one 'curv' shared by the three
//     TRC tags.
//
// The bytes are fixed (fixed creation date, no profile ID, which v2 does
// not have), so Factur-X output stays reproducible.

// srgbProfileDescription names the profile in its desc tag and in the
// output intent.
const srgbProfileDescription = "sRGB IEC61966-2.1 (chorusbill)"

var (
	srgbOnce    sync.Once
	srgbProfile []byte
)

// SRGBProfile returns the ICC v2 sRGB display profile embedded as the
// Factur-X output intent. The slice is shared: do not modify it.
func SRGBProfile() []byte {
	srgbOnce.Do(func() { srgbProfile = buildSRGBProfile() })
	return srgbProfile
}

// s15 encodes an ICC s15Fixed16Number.
func s15(v float64) uint32 { return uint32(int32(math.Round(v * 65536))) }

// iccD50 is the PCS illuminant D50 (X 0.9642, Y 1.0, Z 0.8249) in the exact
// s15Fixed16 encoding ICC.1 prescribes for the header.
var iccD50 = [3]uint32{0x0000F6D6, 0x00010000, 0x0000D32D}

var (
	// D50-adapted sRGB primaries (Bradford), the values published in the
	// ICC's and the major vendors' sRGB profiles.
	srgbRed   = [3]float64{0.4360747, 0.2225045, 0.0139322}
	srgbGreen = [3]float64{0.3850649, 0.7168786, 0.0971045}
	srgbBlue  = [3]float64{0.1430804, 0.0606169, 0.7141733}
)

// srgbToLinear is the IEC 61966-2-1 decoding curve.
func srgbToLinear(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

func buildSRGBProfile() []byte {
	be := binary.BigEndian
	pad4 := func(b []byte) []byte {
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	typeHeader := func(sig string) []byte { return append([]byte(sig), 0, 0, 0, 0) }

	// textDescriptionType (ICC.1:2001 §6.5.17): ASCII part, empty Unicode
	// and ScriptCode parts.
	desc := typeHeader("desc")
	desc = be.AppendUint32(desc, uint32(len(srgbProfileDescription)+1))
	desc = append(desc, srgbProfileDescription...)
	desc = append(desc, 0)
	desc = be.AppendUint32(desc, 0) // Unicode language code
	desc = be.AppendUint32(desc, 0) // Unicode count
	desc = be.AppendUint16(desc, 0) // ScriptCode code
	desc = append(desc, 0)          // ScriptCode count
	desc = append(desc, make([]byte, 67)...)

	cprt := typeHeader("text")
	cprt = append(cprt, "No copyright, use freely (built from IEC 61966-2-1 and ICC.1 public values)"...)
	cprt = append(cprt, 0)

	xyz := func(v [3]float64) []byte {
		b := typeHeader("XYZ ")
		for _, c := range v {
			b = be.AppendUint32(b, s15(c))
		}
		return b
	}
	wtpt := typeHeader("XYZ ")
	for _, c := range iccD50 {
		wtpt = be.AppendUint32(wtpt, c)
	}

	const points = 1024
	curv := typeHeader("curv")
	curv = be.AppendUint32(curv, points)
	for i := range points {
		v := srgbToLinear(float64(i) / (points - 1))
		curv = be.AppendUint16(curv, uint16(math.Round(v*65535)))
	}

	type tag struct {
		sig  string
		data []byte
	}
	tags := []tag{
		{"desc", desc}, {"cprt", cprt}, {"wtpt", wtpt},
		{"rXYZ", xyz(srgbRed)}, {"gXYZ", xyz(srgbGreen)}, {"bXYZ", xyz(srgbBlue)},
		{"rTRC", curv}, {"gTRC", curv}, {"bTRC", curv},
	}

	// Lay the tag data out after the header and tag table; identical data
	// (the three TRCs) is stored once, as ICC.1 allows.
	const headerLen = 128
	tableLen := 4 + 12*len(tags)
	var data []byte
	type entry struct{ off, size uint32 }
	entries := make([]entry, len(tags))
	seen := map[string]entry{}
	for i, t := range tags {
		if e, ok := seen[string(t.data)]; ok {
			entries[i] = e
			continue
		}
		data = pad4(data)
		e := entry{uint32(headerLen + tableLen + len(data)), uint32(len(t.data))}
		data = append(data, t.data...)
		entries[i], seen[string(t.data)] = e, e
	}
	data = pad4(data)
	size := headerLen + tableLen + len(data)

	h := make([]byte, 0, size)
	h = be.AppendUint32(h, uint32(size))
	h = append(h, 0, 0, 0, 0)          // preferred CMM: none
	h = be.AppendUint32(h, 0x02100000) // version 2.1.0
	h = append(h, "mntrRGB XYZ "...)   // class, colour space, PCS
	for _, v := range []uint16{2025, 1, 1, 0, 0, 0} {
		h = be.AppendUint16(h, v) // creation date, fixed for reproducibility
	}
	h = append(h, "acsp"...)
	h = append(h, make([]byte, 4+4+4+4+8)...) // platform, flags, manufacturer, model, attributes
	h = be.AppendUint32(h, 0)                 // rendering intent: perceptual
	for _, c := range iccD50 {
		h = be.AppendUint32(h, c)
	}
	h = append(h, make([]byte, 4+16+28)...) // creator, profile ID (v4 only), reserved
	h = be.AppendUint32(h, uint32(len(tags)))
	for i, t := range tags {
		h = append(h, t.sig...)
		h = be.AppendUint32(h, entries[i].off)
		h = be.AppendUint32(h, entries[i].size)
	}
	return append(h, data...)
}
