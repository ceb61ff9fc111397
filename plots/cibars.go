package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A ciBar is one bar from zero to a mean, with a whisker over its 95% CI
// and an optional label above the whisker.
type ciBar struct {
	X, Width        float64 // centre and width, in data units
	Mean, Low, High float64
	Color           color.NRGBA
	Label           string // may hold several lines
}

// ciBars is a plotter of bars with CI whiskers and labels. Bars stand on
// the x axis, or, if Horizontal, lie along it from the y axis (X is then
// the position on the y axis and the label goes right of the bar).
type ciBars struct {
	Bars       []ciBar
	Horizontal bool
}

// labelGap is the space between a whisker's end and its label.
const labelGap = 2 * pt

func barLabelStyle() text.Style {
	sty := textStyle(tickSize, false)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
	return sty
}

// labelStyle is the style of the bars' labels.
func (bs ciBars) labelStyle() text.Style {
	sty := barLabelStyle()
	if bs.Horizontal {
		sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	}
	return sty
}

// fill is the colour of a bar's face: its colour lightened, so that the
// whisker stays visible over it.
func fill(c color.NRGBA) color.NRGBA {
	mix := func(v uint8) uint8 { return uint8((int(v)*3 + 0xff*2) / 5) }
	return color.NRGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 0xff}
}

// end is where a bar's label goes: past its whisker and its face.
func (b ciBar) end() float64 { return math.Max(math.Max(b.High, b.Mean), 0) }

// Plot implements plot.Plotter.
func (bs ciBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	// pos maps a position across the bars and a value along them to a point.
	pos := func(at, v float64) vg.Point { return vg.Point{X: trX(at), Y: trY(v)} }
	if bs.Horizontal {
		pos = func(at, v float64) vg.Point { return vg.Point{X: trX(v), Y: trY(at)} }
	}
	whisker := draw.LineStyle{Color: inkColor, Width: vg.Points(1)}
	capOff := vg.Point{X: whiskerCap}
	labelOff := vg.Point{Y: labelGap}
	if bs.Horizontal {
		capOff, labelOff = vg.Point{Y: whiskerCap}, vg.Point{X: labelGap}
	}
	for _, b := range bs.Bars {
		lo, hi := b.X-b.Width/2, b.X+b.Width/2
		face := []vg.Point{pos(lo, 0), pos(hi, 0), pos(hi, b.Mean), pos(lo, b.Mean)}
		c.FillPolygon(fill(b.Color), c.ClipPolygonXY(face))
		edge := draw.LineStyle{Color: b.Color, Width: vg.Points(1)}
		c.StrokeLines(edge, c.ClipLinesXY(append(face, face[0]))...)
		if b.High > b.Low {
			p0, p1 := pos(b.X, b.Low), pos(b.X, b.High)
			c.StrokeLine2(whisker, p0.X, p0.Y, p1.X, p1.Y)
			for _, q := range []vg.Point{p0, p1} {
				a, z := q.Sub(capOff), q.Add(capOff)
				c.StrokeLine2(whisker, a.X, a.Y, z.X, z.Y)
			}
		}
		if b.Label != "" {
			c.FillText(bs.labelStyle(), pos(b.X, b.end()).Add(labelOff), b.Label)
		}
	}
}

// DataRange implements plot.DataRanger; the value range always includes
// zero.
func (bs ciBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	amin, amax := math.Inf(1), math.Inf(-1)
	var vmin, vmax float64
	for _, b := range bs.Bars {
		amin, amax = math.Min(amin, b.X-b.Width/2), math.Max(amax, b.X+b.Width/2)
		vmin = math.Min(vmin, math.Min(b.Low, b.Mean))
		vmax = math.Max(vmax, math.Max(b.High, b.Mean))
	}
	if bs.Horizontal {
		return vmin, vmax, amin, amax
	}
	return amin, amax, vmin, vmax
}

// GlyphBoxes implements plot.GlyphBoxer, so that the plot leaves room for
// the labels past the bars.
func (bs ciBars) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	var out []plot.GlyphBox
	for _, b := range bs.Bars {
		if b.Label == "" {
			continue
		}
		r := bs.labelStyle().Rectangle(b.Label)
		if bs.Horizontal {
			r = r.Add(vg.Point{X: labelGap})
			out = append(out, plot.GlyphBox{X: p.X.Norm(b.end()), Y: p.Y.Norm(b.X), Rectangle: r})
		} else {
			r = r.Add(vg.Point{Y: labelGap})
			out = append(out, plot.GlyphBox{X: p.X.Norm(b.X), Y: p.Y.Norm(b.end()), Rectangle: r})
		}
	}
	return out
}

// A swatch is a legend thumbnail of a bar's colours.
type swatch color.NRGBA

// Thumbnail implements plot.Thumbnailer.
func (s swatch) Thumbnail(c *draw.Canvas) {
	h := (c.Max.Y - c.Min.Y) * 0.7
	w := math.Min(float64(h), float64(c.Max.X-c.Min.X))
	x0 := c.Min.X + (c.Max.X-c.Min.X-vg.Length(w))/2
	y0 := c.Center().Y - h/2
	r := []vg.Point{{X: x0, Y: y0}, {X: x0 + vg.Length(w), Y: y0}, {X: x0 + vg.Length(w), Y: y0 + h}, {X: x0, Y: y0 + h}}
	c.FillPolygon(fill(color.NRGBA(s)), r)
	c.StrokeLines(draw.LineStyle{Color: color.NRGBA(s), Width: vg.Points(1)}, append(r, r[0]))
}

// A refLine is a plotter of a reference line across the plot at value V of
// the y axis, or of the x axis if OnX.
type refLine struct {
	V     float64
	OnX   bool
	Style draw.LineStyle
}

// Plot implements plot.Plotter.
func (r refLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	if r.OnX {
		if x := trX(r.V); c.ContainsX(x) {
			c.StrokeLine2(r.Style, x, c.Min.Y, x, c.Max.Y)
		}
		return
	}
	if y := trY(r.V); c.ContainsY(y) {
		c.StrokeLine2(r.Style, c.Min.X, y, c.Max.X, y)
	}
}
