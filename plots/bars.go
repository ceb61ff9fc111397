package plots

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// bars lays out a bars figure: fig.Metrics[0] at the final probe, one bar
// per arm with its 95% CI whisker, a dashed line at the baseline's mean, and
// above each other arm's bar its paired difference from baseline with the
// difference's CI.
func bars(fig scenarios.Figure, in *Input, l layout) (*figure, error) {
	if len(fig.Metrics) == 0 {
		return nil, fmt.Errorf("bars: no metric")
	}
	m := fig.Metrics[0]
	arms := in.arms()
	styles := armStyles(arms)
	sums := in.summaries(arms, []string{m})
	base, hasBase := sums[[2]string{scenarios.BaselineArm, m}]

	var (
		shown []results.Summary
		names []string
	)
	for _, a := range arms {
		if s, ok := sums[[2]string{a, m}]; ok {
			shown = append(shown, s)
			names = append(names, a)
		}
	}
	if len(shown) == 0 {
		return nil, fmt.Errorf("bars: no final values of %s", m)
	}
	// Bars stand side by side if their names and labels fit above and below
	// them; else they lie one under another, names left, labels right.
	slot := l.dataWidth() / vg.Length(len(shown))
	bs := ciBars{Bars: make([]ciBar, len(shown))}
	labels := make([]string, len(shown))
	var ns []int
	// One precision for every label of the figure, set by the largest value
	// drawn, so that a delta far below the figure's scale reads 0.000
	// rather than a string of digits of noise.
	var all []float64
	for _, s := range shown {
		all = append(all, s.Mean, s.High, s.Low, s.Delta, s.DLow, s.DHigh)
	}
	for _, c := range in.Contrasts {
		if c.Metric == m {
			all = append(all, c.Delta, c.DLow, c.DHigh)
		}
	}
	prec := decimals(all...)
	contrasted := false
	for i, s := range shown {
		bs.Bars[i] = ciBar{X: float64(i), Width: 0.6, Mean: s.Mean, Low: s.Low, High: s.High, Color: styles[s.Arm].Color}
		if c, ok := in.contrast(s.Arm, m); ok {
			labels[i] = deltaLabel(results.Summary{Delta: c.Delta, DLow: c.DLow, DHigh: c.DHigh}, l.delta+" vs "+c.Against, prec)
			contrasted = true
		} else if hasBase && s.Arm != scenarios.BaselineArm && !s.Unpaired {
			labels[i] = deltaLabel(s, l.delta, prec)
		}
		ns = append(ns, s.N)
	}
	p := newPanel(false)
	ticks, fit := fitTickLabels(p, names, slot)
	for i, label := range labels {
		if label == "" {
			continue
		}
		var ok bool
		if labels[i], ok = fitLabel(label, slot); !ok {
			fit = false
		}
	}

	f := &figure{width: l.width, panelHeight: panelHeight, data: table{header: results.SummaryHeader}}
	ref := refLine{V: base.Mean, Style: draw.LineStyle{Color: baselineColor, Width: vg.Points(0.75), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}}
	if fit {
		for i := range bs.Bars {
			bs.Bars[i].Label = labels[i]
		}
		p.Y.Label.Text = in.label(m)
		nominalTicks(p, ticks)
	} else {
		p = newPanel(true)
		bs.Horizontal = true
		n := len(bs.Bars)
		for i := range bs.Bars {
			bs.Bars[i].X = float64(n - 1 - i)
			bs.Bars[i].Label = strings.ReplaceAll(labels[i], "\n", " ")
		}
		ref.OnX = true
		p.X.Label.Text = in.label(m)
		nominalYTicks(p, names)
		f.panelHeight = max(panelHeight, vg.Length(n)*16*pt+40*pt)
	}
	if hasBase {
		p.Add(ref)
	}
	p.Add(bs)
	if bs.Horizontal {
		padAxis(&p.X, 0.04, true)
	} else {
		padAxis(&p.Y, 0.04, true)
	}
	for _, s := range shown {
		f.data.add(results.SummaryRow(s)...)
	}

	f.panels = [][]*plot.Plot{{p}}
	f.ns = ns
	f.caption = fmt.Sprintf("Final probe; mean over %s seeds; whiskers: 95%% bootstrap CI.", seedCount(ns))
	switch {
	case contrasted:
		f.caption += " " + l.delta + ": paired difference from baseline, or from the arm named [95% CI]."
	case hasBase && len(shown) > 1:
		f.caption += " " + l.delta + ": paired difference from baseline [95% CI]."
	}
	return f, nil
}

