package plots

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// frontierHeader is the header of a frontier figure's table. A row with
// kind "fit" holds an arm's fitted form (mean over seeds of the per-seed
// fits, with 95% CIs) in place of a probe's statistics.
var frontierHeader = []string{"arm", "stage", "step", "x_metric", "x", "y_metric", "n", "y", "y_ci_low", "y_ci_high",
	"kind", "alpha", "alpha_ci_low", "alpha_ci_high", "beta", "beta_ci_low", "beta_ci_high"}

// fitSamples is the number of points a fitted curve is drawn through.
const fitSamples = 64

// frontier lays out a frontier figure: each of fig.Metrics[1:] against
// fig.Metrics[0] along the probes of fig.Stage, one panel each, sharing the
// x axis. At each probe an arm's point is the mean over seeds of both
// metrics, with the 95% CI of the y metric as a band. With fig.Fit, the form
// (results.ParseForm) is fitted to each seed's probes and drawn, dotted, at
// the mean α and β over seeds from x = 0 to the arm's last mean x.
func frontier(fig scenarios.Figure, in *Input, l layout) (*figure, error) {
	if len(fig.Metrics) < 2 {
		return nil, fmt.Errorf("frontier: want an x metric and at least one y metric, have %v", fig.Metrics)
	}
	var form results.Form
	if fig.Fit != "" {
		var err error
		if form, err = results.ParseForm(fig.Fit); err != nil {
			return nil, fmt.Errorf("frontier: %w", err)
		}
	}
	stage := fig.Stage
	if stage == "" {
		stage = defaultStage(in.Records)
	}
	xm := fig.Metrics[0]
	ix := newIndex(in.Records, in.Intervals)
	arms := in.arms()
	styles := armStyles(arms)

	f := &figure{width: l.width, panelHeight: panelHeight, data: table{header: frontierHeader}}
	drawn := map[string]bool{}
	var ns []int
	for mi, ym := range fig.Metrics[1:] {
		p := newPanel(false)
		p.X.Label.Text = in.label(xm)
		p.Y.Label.Text = in.label(ym)
		var bands, lines []plot.Plotter
		for _, a := range arms {
			xs := ix.steps[seriesKey{a, stage, xm}]
			ys := ix.steps[seriesKey{a, stage, ym}]
			if len(xs) == 0 || len(ys) == 0 {
				continue
			}
			steps := make([]int, 0, len(ys))
			for s := range ys {
				if len(xs[s]) > 0 {
					steps = append(steps, s)
				}
			}
			slices.Sort(steps)
			st := styles[a]
			b := &band{Color: st.band()}
			ln := &meanLine{Style: st.line()}
			// Per seed, the (x, y) points, for the fit.
			px, py := map[int][]float64{}, map[int][]float64{}
			for _, s := range steps {
				xst, yst := statOf(in.Intervals, xs[s]), statOf(in.Intervals, ys[s])
				b.X, b.Low, b.High = append(b.X, xst.Mean), append(b.Low, yst.Low), append(b.High, yst.High)
				ln.X, ln.Y = append(ln.X, xst.Mean), append(ln.Y, yst.Mean)
				f.data.add(a, stage, itoa(s), xm, ftoa(xst.Mean), ym, itoa(yst.N), ftoa(yst.Mean), ftoa(yst.Low), ftoa(yst.High),
					"probe", "", "", "", "", "", "")
				ns = append(ns, yst.N)
				for seed, y := range ys[s] {
					if x, ok := xs[s][seed]; ok {
						px[seed], py[seed] = append(px[seed], x), append(py[seed], y)
					}
				}
			}
			bands, lines = append(bands, b), append(lines, ln)
			drawn[a] = true
			if fig.Fit == "" {
				continue
			}
			seeds := make([]int, 0, len(px))
			for seed := range px {
				seeds = append(seeds, seed)
			}
			slices.Sort(seeds)
			var alphas, betas []float64
			for _, seed := range seeds {
				ft, err := results.FitGao(form, px[seed], py[seed])
				if err != nil {
					return nil, fmt.Errorf("frontier: arm %s, seed %d, %s against %s: %w", a, seed, ym, xm, err)
				}
				alphas, betas = append(alphas, ft.Alpha), append(betas, ft.Beta)
			}
			am, alo, ahi := in.Intervals.MeanCI(alphas)
			bm, blo, bhi := in.Intervals.MeanCI(betas)
			f.data.add(a, stage, "", xm, "", ym, itoa(len(seeds)), "", "", "",
				"fit:"+form.String(), ftoa(am), ftoa(alo), ftoa(ahi), ftoa(bm), ftoa(blo), ftoa(bhi))
			xmax := ln.X[len(ln.X)-1]
			for _, x := range ln.X {
				xmax = math.Max(xmax, x)
			}
			fl := &meanLine{Style: st.line()}
			fl.Style.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2)}
			for i := range fitSamples + 1 {
				x := xmax * float64(i) / fitSamples
				fl.X, fl.Y = append(fl.X, x), append(fl.Y, form.Eval(am, bm, x))
			}
			lines = append(lines, fl)
		}
		if len(lines) == 0 {
			return nil, fmt.Errorf("frontier: no arm has records of both %s and %s in stage %q", xm, ym, stage)
		}
		p.Add(bands...)
		p.Add(lines...)
		padAxis(&p.X, 0.03, false)
		padAxis(&p.Y, 0.05, false)
		if mi < len(fig.Metrics)-2 {
			hideXTickLabels(p)
		}
		f.panels = append(f.panels, []*plot.Plot{p})
	}
	for _, a := range arms {
		if drawn[a] {
			st := styles[a]
			f.legend = append(f.legend, legendEntry{text: a, thumbs: []plot.Thumbnailer{&band{Color: st.band()}, &meanLine{Style: st.line()}}})
		}
	}
	f.caption = fmt.Sprintf("Stage %s: each probe's mean over %s seeds; bands: 95%% bootstrap CI of the y metric.", stage, seedCount(ns))
	if fig.Fit != "" {
		f.caption += fmt.Sprintf(" Dotted: %s fitted per seed, drawn at the mean α and β.", formText(form))
	}
	return f, nil
}

// formText writes a form as a formula.
func formText(f results.Form) string {
	if f == results.RL {
		return "x(α − β log x)"
	}
	return "x(α − β x)"
}
