package plots

import (
	"fmt"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// profile lays out a profile figure: the final values of several metrics
// (say, the probability of each token of a readout) as groups of bars, one
// group per metric and one bar per arm, with 95% CI whiskers. A prefix the
// metric names share (such as "readout_") labels the x axis and is left off
// the group labels.
func profile(fig scenarios.Figure, in *Input, l layout) (*figure, error) {
	if len(fig.Metrics) == 0 {
		return nil, fmt.Errorf("profile: no metrics")
	}
	arms := in.arms()
	styles := armStyles(arms)
	sums := in.summaries(arms, fig.Metrics)

	var shown []string // arms with a value of some metric
	for _, a := range arms {
		for _, m := range fig.Metrics {
			if _, ok := sums[[2]string{a, m}]; ok {
				shown = append(shown, a)
				break
			}
		}
	}
	if len(shown) == 0 {
		return nil, fmt.Errorf("profile: no final values of %s", strings.Join(fig.Metrics, ", "))
	}

	f := &figure{width: l.width, panelHeight: panelHeight, data: table{header: results.SummaryHeader}}
	p := newPanel(false)
	labels := make([]string, len(fig.Metrics))
	for i, m := range fig.Metrics {
		labels[i] = in.label(m)
	}
	prefix, names := commonPrefix(labels)
	p.X.Label.Text = strings.TrimRight(prefix, "_.:/-@, ")
	p.Y.Label.Text = "final value"
	if len(fig.Metrics) == 1 {
		p.Y.Label.Text = in.label(fig.Metrics[0])
	}

	const groupWidth = 0.8
	w := groupWidth / float64(len(shown))
	var bs []ciBar
	var ns []int
	for g, m := range fig.Metrics {
		for k, a := range shown {
			s, ok := sums[[2]string{a, m}]
			if !ok {
				continue
			}
			x := float64(g) + (float64(k)-float64(len(shown)-1)/2)*w
			bs = append(bs, ciBar{X: x, Width: w * 0.9, Mean: s.Mean, Low: s.Low, High: s.High, Color: styles[a].Color})
			f.data.add(results.SummaryRow(s)...)
			ns = append(ns, s.N)
		}
	}
	p.Add(ciBars{Bars: bs})
	if ticks, ok := fitTickLabels(p, names, l.dataWidth()/vg.Length(len(names))); ok {
		nominalTicks(p, ticks)
	} else {
		nominalTicks(p, names)
		turnTickLabels(p)
	}
	padAxis(&p.Y, 0.04, true)

	for _, a := range shown {
		f.legend = append(f.legend, legendEntry{text: a, thumbs: []plot.Thumbnailer{swatch(styles[a].Color)}})
	}
	f.panels = [][]*plot.Plot{{p}}
	f.ns = ns
	f.caption = fmt.Sprintf("Final probe; mean over %s seeds; whiskers: 95%% bootstrap CI.", seedCount(ns))
	return f, nil
}

// commonPrefix returns the prefix that all of names share up to and
// including a separator ('_', '.', ':', '/', '-', '@' or a space), and the names without
// it. If any name would be left empty, or there is only one name, the
// prefix is "" and the names are returned whole.
func commonPrefix(names []string) (string, []string) {
	if len(names) < 2 {
		return "", names
	}
	p := names[0]
	for _, n := range names[1:] {
		i := 0
		for i < len(p) && i < len(n) && p[i] == n[i] {
			i++
		}
		p = p[:i]
	}
	i := strings.LastIndexAny(p, "_.:/-@ ")
	if i < 0 {
		return "", names
	}
	p = p[:i+1]
	out := make([]string, len(names))
	for j, n := range names {
		out[j] = n[len(p):]
		if out[j] == "" {
			return "", names
		}
	}
	return p, out
}
