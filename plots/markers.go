package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A marker is one point, optionally with 95% CI whiskers along x and y.
type marker struct {
	X, Y               float64
	XLow, XHigh        float64 // whisker along x if XHigh > XLow
	YLow, YHigh        float64 // whisker along y if YHigh > YLow
	Color              color.Color
	Radius             vg.Length
	Outline, Whiskered bool
	// Caps puts caps on the whiskers and draws them in ink rather than the
	// marker's colour, so that they show past a large marker.
	Caps bool
}

// markers is a plotter of markers, drawn in order.
type markers []marker

// Plot implements plot.Plotter.
func (ms markers) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, m := range ms {
		x, y := trX(m.X), trY(m.Y)
		if m.Whiskered {
			ws := draw.LineStyle{Color: m.Color, Width: vg.Points(1)}
			if m.Caps {
				ws.Color = inkColor
			}
			if m.XHigh > m.XLow {
				x0, x1 := trX(m.XLow), trX(m.XHigh)
				c.StrokeLines(ws, c.ClipLinesXY([]vg.Point{{X: x0, Y: y}, {X: x1, Y: y}})...)
				if m.Caps {
					for _, xc := range []vg.Length{x0, x1} {
						c.StrokeLines(ws, c.ClipLinesXY([]vg.Point{{X: xc, Y: y - whiskerCap}, {X: xc, Y: y + whiskerCap}})...)
					}
				}
			}
			if m.YHigh > m.YLow {
				y0, y1 := trY(m.YLow), trY(m.YHigh)
				c.StrokeLines(ws, c.ClipLinesXY([]vg.Point{{X: x, Y: y0}, {X: x, Y: y1}})...)
				if m.Caps {
					for _, yc := range []vg.Length{y0, y1} {
						c.StrokeLines(ws, c.ClipLinesXY([]vg.Point{{X: x - whiskerCap, Y: yc}, {X: x + whiskerCap, Y: yc}})...)
					}
				}
			}
		}
		if !c.Contains(vg.Point{X: x, Y: y}) {
			continue
		}
		c.DrawGlyph(draw.GlyphStyle{Color: m.Color, Radius: m.Radius, Shape: draw.CircleGlyph{}}, vg.Point{X: x, Y: y})
		if m.Outline {
			c.DrawGlyph(draw.GlyphStyle{Color: whiteColor, Radius: m.Radius, Shape: draw.RingGlyph{}}, vg.Point{X: x, Y: y})
		}
	}
}

// DataRange implements plot.DataRanger.
func (ms markers) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, m := range ms {
		xmin, xmax = math.Min(xmin, m.X), math.Max(xmax, m.X)
		ymin, ymax = math.Min(ymin, m.Y), math.Max(ymax, m.Y)
		if m.Whiskered && m.XHigh > m.XLow {
			xmin, xmax = math.Min(xmin, m.XLow), math.Max(xmax, m.XHigh)
		}
		if m.Whiskered && m.YHigh > m.YLow {
			ymin, ymax = math.Min(ymin, m.YLow), math.Max(ymax, m.YHigh)
		}
	}
	return xmin, xmax, ymin, ymax
}

// A dot is a legend thumbnail of a marker.
type dot struct {
	Color  color.Color
	Radius vg.Length
}

// Thumbnail implements plot.Thumbnailer.
func (d dot) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(draw.GlyphStyle{Color: d.Color, Radius: d.Radius, Shape: draw.CircleGlyph{}}, c.Center())
}
