package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/natmo/natmo/plots"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
	"github.com/natmo/natmo/sim/worlds"
	"github.com/urfave/cli/v2"
)

func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "redraw the figures of a results folder from its tables, without rerunning",
		ArgsUsage: "DIR",
		Description: `Reads DIR/manifest.json, metrics.csv, summary.csv (and contrasts.csv) and draws the scenario's
figures again (into DIR/figures, or --out). --figure draws a figure the scenario did
not ask for: KIND:METRIC[,METRIC...], with KIND one of curves, bars, profile,
scatter, grid (see docs/figures.md).

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
			in, sc, err := readResults(dir)
			if err != nil {
				return badInput(err)
			}
			figs := figuresOf(sc, metricsOf(in))
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

// readResults reads a results folder back: its tables, and its scenario from
// the resolved copy in the manifest.
func readResults(dir string) (plots.Input, *scenarios.Scenario, error) {
	var in plots.Input
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return in, nil, fmt.Errorf("%s is not a results folder: %w", dir, err)
	}
	var m sim.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return in, nil, fmt.Errorf("%s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	sc, err := scenarios.Load(filepath.Join(dir, "manifest.json")+" (resolved_scenario)", []byte(m.Resolved), nil, worlds.Default().Schema())
	if err != nil {
		return in, nil, err
	}
	f, err := os.Open(filepath.Join(dir, "metrics.csv"))
	if err != nil {
		return in, nil, err
	}
	defer f.Close()
	recs, err := results.ReadMetrics(f)
	if err != nil {
		return in, nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	g, err := os.Open(filepath.Join(dir, "summary.csv"))
	if err != nil {
		return in, nil, err
	}
	defer g.Close()
	sum, err := results.ReadSummary(g)
	if err != nil {
		return in, nil, fmt.Errorf("%s: %w", g.Name(), err)
	}
	in = plots.Input{Scenario: m.Scenario, Title: m.Title, Arms: m.Arms, Records: recs, Summary: sum}
	if len(sc.Measure.Contrasts) > 0 {
		h, err := os.Open(filepath.Join(dir, "contrasts.csv"))
		if err != nil {
			return in, nil, err
		}
		defer h.Close()
		if in.Contrasts, err = results.ReadContrasts(h); err != nil {
			return in, nil, fmt.Errorf("%s: %w", h.Name(), err)
		}
	}
	return in, sc, nil
}

func metricsOf(in plots.Input) []string {
	var ms []string
	seen := map[string]bool{}
	for _, r := range in.Records {
		if !seen[r.Metric] {
			seen[r.Metric] = true
			ms = append(ms, r.Metric)
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
