package plots

import (
	"image/color"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/natmo/natmo/scenarios"
)

// The house style: every size, font and colour of every figure is set here.
// Figures are sized to be read at half a page's width.
const (
	// pt is a typographic point (1/72 inch), the unit of lengths in vg.
	pt vg.Length = 1

	// figWidth is the width of a one-column figure.
	figWidth = 4.5 * vg.Inch
	// panelHeight is the height of one panel (axes included) of a figure;
	// title, legend and caption come on top of it.
	panelHeight = 2.25 * vg.Inch
	// gridColWidth is the width of one column of a grid figure.
	gridColWidth = 3.4 * vg.Inch

	titleSize   = 11 * pt
	labelSize   = 9 * pt // axis labels
	tickSize    = 8 * pt // tick labels, legend, caption, annotations
	letterSize  = 11 * pt
	lineWidth   = 1.5 * pt
	margin      = 6 * pt // around the whole figure
	gap         = 6 * pt // between title, panels, legend and caption
	thumbWidth  = 18 * pt
	legendSpace = 12 * pt // between legend entries
	whiskerCap  = 3 * pt

	// pngDPI renders PNGs at twice the usual screen resolution.
	pngDPI = 192
	// bandAlpha is the opacity of 95% CI bands.
	bandAlpha = 0x38
)

// A layout is what a figure is laid out for: its width, and what the format
// it is drawn in can typeset. vgpdf embeds a single font program per
// document and writes text in Windows-1252, so PDFs get no bold text and
// spell Δ out; text is laid out in the words it will show.
type layout struct {
	width vg.Length
	bold  bool   // bold title and panel letters
	delta string // the symbol of a paired difference from baseline
}

// layoutFor returns the layout of a one-column figure in format.
func layoutFor(format string) layout {
	if format == "pdf" {
		return layout{width: figWidth, bold: false, delta: "delta"}
	}
	return layout{width: figWidth, bold: true, delta: "Δ"}
}

// dataWidth estimates the width of the data area of a panel as wide as the
// figure, for fitting labels before drawing.
func (l layout) dataWidth() vg.Length { return l.width - 2*margin - 48*pt }

// Formats are the image formats Render writes when given none.
func Formats() []string { return []string{"svg", "png", "pdf"} }

// newCanvas returns a canvas of the given size for format and the value that
// writes it out. The canvas to draw on may differ from the writer (PDF text
// and colours are adapted on the way).
func newCanvas(format string, w, h vg.Length) (vg.Canvas, vg.CanvasWriterTo, bool) {
	switch format {
	case "svg":
		c := vgsvg.NewWith(vgsvg.UseWH(w, h))
		return c, c, true
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI), vgimg.UseBackgroundColor(color.White))
		return c, vgimg.PngCanvas{Canvas: c}, true
	case "pdf":
		c := vgpdf.New(w, h)
		c.EmbedFonts(true)
		return pdfCanvas{c}, c, true
	}
	return nil, nil, false
}

// sans is the typeface of all text: Liberation Sans, which ships with
// gonum/plot and has the metrics of Arial and Helvetica.
func sans(size vg.Length, bold bool) font.Font {
	f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	if bold {
		f.Weight = stdfont.WeightBold
	}
	return f
}

// textStyle returns the style of text of the given size, left aligned at
// its baseline's start.
func textStyle(size vg.Length, bold bool) text.Style {
	return text.Style{
		Color:   inkColor,
		Font:    sans(size, bold),
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
}

var (
	inkColor   = color.Gray{Y: 0x20}
	gridColor  = color.Gray{Y: 0xe6}
	axisColor  = color.Gray{Y: 0x40}
	whiteColor = color.Gray{Y: 0xff}
)

// baselineColor is the colour of the baseline arm in every figure.
var baselineColor = color.NRGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}

// An armStyle is how one arm is drawn in every figure of a scenario.
type armStyle struct {
	Color  color.NRGBA
	Dashes []vg.Length // nil for solid lines
}

// band is the colour of the arm's CI band.
func (s armStyle) band() color.NRGBA {
	c := s.Color
	c.A = bandAlpha
	return c
}

// line is the style of the arm's mean line.
func (s armStyle) line() draw.LineStyle {
	return draw.LineStyle{Color: s.Color, Width: lineWidth, Dashes: s.Dashes}
}

// armStyles gives each arm its style by its place in arms: the baseline arm
// is grey, the others take the Okabe–Ito colour-blind-safe palette in order
// (its yellow, too faint on white, and its black, which turns grey when
// translucent, replaced by Paul Tol's wine), so an arm has the same colour
// in every figure of a scenario. Beyond seven arms the colours repeat with
// dashed lines.
func armStyles(arms []string) map[string]armStyle {
	palette := [...]color.NRGBA{
		{R: 0x00, G: 0x72, B: 0xb2, A: 0xff}, // blue
		{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}, // vermillion
		{R: 0x00, G: 0x9e, B: 0x73, A: 0xff}, // bluish green
		{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff}, // reddish purple
		{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff}, // orange
		{R: 0x56, G: 0xb4, B: 0xe9, A: 0xff}, // sky blue
		{R: 0x88, G: 0x22, B: 0x55, A: 0xff}, // wine (Paul Tol's muted)
	}
	out := make(map[string]armStyle, len(arms))
	k := 0
	for _, a := range arms {
		if a == scenarios.BaselineArm {
			out[a] = armStyle{Color: baselineColor}
			continue
		}
		s := armStyle{Color: palette[k%len(palette)]}
		if round := k / len(palette); round > 0 {
			s.Dashes = []vg.Length{vg.Points(float64(2 + 2*round)), vg.Points(2)}
		}
		out[a] = s
		k++
	}
	return out
}

// newPanel returns an empty plot in the house style: sans-serif text, light
// grid lines across the value axis (the y axis, or the x axis if
// valueOnX), no title and no legend of its own (figures draw one legend for
// all their panels).
func newPanel(valueOnX bool) *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil // the figure paints the background once
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = sans(labelSize, false)
		ax.Label.TextStyle.Color = inkColor
		ax.Label.Padding = 2 * pt
		ax.Tick.Label.Font = sans(tickSize, false)
		ax.Tick.Label.Color = inkColor
		ax.Tick.Color = axisColor
		ax.Tick.Length = 4 * pt
		ax.Color = axisColor
		ax.Width = 0.75 * pt
		ax.Padding = 2 * pt
	}
	p.Legend.TextStyle.Font = sans(tickSize, false)
	grid := &plotter.Grid{}
	line := draw.LineStyle{Color: gridColor, Width: 0.5 * pt}
	if valueOnX {
		grid.Vertical = line
	} else {
		grid.Horizontal = line
	}
	p.Add(grid)
	return p
}

// hideXTickLabels keeps the tick marks of p's x axis but draws no labels,
// for panels that share the x axis of the panel below them.
func hideXTickLabels(p *plot.Plot) {
	p.X.Tick.Label.Font.Size = 0
	p.X.Label.Text = ""
}
