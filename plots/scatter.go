package plots

import (
	"fmt"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/natmo/natmo/scenarios"
)

// scatterHeader is the header of a scatter figure's table. A row with an
// empty seed is an arm's mean, with its intervals.
var scatterHeader = []string{"arm", "seed", "x_metric", "x", "x_ci_low", "x_ci_high", "y_metric", "y", "y_ci_low", "y_ci_high"}

// scatter lays out a scatter figure: fig.Metrics[1] against fig.Metrics[0]
// at the final probe, a small translucent point per run (arm and seed) and,
// over them, each arm's mean with 95% CI whiskers along both axes.
func scatter(fig scenarios.Figure, in *Input, l layout) (*figure, error) {
	if len(fig.Metrics) != 2 {
		return nil, fmt.Errorf("scatter: want 2 metrics (x, y), have %d", len(fig.Metrics))
	}
	mx, my := fig.Metrics[0], fig.Metrics[1]
	ix := newIndex(in.Records, in.Intervals)
	arms := in.arms()
	styles := armStyles(arms)

	f := &figure{width: l.width, panelHeight: 1.3 * panelHeight, data: table{header: scatterHeader}}
	p := newPanel(false)
	p.X.Label.Text = in.label(mx)
	p.Y.Label.Text = in.label(my)

	var runs, means markers
	var ns []int
	for _, a := range arms {
		xs, ys := ix.finalValues(a, mx), ix.finalValues(a, my)
		paired := map[int]bool{}
		for s := range xs {
			if _, ok := ys[s]; ok {
				paired[s] = true
			}
		}
		if len(paired) == 0 {
			continue
		}
		seeds := make([]int, 0, len(paired))
		for s := range paired {
			seeds = append(seeds, s)
		}
		slices.Sort(seeds)
		st := styles[a]
		light := st.Color
		light.A = 0x80
		px, py := map[int]float64{}, map[int]float64{}
		for _, s := range seeds {
			runs = append(runs, marker{X: xs[s], Y: ys[s], Color: light, Radius: vg.Points(2.5)})
			f.data.add(a, itoa(s), mx, ftoa(xs[s]), "", "", my, ftoa(ys[s]), "", "")
			px[s], py[s] = xs[s], ys[s]
		}
		sx, sy := statOf(in.Intervals, px), statOf(in.Intervals, py)
		means = append(means, marker{X: sx.Mean, Y: sy.Mean, XLow: sx.Low, XHigh: sx.High, YLow: sy.Low, YHigh: sy.High,
			Color: st.Color, Radius: vg.Points(4), Outline: true, Whiskered: true})
		f.data.add(a, "", mx, ftoa(sx.Mean), ftoa(sx.Low), ftoa(sx.High), my, ftoa(sy.Mean), ftoa(sy.Low), ftoa(sy.High))
		ns = append(ns, sx.N)
		f.legend = append(f.legend, legendEntry{text: a, thumbs: []plot.Thumbnailer{dot{Color: st.Color, Radius: vg.Points(4)}}})
	}
	if len(means) == 0 {
		return nil, fmt.Errorf("scatter: no run has final values of both %s and %s", mx, my)
	}
	p.Add(runs, means)
	padAxis(&p.X, 0.05, false)
	padAxis(&p.Y, 0.05, false)
	f.panels = [][]*plot.Plot{{p}}
	f.ns = ns
	f.caption = fmt.Sprintf("Final probe; small points: runs (%s seeds per arm); large: arm means with 95%% bootstrap CIs.", seedCount(ns))
	return f, nil
}
