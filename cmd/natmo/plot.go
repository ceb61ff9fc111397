package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/natmo/natmo/plots"
	"github.com/natmo/natmo/plots/report"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/worlds"
	"github.com/urfave/cli/v2"
)

func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "redraw the figures of a results folder from its tables, without rerunning",
		ArgsUsage: "DIR",
		Description: `Reads DIR/manifest.json, metrics.csv, summary.csv (and contrasts.csv) and draws the scenario's
figures again (into DIR/figures, or --out); for a sweep folder, its dose figures
or heatmaps from summary.csv. --figure draws a figure the scenario did not ask
for: KIND:METRIC[,METRIC...], with KIND one of curves, bars, profile, scatter,
grid, and for sweeps dose (one setting) or heatmap (two) (see docs/figures.md).

Examples:
   natmo plot results/emergent-misalignment --format png
   natmo plot results/emergent-misalignment --figure 'curves:misalignment_offdomain,helpfulness'`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "folder for the figures (default DIR/figures)"},
			&cli.StringFlag{Name: "format", Value: "svg,png,pdf", Usage: "figure formats"},
			&cli.StringSliceFlag{Name: "figure", Usage: "draw only this figure, `KIND:METRIC[,METRIC...]` (repeatable)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return badInput(fmt.Errorf("plot needs one results folder, got %d arguments", c.NArg()))
			}
			dir := c.Args().First()
			formats, err := parseFormats(c.String("format"))
			if err != nil {
				return badInput(err)
			}
			in, figs, err := readFigures(dir)
			if err != nil {
				return badInput(err)
			}
			if fs := c.StringSlice("figure"); len(fs) > 0 {
				figs = nil
				for _, f := range fs {
					fig, err := parseFigure(f, metricsOf(in))
					if err != nil {
						return badInput(err)
					}
					figs = append(figs, fig)
				}
			}
			out := c.String("out")
			if out == "" {
				out = filepath.Join(dir, "figures")
			}
			if err := renderAll(out, in, figs, formats); err != nil {
				return failureError{err}
			}
			fmt.Fprintf(c.App.Writer, "%d figure(s) in %s\n", len(figs), out)
			return nil
		},
	}
}

// readFigures reads a results folder back, a run or a sweep: what its
// figures are drawn from, and the figures it draws by default.
func readFigures(dir string) (plots.Input, []scenarios.Figure, error) {
	if sim.IsSweep(dir) {
		res, err := sim.ReadSweep(dir)
		if err != nil {
			return plots.Input{}, nil, err
		}
		in, figs, err := report.SweepFigures(res, worlds.Default().Labels())
		if err != nil {
			return in, nil, err
		}
		return in, figs, nil
	}
	reg := worlds.Default()
	d, err := sim.ReadDir(dir, reg.Schema())
	if err != nil {
		return plots.Input{}, nil, err
	}
	in, figs := report.RunFigures(d.Scenario, d.Result, reg.Labels())
	return in, figs, nil
}

// metricsOf lists the metrics of in's records, or of its sweep's summaries.
func metricsOf(in plots.Input) []string {
	var ms []string
	seen := map[string]bool{}
	add := func(m string) {
		if !seen[m] {
			seen[m] = true
			ms = append(ms, m)
		}
	}
	for _, r := range in.Records {
		add(r.Metric)
	}
	for _, p := range in.Sweep {
		for _, s := range p.Summary {
			add(s.Metric)
		}
	}
	return ms
}

// parseFigure parses KIND:METRIC[,METRIC...].
func parseFigure(s string, metrics []string) (scenarios.Figure, error) {
	kind, list, ok := strings.Cut(s, ":")
	if !ok || list == "" {
		return scenarios.Figure{}, fmt.Errorf("--figure %q: want KIND:METRIC[,METRIC...], e.g. curves:%s", s, strings.Join(metrics[:min(2, len(metrics))], ","))
	}
	if !contains(plots.Kinds(), kind) {
		return scenarios.Figure{}, fmt.Errorf("--figure %q: unknown kind %q (want one of %s)", s, kind, strings.Join(plots.Kinds(), ", "))
	}
	fig := scenarios.Figure{Kind: kind}
	for _, m := range strings.Split(list, ",") {
		m = strings.TrimSpace(m)
		if !contains(metrics, m) {
			return scenarios.Figure{}, fmt.Errorf("--figure %q: the results have no metric %q (they have %s)", s, m, strings.Join(metrics, ", "))
		}
		fig.Metrics = append(fig.Metrics, m)
	}
	if lo, hi := scenarios.FigureArity(kind); len(fig.Metrics) < lo || hi > 0 && len(fig.Metrics) > hi {
		want := fmt.Sprintf("%d to %d", lo, hi)
		switch {
		case hi == 0:
			want = fmt.Sprintf("at least %d", lo)
		case lo == hi:
			want = fmt.Sprint(lo)
		}
		return scenarios.Figure{}, fmt.Errorf("--figure %q: a %s figure draws %s metric(s), got %d (give one --figure per metric)", s, kind, want, len(fig.Metrics))
	}
	return fig, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