// contrast returns the first of in.Contrasts of arm for metric m.
func (in *Input) contrast(arm, m string) (results.Contrast, bool) {
	for _, c := range in.Contrasts {
		if c.Arm == arm && c.Metric == m {
			return c, true
		}
	}
	return results.Contrast{}, false
}

// deltaLabel is "Δ +0.21 [0.12, 0.31]" for s, with symbol for Δ and d
// decimals. A value that rounds to zero is written without a sign.
func deltaLabel(s results.Summary, symbol string, d int) string {
	num := func(v float64) string {
		t := strconv.FormatFloat(v, 'f', d, 64)
		if strings.Trim(t, "-0.") == "" {
			t = strings.TrimPrefix(t, "-")
		}
		return t
	}
	sign := "+"
	if num(s.Delta)[0] == '-' || strings.Trim(num(s.Delta), "0.") == "" {
		sign = ""
	}
	return fmt.Sprintf("%s %s%s [%s, %s]", symbol, sign, num(s.Delta), num(s.DLow), num(s.DHigh))
}

// decimals is the number of decimals that shows the largest of vs to two
// significant digits (at least one decimal below 10, at most six).
func decimals(vs ...float64) int {
	m := 0.0
	for _, v := range vs {
		if finite(v) {
			m = math.Max(m, math.Abs(v))
		}
	}
	switch {
	case m == 0:
		return 2
	case m >= 100:
		return 0
	case m >= 10:
		return 1
	case m >= 1:
		return 2
	}
	return min(6, int(math.Ceil(-math.Log10(m)))+1)
}

// fitLabel fits a "Δ delta [low, high]" label over a bar's slot, on one
// line or on two (breaking before the interval), and reports whether it
// fits.
func fitLabel(label string, slot vg.Length) (string, bool) {
	sty := barLabelStyle()
	if sty.Width(label) <= 0.95*slot {
		return label, true
	}
	if i := strings.Index(label, " ["); i > 0 {
		two := label[:i] + "\n" + label[i+1:]
		return two, sty.Width(two) <= 0.95*slot
	}
	return label, false
}

// fitTickLabels fits names as p's x tick labels into slots of the given
// width: each name on one line if it fits, else broken after its '-', '_',
// '.' or '+' into lines. It returns the labels and whether they all fit.
func fitTickLabels(p *plot.Plot, names []string, slot vg.Length) ([]string, bool) {
	sty := p.X.Tick.Label
	out := make([]string, len(names))
	fits := true
	for i, n := range names {
		out[i] = wrapName(n, sty, 0.95*slot)
		if sty.Width(out[i]) > 0.95*slot || strings.Count(out[i], "\n") > 2 {
			fits = false
		}
	}
	return out, fits
}

// turnTickLabels turns p's x tick labels to run downwards from the axis.
func turnTickLabels(p *plot.Plot) {
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
}

// wrapName breaks name after separators into lines no wider than width
// where it can.
func wrapName(name string, sty text.Style, width vg.Length) string {
	if sty.Width(name) <= width {
		return name
	}
	var parts []string // each ends with its separator
	start := 0
	for i := range len(name) {
		if strings.IndexByte("-_.+", name[i]) >= 0 && i > 0 && i < len(name)-1 {
			parts = append(parts, name[start:i+1])
			start = i + 1
		}
	}
	parts = append(parts, name[start:])
	var lines []string
	line := ""
	for _, p := range parts {
		if line != "" && sty.Width(line+p) > width {
			lines = append(lines, line)
			line = ""
		}
		line += p
	}
	return strings.Join(append(lines, line), "\n")
}
