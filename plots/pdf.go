package plots

import (
	"fmt"
	"image/color"
	"strings"

	stdfont "golang.org/x/image/font"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgpdf"
)

// pdfCanvas adapts drawing to vgpdf, which has two quirks:
//
//   - it embeds fonts with the Windows-1252 code page and writes a string's
//     bytes as they are, so text must be re-encoded (and characters outside
//     the code page, such as Δ, spelled out);
//   - it cannot select bold or italic fonts (see FillString);
//   - it passes the premultiplied components of a colour as the colour, so
//     translucent fills come out too dark; it is given the straight ones.
type pdfCanvas struct{ *vgpdf.Canvas }

// SetColor implements vg.Canvas.
func (c pdfCanvas) SetColor(clr color.Color) {
	if clr == nil {
		c.Canvas.SetColor(nil)
		return
	}
	n := color.NRGBAModel.Convert(clr).(color.NRGBA)
	// color.RGBA's RGBA method returns its fields unchanged, which is how
	// vgpdf reads them: here they carry straight (non-premultiplied) values.
	c.Canvas.SetColor(color.RGBA{R: n.R, G: n.G, B: n.B, A: n.A})
}

// FillString implements vg.Canvas.
func (c pdfCanvas) FillString(f font.Face, at vg.Point, s string) {
	// vgpdf registers every font under the regular style but selects bold
	// and italic ones under theirs, which fails; a bold or italic font is
	// passed as a regular font of its own variant instead.
	if f.Font.Weight != stdfont.WeightNormal || f.Font.Style != stdfont.StyleNormal {
		v := string(f.Font.Variant)
		if f.Font.Weight != stdfont.WeightNormal {
			v += fmt.Sprintf("W%d", f.Font.Weight)
		}
		if f.Font.Style != stdfont.StyleNormal {
			v += fmt.Sprintf("S%d", f.Font.Style)
		}
		f.Font.Variant = font.Variant(v)
		f.Font.Weight, f.Font.Style = stdfont.WeightNormal, stdfont.StyleNormal
	}
	c.Canvas.FillString(f, at, toCP1252(s))
}

// toCP1252 encodes s in Windows-1252, spelling out the few characters the
// figures use that it lacks and writing '?' for any other.
func toCP1252(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80 || (r >= 0xa0 && r <= 0xff):
			b.WriteByte(byte(r))
		case cp1252High(r) != 0:
			b.WriteByte(cp1252High(r))
		default:
			switch r {
			case 'Δ':
				b.WriteString("delta")
			case '−': // minus sign
				b.WriteByte('-')
			case '≤':
				b.WriteString("<=")
			case '≥':
				b.WriteString(">=")
			default:
				b.WriteByte('?')
			}
		}
	}
	return b.String()
}

// cp1252High returns the Windows-1252 byte in 0x80–0x9f for r, or 0.
func cp1252High(r rune) byte {
	switch r {
	case '€':
		return 0x80
	case '‚':
		return 0x82
	case 'ƒ':
		return 0x83
	case '„':
		return 0x84
	case '…':
		return 0x85
	case '†':
		return 0x86
	case '‡':
		return 0x87
	case 'ˆ':
		return 0x88
	case '‰':
		return 0x89
	case 'Š':
		return 0x8a
	case '‹':
		return 0x8b
	case 'Œ':
		return 0x8c
	case 'Ž':
		return 0x8e
	case '‘':
		return 0x91
	case '’':
		return 0x92
	case '“':
		return 0x93
	case '”':
		return 0x94
	case '•':
		return 0x95
	case '–':
		return 0x96
	case '—':
		return 0x97
	case '˜':
		return 0x98
	case '™':
		return 0x99
	case 'š':
		return 0x9a
	case '›':
		return 0x9b
	case 'œ':
		return 0x9c
	case 'ž':
		return 0x9e
	case 'Ÿ':
		return 0x9f
	}
	return 0
}
