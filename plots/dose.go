package plots

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// A SweepPoint is one run of a sweep: the scenario run with the swept
// setting at Value, and the summary table of that run.
type SweepPoint struct {
	// Value is the swept value of a sweep over one setting (dose figures).
	Value float64
	// Values are the point's value of each swept setting, as written
	// (heatmaps: the first two).
	Values  []string
	Summary []results.Summary
}

// doseHeader is the header of a dose figure's table.
var doseHeader = []string{"arm", "value", "metric", "n", "mean", "ci_low", "ci_high", "delta", "delta_ci_low", "delta_ci_high"}

// dose lays out a dose figure: the final value of fig.Metrics[0] against
// the swept value (Input.Sweep), one line per arm through its means at the
// swept values, with their 95% CI as a band and markers at the values. The
// x axis is logarithmic if the values are positive and span more than a
// factor of 20.
func dose(fig scenarios.Figure, in *Input, l layout) (*figure, error) {
	if len(fig.Metrics) == 0 {
		return nil, fmt.Errorf("dose: no metric")
	}
	if len(in.Sweep) == 0 {
		return nil, fmt.Errorf("dose: the input has no sweep (Input.Sweep)")
	}
	m := fig.Metrics[0]
	sweep := slices.Clone(in.Sweep)
	slices.SortStableFunc(sweep, func(a, b SweepPoint) int { return cmp.Compare(a.Value, b.Value) })
	arms := in.arms()
	if len(in.Arms) == 0 { // arms as they first appear in the sweep's tables
		seen := map[string]bool{}
		for _, a := range arms {
			seen[a] = true
		}
		for _, sp := range sweep {
			for _, s := range sp.Summary {
				if !seen[s.Arm] {
					seen[s.Arm] = true
					arms = append(arms, s.Arm)
				}
			}
		}
		arms = (&Input{Arms: arms}).arms()
	}
	styles := armStyles(arms)

	f := &figure{width: l.width, panelHeight: panelHeight, data: table{header: doseHeader}}
	p := newPanel(false)
	p.X.Label.Text = in.SweepLabel
	if p.X.Label.Text == "" {
		p.X.Label.Text = "swept value"
	}
	p.Y.Label.Text = in.label(m)
	lo, hi := sweep[0].Value, sweep[len(sweep)-1].Value
	logX := lo > 0 && hi/lo > 20
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if len(sweep) <= 8 { // few values: label each
		var ticks []plot.Tick
		for _, sp := range sweep {
			if finite(sp.Value) && !(logX && sp.Value <= 0) {
				ticks = append(ticks, plot.Tick{Value: sp.Value, Label: strconv.FormatFloat(sp.Value, 'g', 4, 64)})
			}
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
	}

	var bands, lines []plot.Plotter
	var dots markers
	var ns []int
	for _, a := range arms {
		st := styles[a]
		b := &band{Color: st.band()}
		ml := &meanLine{Style: st.line()}
		for _, sp := range sweep {
			if !finite(sp.Value) || logX && sp.Value <= 0 {
				continue
			}
			i := slices.IndexFunc(sp.Summary, func(s results.Summary) bool { return s.Arm == a && s.Metric == m })
			if i < 0 || sp.Summary[i].N == 0 {
				continue
			}
			s := sp.Summary[i]
			b.X, b.Low, b.High = append(b.X, sp.Value), append(b.Low, s.Low), append(b.High, s.High)
			ml.X, ml.Y = append(ml.X, sp.Value), append(ml.Y, s.Mean)
			dots = append(dots, marker{X: sp.Value, Y: s.Mean, Color: st.Color, Radius: vg.Points(2.5)})
			f.data.add(append([]string{a, ftoa(sp.Value)}, results.SummaryRow(s)[1:]...)...)
			ns = append(ns, s.N)
		}
		if len(ml.X) == 0 {
			continue
		}
		bands, lines = append(bands, b), append(lines, ml)
		f.legend = append(f.legend, legendEntry{text: a, thumbs: []plot.Thumbnailer{&band{Color: st.band()}, &meanLine{Style: st.line()}}})
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("dose: no final values of %s in the sweep", m)
	}
	p.Add(bands...)
	p.Add(lines...)
	p.Add(dots)
	if !logX {
		padX(p)
		padAxis(&p.X, 0.04, false)
	} else {
		p.X.Min, p.X.Max = p.X.Min/math.Pow(hi/lo, 0.04), p.X.Max*math.Pow(hi/lo, 0.04)
	}
	padAxis(&p.Y, 0.05, false)
	f.panels = [][]*plot.Plot{{p}}
	f.ns = ns
	f.caption = fmt.Sprintf("Final probe at each swept value; mean over %s seeds; bands: 95%% bootstrap CI.", seedCount(ns))
	return f, nil
}
