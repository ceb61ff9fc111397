package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// seedsHeader is the header of a seeds figure's table. A row with an empty
// seed is an arm's mean, with its interval.
var seedsHeader = []string{"arm", "metric", "seed", "value", "ci_low", "ci_high"}

// Offsets of a seeds figure, in units of the distance between arms: the
// seeds' dots spread over [−seedSpread, +seedSpread] left of centre, the
// mean stands at meanOffset right of it.
const (
	seedSpread = 0.18
	seedCentre = -0.1
	meanOffset = 0.25
)

// seeds lays out a seeds figure: for each of fig.Metrics a panel (stacked,
// sharing the arms) of every seed's final value, one dot per seed in a
// strip per arm, and beside the strip the arm's mean with its 95% bootstrap
// CI. Where a mean hides how seeds differ — some learn one thing, some
// another — the strip shows it.
func seeds(fig scenarios.Figure, in *Input, l layout) (*figure, error) {
	if len(fig.Metrics) == 0 {
		return nil, fmt.Errorf("seeds: no metric")
	}
	ix := newIndex(in.Records, in.Intervals)
	var arms []string
	for _, a := range in.arms() {
		for _, m := range fig.Metrics {
			if len(ix.finalValues(a, m)) > 0 {
				arms = append(arms, a)
				break
			}
		}
	}
	if len(arms) == 0 {
		return nil, fmt.Errorf("seeds: no final values of %v", fig.Metrics)
	}
	styles := armStyles(in.arms())
	f := &figure{width: l.width, panelHeight: panelHeight, data: table{header: seedsHeader}, letters: len(fig.Metrics) > 1}
	var ns []int
	for mi, m := range fig.Metrics {
		p := newPanel(false)
		p.Y.Label.Text = in.label(m)
		var dots, means markers
		for i, a := range arms {
			vs := ix.finalValues(a, m)
			if len(vs) == 0 {
				continue
			}
			ss, xs := results.BySeed(vs)
			st := styles[a]
			light := st.Color
			light.A = 0xb0
			for j, s := range ss {
				x := float64(i) + seedCentre
				if len(ss) > 1 {
					x += seedSpread * (2*float64(j)/float64(len(ss)-1) - 1)
				}
				dots = append(dots, marker{X: x, Y: xs[j], Color: light, Radius: vg.Points(2.5)})
				f.data.add(a, m, itoa(s), ftoa(xs[j]), "", "")
			}
			sm := statOf(in.Intervals, vs)
			means = append(means, marker{X: float64(i) + meanOffset, Y: sm.Mean, YLow: sm.Low, YHigh: sm.High,
				Color: st.Color, Radius: vg.Points(4), Outline: true, Whiskered: true, Caps: true})
			f.data.add(a, m, "", ftoa(sm.Mean), ftoa(sm.Low), ftoa(sm.High))
			ns = append(ns, sm.N)
		}
		p.Add(dots, means)
		nominalTicks(p, arms)
		p.X.Label.Text = "arm"
		padAxis(&p.Y, 0.05, false)
		if mi < len(fig.Metrics)-1 {
			hideXTickLabels(p)
		}
		f.panels = append(f.panels, []*plot.Plot{p})
	}
	f.caption = fmt.Sprintf("Final probe; dots: one per seed (n = %s per arm); beside them: the arm's mean with its 95%% bootstrap CI.", seedCount(ns))
	return f, nil
}
