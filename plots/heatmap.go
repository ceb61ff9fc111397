package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// heatmapHeader is the header of a heatmap figure's table.
var heatmapHeader = []string{"arm", "x", "y", "metric", "n", "mean", "ci_low", "ci_high", "delta", "delta_ci_low", "delta_ci_high"}

// heatmap lays out a heatmap figure of a sweep over two settings: one panel
// per arm, a cell per point of the grid (the first setting across, the
// second up), coloured by the final mean of fig.Metrics[0] on one scale for
// all panels and labelled with it.
func heatmap(fig scenarios.Figure, in *Input, l layout) (*figure, error) {
	if len(fig.Metrics) == 0 {
		return nil, fmt.Errorf("heatmap: no metric")
	}
	if len(in.SweepAxes) != 2 {
		return nil, fmt.Errorf("heatmap: needs a sweep over two settings, the input has %d", len(in.SweepAxes))
	}
	m := fig.Metrics[0]
	xs, ys := axisValues(in.Sweep, 0), axisValues(in.Sweep, 1)
	if len(xs) == 0 || len(ys) == 0 {
		return nil, fmt.Errorf("heatmap: the sweep has no points with two values")
	}
	arms := in.arms()
	if len(in.Arms) == 0 {
		seen := map[string]bool{}
		for _, sp := range in.Sweep {
			for _, s := range sp.Summary {
				if !seen[s.Arm] {
					seen[s.Arm] = true
					arms = append(arms, s.Arm)
				}
			}
		}
		arms = (&Input{Arms: arms}).arms()
	}
	type cell struct {
		x, y int
		text string
		v    float64
	}
	cells := map[string][]cell{}
	lo, hi := math.Inf(1), math.Inf(-1)
	f := &figure{data: table{header: heatmapHeader}}
	var all []float64
	for _, sp := range in.Sweep {
		for _, s := range sp.Summary {
			if s.Metric == m && s.N > 0 && finite(s.Mean) {
				all = append(all, s.Mean)
			}
		}
	}
	prec := decimals(all...)
	for _, a := range arms {
		for _, sp := range in.Sweep {
			if len(sp.Values) != 2 {
				continue
			}
			i := slices.IndexFunc(sp.Summary, func(s results.Summary) bool { return s.Arm == a && s.Metric == m })
			if i < 0 || sp.Summary[i].N == 0 || !finite(sp.Summary[i].Mean) {
				continue
			}
			s := sp.Summary[i]
			cells[a] = append(cells[a], cell{
				x: slices.Index(xs, sp.Values[0]), y: slices.Index(ys, sp.Values[1]),
				text: formatFixed(s.Mean, prec), v: s.Mean,
			})
			lo, hi = math.Min(lo, s.Mean), math.Max(hi, s.Mean)
			f.data.add(append([]string{a, sp.Values[0], sp.Values[1]}, results.SummaryRow(s)[1:]...)...)
			f.ns = append(f.ns, s.N)
		}
	}
	var shown []string
	for _, a := range arms {
		if len(cells[a]) > 0 {
			shown = append(shown, a)
		}
	}
	if len(shown) == 0 {
		return nil, fmt.Errorf("heatmap: no final values of %s in the sweep", m)
	}
	cols := min(len(shown), 3)
	rows := (len(shown) + cols - 1) / cols
	f.width = max(l.width, vg.Length(cols)*2.4*vg.Inch)
	f.panelHeight = max(1.6*vg.Inch, vg.Length(len(ys))*22*pt+50*pt)
	var panels []*plot.Plot
	for _, a := range shown {
		p := newPanel(false)
		p.Title.Text = a
		p.Title.TextStyle = textStyle(labelSize, false)
		p.Title.TextStyle.XAlign = draw.XCenter
		p.X.Label.Text = in.SweepAxes[0]
		p.Y.Label.Text = in.SweepAxes[1]
		nominalTicks(p, xs)
		yt := make([]plot.Tick, len(ys))
		for i, y := range ys {
			yt[i] = plot.Tick{Value: float64(i), Label: y}
		}
		p.Y.Tick.Marker = plot.ConstantTicks(yt)
		p.Y.Tick.Length = 0
		p.Y.Min, p.Y.Max = -0.5, float64(len(ys))-0.5
		hm := heatCells{lo: lo, hi: hi}
		for _, c := range cells[a] {
			hm.cells = append(hm.cells, heatCell{X: float64(c.x), Y: float64(c.y), V: c.v, Text: c.text})
		}
		p.Add(hm)
		panels = append(panels, p)
	}
	for r := range rows {
		row := make([]*plot.Plot, cols)
		copy(row, panels[r*cols:min(len(panels), (r+1)*cols)])
		f.panels = append(f.panels, row)
	}
	f.letters = len(panels) > 1
	f.caption = fmt.Sprintf("%s at the final probe for each point of the sweep; mean over %s seeds; darker is higher (%s to %s).",
		in.label(m), seedCount(f.ns), formatFixed(lo, prec), formatFixed(hi, prec))
	return f, nil
}

