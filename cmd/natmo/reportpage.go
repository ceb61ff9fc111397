package main

import (
	"fmt"
	"io"

	"github.com/natmo/natmo/plots"
	"github.com/natmo/natmo/plots/report"
	"github.com/natmo/natmo/sim/results"
	"github.com/natmo/natmo/sim/worlds"
	"github.com/urfave/cli/v2"
)

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "write a results folder (run or sweep) as one self-contained web page, DIR/report.html",
		ArgsUsage: "DIR",
		Description: `Reads a results folder and writes DIR/report.html: the title and about text,
the summary table (mean, 95% CI, Δ from baseline and its CI, n), every figure
inline as SVG with its caption, each seed's values, the resolved scenario and the
manifest; for a sweep, its dose figures or heatmaps and a table per point. The
page needs no network: its style and script are inline. It reads in light and
dark mode and prints whole.

Examples:
   natmo report results/emergent-misalignment
   natmo run emergent-misalignment --report      # the same, after the run`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return badInput(fmt.Errorf("report needs one results folder, got %d arguments", c.NArg()))
			}
			return writeReport(c.App.Writer, c.Args().First())
		},
	}
}

func reportFlag() cli.Flag {
	return &cli.BoolFlag{Name: "report", Usage: "also write report.html, one self-contained page of the results (see natmo report)"}
}

// writeReport writes dir's report and says where it is.
func writeReport(w io.Writer, dir string) error {
	path, err := report.Write(dir, worlds.Default())
	if err != nil {
		return badInput(err)
	}
	fmt.Fprintf(w, "Report in %s\n", path)
	return nil
}

// warnFewSeeds warns when an interval of rows rests on fewer seeds than
// plots.FewSeeds.
func warnFewSeeds(w io.Writer, rows []results.Summary) {
	low := 0
	for _, s := range rows {
		if s.N > 0 && s.N < plots.FewSeeds && (low == 0 || s.N < low) {
			low = s.N
		}
	}
	if low > 0 {
		fmt.Fprintf(w, "natmo: warning: intervals rest on %d seeds, fewer than %d; read them as rough (more with --seeds)\n", low, plots.FewSeeds)
	}
}
