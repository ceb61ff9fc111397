package report

import (
	"fmt"
	"strconv"

	"github.com/natmo/natmo/plots"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
)

// RunFigures returns what the figures of a run are drawn from and which
// figures to draw: the scenario's, or a curves and a bars figure of its
// first metric if it asks for none.
// Labels name the metrics on the figures' axes (Registry.Labels).
func RunFigures(sc *scenarios.Scenario, res *sim.Result, labels map[string]string) (plots.Input, []scenarios.Figure) {
	in := plots.Input{Scenario: sc.Name, Title: sc.Title, Arms: res.Arms, Records: res.Records, Summary: res.Summary, Contrasts: res.Contrasts, Labels: labels, Intervals: res.Intervals}
	figs := sc.Figures
	if len(figs) == 0 && len(res.Metrics) > 0 {
		figs = []scenarios.Figure{
			{Kind: "curves", Metrics: res.Metrics[:1]},
			{Kind: "bars", Metrics: res.Metrics[:1]},
		}
	}
	return in, figs
}

// SweepFigures returns what the figures of a sweep are drawn from and which
// to draw: over one numeric setting, a dose figure per metric of
// Sweep.Figures; over two, a heatmap per metric. A sweep over more settings,
// or over one that is not numeric, has no figures; the error says why.
func SweepFigures(res *sim.SweepResult, labels map[string]string) (plots.Input, []scenarios.Figure, error) {
	sw := res.Sweep
	in := plots.Input{Scenario: sw.Scenario, Title: sw.Title, Labels: labels}
	if len(sw.Points) > 0 {
		in.Arms = sw.Points[0].Arms
	}
	for _, a := range sw.Axes {
		in.SweepAxes = append(in.SweepAxes, a.Set)
	}
	metrics := sw.Figures
	if len(metrics) == 0 && len(res.Points) > 0 && len(res.Points[0].Metrics) > 0 {
		metrics = res.Points[0].Metrics[:1] // a sweep.json from before figure_metrics
	}
	kind := ""
	switch len(sw.Axes) {
	case 1:
		kind = "dose"
		in.SweepLabel = sw.Axes[0].Set
	case 2:
		kind = "heatmap"
	default:
		return in, nil, fmt.Errorf("a sweep over %d settings has no figures (dose figures need one setting, heatmaps two); its numbers are in summary.csv", len(sw.Axes))
	}
	for i, p := range sw.Points {
		sp := plots.SweepPoint{Values: p.Values, Summary: res.Points[i].Summary}
		if kind == "dose" {
			v, err := strconv.ParseFloat(p.Values[0], 64)
			if err != nil {
				return in, nil, fmt.Errorf("no dose figures: %s=%s is not a number", sw.Axes[0].Set, p.Values[0])
			}
			sp.Value = v
		}
		in.Sweep = append(in.Sweep, sp)
	}
	var figs []scenarios.Figure
	for _, m := range metrics {
		figs = append(figs, scenarios.Figure{Kind: kind, Metrics: []string{m}})
	}
	return in, figs, nil
}