// axisValues returns the distinct values of axis i of the sweep's points,
// in numeric order if all are numbers, else in order of appearance.
func axisValues(sweep []SweepPoint, i int) []string {
	var vs []string
	for _, sp := range sweep {
		if i < len(sp.Values) && !slices.Contains(vs, sp.Values[i]) {
			vs = append(vs, sp.Values[i])
		}
	}
	nums := make(map[string]float64, len(vs))
	for _, v := range vs {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return vs
		}
		nums[v] = x
	}
	slices.SortStableFunc(vs, func(a, b string) int { return cmp.Compare(nums[a], nums[b]) })
	return vs
}

// formatFixed formats v with d decimals, without the sign of a value that
// rounds to zero ("0.000", not "-0.000").
func formatFixed(v float64, d int) string {
	t := strconv.FormatFloat(v, 'f', d, 64)
	if strings.Trim(t, "-0.") == "" {
		t = strings.TrimPrefix(t, "-")
	}
	return t
}

// A heatCell is one cell of a heatmap: its place, value and label.
type heatCell struct {
	X, Y float64
	V    float64
	Text string
}

// heatCells is a plotter of unit cells coloured on a scale from lo to hi.
type heatCells struct {
	cells  []heatCell
	lo, hi float64
}

// heatColor maps t in [0, 1] from a pale to a deep blue.
func heatColor(t float64) color.NRGBA {
	t = math.Max(0, math.Min(1, t))
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + t*(float64(b)-float64(a)))) }
	return color.NRGBA{R: mix(0xf2, 0x08), G: mix(0xf7, 0x30), B: mix(0xfd, 0x6b), A: 0xff}
}

// Plot implements plot.Plotter.
func (h heatCells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := textStyle(tickSize, false)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	for _, cl := range h.cells {
		t := 0.5
		if h.hi > h.lo {
			t = (cl.V - h.lo) / (h.hi - h.lo)
		}
		x0, x1 := trX(cl.X-0.5), trX(cl.X+0.5)
		y0, y1 := trY(cl.Y-0.5), trY(cl.Y+0.5)
		rect := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(heatColor(t), rect)
		c.StrokeLines(draw.LineStyle{Color: whiteColor, Width: vg.Points(1)}, append(rect, rect[0]))
		sty.Color = inkColor
		if t > 0.55 {
			sty.Color = whiteColor
		}
		c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, cl.Text)
	}
}

// DataRange implements plot.DataRanger.
func (h heatCells) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, cl := range h.cells {
		xmin, xmax = math.Min(xmin, cl.X-0.5), math.Max(xmax, cl.X+0.5)
		ymin, ymax = math.Min(ymin, cl.Y-0.5), math.Max(ymax, cl.Y+0.5)
	}
	return
}
