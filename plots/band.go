package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A band is a plotter of a confidence band: the region between a lower and
// an upper line sampled at the same x values, filled with a translucent
// colour. It is drawn as one polygon, the lower line left to right and then
// the upper line right to left, and belongs under the mean line it
// surrounds.
type band struct {
	X, Low, High []float64 // same length, X increasing
	Color        color.Color
}

// Plot implements plot.Plotter.
func (b *band) Plot(c draw.Canvas, p *plot.Plot) {
	n := len(b.X)
	if n == 0 || len(b.Low) != n || len(b.High) != n {
		return
	}
	trX, trY := p.Transforms(&c)
	pts := make([]vg.Point, 0, 2*n)
	for i := range n {
		pts = append(pts, vg.Point{X: trX(b.X[i]), Y: trY(b.Low[i])})
	}
	for i := n - 1; i >= 0; i-- {
		pts = append(pts, vg.Point{X: trX(b.X[i]), Y: trY(b.High[i])})
	}
	if n == 1 { // a band at a single x: a sliver, so that it still shows
		w := vg.Points(2)
		pts = []vg.Point{
			{X: pts[0].X - w, Y: pts[0].Y}, {X: pts[0].X + w, Y: pts[0].Y},
			{X: pts[1].X + w, Y: pts[1].Y}, {X: pts[1].X - w, Y: pts[1].Y},
		}
	}
	c.FillPolygon(b.Color, c.ClipPolygonXY(pts))
}

// DataRange implements plot.DataRanger.
func (b *band) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range b.X {
		xmin, xmax = math.Min(xmin, b.X[i]), math.Max(xmax, b.X[i])
		ymin, ymax = math.Min(ymin, b.Low[i]), math.Max(ymax, b.High[i])
	}
	return xmin, xmax, ymin, ymax
}

// Thumbnail implements plot.Thumbnailer: a swatch of the band's colour
// filling the middle of the legend entry.
func (b *band) Thumbnail(c *draw.Canvas) {
	h := (c.Max.Y - c.Min.Y) / 2
	y := c.Center().Y
	c.FillPolygon(b.Color, []vg.Point{
		{X: c.Min.X, Y: y - h/2}, {X: c.Max.X, Y: y - h/2},
		{X: c.Max.X, Y: y + h/2}, {X: c.Min.X, Y: y + h/2},
	})
}

// A meanLine is a plotter of a mean line through (X, Y).
type meanLine struct {
	X, Y  []float64
	Style draw.LineStyle
}

// Plot implements plot.Plotter.
func (l *meanLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	pts := make([]vg.Point, len(l.X))
	for i := range l.X {
		pts[i] = vg.Point{X: trX(l.X[i]), Y: trY(l.Y[i])}
	}
	if len(pts) == 1 { // a lone probe: a short tick, so that it still shows
		w := vg.Points(3)
		pts = []vg.Point{{X: pts[0].X - w, Y: pts[0].Y}, {X: pts[0].X + w, Y: pts[0].Y}}
	}
	c.StrokeLines(l.Style, c.ClipLinesXY(pts)...)
}

// DataRange implements plot.DataRanger.
func (l *meanLine) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range l.X {
		xmin, xmax = math.Min(xmin, l.X[i]), math.Max(xmax, l.X[i])
		ymin, ymax = math.Min(ymin, l.Y[i]), math.Max(ymax, l.Y[i])
	}
	return xmin, xmax, ymin, ymax
}

// Thumbnail implements plot.Thumbnailer.
func (l *meanLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.Style, c.Min.X, y, c.Max.X, y)
}
