package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/natmo/natmo/plots/report"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
	"golang.org/x/term"
)

// printSummary prints the summary table: per metric, each arm's final mean
// with its 95% interval and its paired difference from baseline.
func printSummary(w io.Writer, sc *scenarios.Scenario, res *sim.Result) {
	fmt.Fprintf(w, "%s — %s\n", sc.Name, sc.Title)
	fmt.Fprintf(w, "final probe, mean over seeds [95%% bootstrap CI]; Δ = paired difference from %s\n", scenarios.BaselineArm)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	shown := res.Metrics
	if len(shown) > maxPrinted {
		shown = shown[:maxPrinted]
	}
	for _, m := range shown {
		fmt.Fprintf(tw, "\n%s\tn\tmean [95%% CI]\tΔ vs baseline [95%% CI]\t\n", m)
		for _, s := range res.Summary {
			if s.Metric != m {
				continue
			}
			delta := "—"
			if s.Unpaired {
				delta = "— (no seed shared with baseline)"
			} else if s.Arm != scenarios.BaselineArm {
				delta = fmt.Sprintf("%s [%s, %s]", report.Signed(s.Delta), report.Signed(s.DLow), report.Signed(s.DHigh))
				if s.Paired > 0 && s.Paired != s.N {
					delta += fmt.Sprintf(" (%d paired seeds)", s.Paired)
				}
			}
			fmt.Fprintf(tw, "  %s\t%d\t%s [%s, %s]\t%s\t\n", s.Arm, s.N, report.Fixed(s.Mean), report.Fixed(s.Low), report.Fixed(s.High), delta)
		}
	}
	tw.Flush()
	printContrasts(w, res.Contrasts, shown)
	if more := len(res.Metrics) - len(shown); more > 0 {
		fmt.Fprintf(w, "\n(%d more metrics in summary.csv: %s)\n", more, strings.Join(res.Metrics[len(shown):], ", "))
	}
}

// printContrasts prints the scenario's paired contrasts of the metrics
// shown: per metric, each pair's mean difference with its interval.
func printContrasts(w io.Writer, cs []results.Contrast, shown []string) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(w, "\ncontrasts: Δ = arm − against, paired by seed [95%% bootstrap CI] (all metrics in contrasts.csv)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range shown {
		fmt.Fprintf(tw, "\n%s\tn\tΔ [95%% CI]\t\n", m)
		for _, c := range cs {
			if c.Metric == m {
				fmt.Fprintf(tw, "  %s − %s\t%d\t%+.3f [%+.3f, %+.3f]\t\n", c.Arm, c.Against, c.N, c.Delta, c.DLow, c.DHigh)
			}
		}
	}
	tw.Flush()
}

// maxPrinted is how many metrics the summary prints; the rest (readouts,
// usually) are in summary.csv.
const maxPrinted = 6

// progress draws a one-line progress bar on a terminal and nothing otherwise.
type progress struct {
	w       io.Writer
	on      bool
	start   time.Time
	last    time.Time
	started bool
}

func newProgress(w io.Writer, want bool) *progress {
	on := false
	if f, ok := w.(interface{ Fd() uintptr }); ok && want {
		on = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, on: on, start: time.Now()}
}

func (p *progress) update(done, total int) {
	if !p.on || total == 0 {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && done < total {
		return
	}
	p.last, p.started = now, true
	const width = 30
	frac := float64(done) / float64(total)
	n := int(frac * width)
	eta := ""
	if el := now.Sub(p.start); frac > 0.02 {
		eta = fmt.Sprintf(" eta %s", (time.Duration(float64(el)/frac) - el).Round(100*time.Millisecond))
	}
	fmt.Fprintf(p.w, "\r  [%s%s] %3.0f%% %d/%d steps%s   ", strings.Repeat("=", n), strings.Repeat(" ", width-n), 100*frac, done, total, eta)
}

func (p *progress) done() {
	if p.on && p.started {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
