package plots

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/natmo/natmo/scenarios"
)

// curves lays out a curves figure: one panel per metric, stacked, sharing
// the x axis (the step within the stage), each arm's mean over seeds at each
// probe with its 95% CI band. An arm with no records of a metric in the
// stage is drawn as a dashed level at the mean of its final values, with
// their CI as its band, across the whole x range. Steps that fewer than
// half an arm's seeds reached are not drawn (survivors).
func curves(fig scenarios.Figure, in *Input, l layout) (*figure, error) {
	if len(fig.Metrics) == 0 {
		return nil, fmt.Errorf("curves: no metrics")
	}
	stage := fig.Stage
	if stage == "" {
		stage = defaultStage(in.Records)
	}
	recs := in.Records
	var bounds []boundary
	if stage == scenarios.StageAll {
		recs, bounds = wholeRun(recs)
	}
	ix := newIndex(recs, in.Intervals)
	arms := in.arms()
	styles := armStyles(arms)

	// Each arm's curve of each metric, and the x range all panels share.
	type series struct{ arm, metric string }
	curvesOf := map[series][]curvePoint{}
	var thinned []string // arms with steps too few of their seeds reached
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, m := range fig.Metrics {
		for _, a := range arms {
			pts, cut := survivors(ix.curve(a, stage, m))
			if cut {
				thinned = append(thinned, a)
			}
			curvesOf[series{a, m}] = pts
			for _, cp := range pts {
				xmin = math.Min(xmin, float64(cp.Step))
				xmax = math.Max(xmax, float64(cp.Step))
			}
		}
	}
	if math.IsInf(xmin, 0) {
		return nil, fmt.Errorf("curves: no records of %s in stage %q", strings.Join(fig.Metrics, ", "), stage)
	}

	f := &figure{
		width:       l.width,
		panelHeight: panelHeight,
		data:        table{header: curvesHeader},
	}
	drawn := map[string]bool{} // arms drawn in some panel
	flat := map[string]bool{}  // arms drawn as a level in some panel
	var ns []int
	for mi, m := range fig.Metrics {
		p := newPanel(false)
		p.X.Label.Text = stage + " step"
		if stage == scenarios.StageAll {
			p.X.Label.Text = "step, through each arm's whole pipeline"
			if len(bounds) > 0 {
				p.Add(vlines{bs: bounds, styles: styles})
			}
		}
		p.Y.Label.Text = in.label(m)
		p.X.Tick.Marker = integerTicks{}
		var bands, lines []plot.Plotter
		for _, a := range arms {
			st := styles[a]
			pts := curvesOf[series{a, m}]
			switch fs, ok := ix.finalStat(a, m); {
			case len(pts) > 0:
				b := &band{Color: st.band()}
				l := &meanLine{Style: st.line()}
				for _, cp := range pts {
					x := float64(cp.Step)
					b.X, b.Low, b.High = append(b.X, x), append(b.Low, cp.Low), append(b.High, cp.High)
					l.X, l.Y = append(l.X, x), append(l.Y, cp.Mean)
					f.data.add(a, stage, itoa(cp.Step), m, itoa(cp.N), ftoa(cp.Mean), ftoa(cp.Low), ftoa(cp.High), "step")
					ns = append(ns, cp.N)
				}
				bands, lines = append(bands, b), append(lines, l)
			case ok:
				ls := st.line()
				ls.Dashes = []vg.Length{vg.Points(5), vg.Points(2.5)}
				xs := []float64{xmin, xmax}
				bands = append(bands, &band{X: xs, Low: []float64{fs.Low, fs.Low}, High: []float64{fs.High, fs.High}, Color: st.band()})
				lines = append(lines, &meanLine{X: xs, Y: []float64{fs.Mean, fs.Mean}, Style: ls})
				for _, x := range xs {
					f.data.add(a, stage, ftoa(x), m, itoa(fs.N), ftoa(fs.Mean), ftoa(fs.Low), ftoa(fs.High), "final")
				}
				ns = append(ns, fs.N)
				flat[a] = true
			default:
				continue
			}
			drawn[a] = true
		}
		p.Add(bands...)
		p.Add(lines...)
		p.X.Min, p.X.Max = xmin, xmax
		padX(p)
		padAxis(&p.Y, 0.05, false)
		if mi < len(fig.Metrics)-1 {
			hideXTickLabels(p)
		}
		f.panels = append(f.panels, []*plot.Plot{p})
	}

	var flatArms []string
	for _, a := range arms {
		if !drawn[a] {
			continue
		}
		st := styles[a]
		ls := st.line()
		if flat[a] {
			ls.Dashes = []vg.Length{vg.Points(5), vg.Points(2.5)}
			flatArms = append(flatArms, a)
		}
		f.legend = append(f.legend, legendEntry{text: a, thumbs: []plot.Thumbnailer{
			&band{Color: st.band()}, &meanLine{Style: ls},
		}})
	}
	f.ns = ns
	f.caption = fmt.Sprintf("Mean over %s seeds; bands: 95%% bootstrap CI.", seedCount(ns))
	if len(flatArms) > 0 {
		f.caption += fmt.Sprintf(" Dashed: final value of %s (no %s stage).", joinAnd(flatArms), stage)
	}
	if stage == scenarios.StageAll {
		if len(bounds) > 0 {
			f.caption += " Dotted lines: where a stage begins."
		}
	} else {
		f.note = notShown(in.Records, arms, stage)
	}
	// Said even under a scenario's own caption, as what is not shown is.
	if len(thinned) > 0 {
		slices.Sort(thinned)
		f.note += fmt.Sprintf(" Not drawn: the steps that fewer than half the seeds of %s reached (they stopped early).", joinAnd(slices.Compact(thinned)))
	}
	return f, nil
}

// survivors drops the points of a curve that fewer than half the arm's
// seeds reached: where seeds stop at different steps (an early stop), the
// mean of the few still training is the mean of the slowest, not the arm's.
// cut reports whether any point was dropped.
func survivors(pts []curvePoint) (kept []curvePoint, cut bool) {
	most := 0
	for _, cp := range pts {
		most = max(most, cp.N)
	}
	for _, cp := range pts {
		if 2*cp.N < most {
			cut = true
			continue
		}
		kept = append(kept, cp)
	}
	return kept, cut
}

// joinAnd joins words as "a", "a and b" or "a, b and c".
func joinAnd(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
