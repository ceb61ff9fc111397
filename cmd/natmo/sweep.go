package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/natmo/natmo/plots/report"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
	"github.com/natmo/natmo/sim/worlds"
	"github.com/urfave/cli/v2"
)

func sweepCommand() *cli.Command {
	return &cli.Command{
		Name:         "sweep",
		Usage:        "run a scenario over a grid of settings and draw dose-response figures",
		ArgsUsage:    "SCENARIO|FILE",
		BashComplete: completeScenario,
		Description: `Runs the scenario once per point of a grid: every combination of the --over
values (or the scenario's sweep: block). Each (point, arm, seed) is one run with
a stable id; its numbers depend only on its settings and seed. Each seed's runs
are written to OUT/runs/ as they finish, so an interrupted sweep finishes with
--resume, rerunning nothing that finished. The merged metrics.csv and summary.csv
have a point column and one column per swept setting; figures/ holds, for each
metric the scenario's figures show, a dose figure (a sweep over one numeric
setting) or a heatmap (over two).

On a cluster, give each task one shard: --shard I/N, or --shards N with I taken
from SLURM_ARRAY_TASK_ID or Kubernetes' JOB_COMPLETION_INDEX (--shard auto takes
both from Slurm). Each shard writes only its runs; natmo merge then combines the
shard folders into the same bytes an unsharded sweep writes (docs/cluster.md).

Examples:
   natmo sweep emergent-misalignment --over arms.insecure.0.narrow-finetune.examples=100,300,1000,3000 --set seeds=4
   natmo sweep emergent-misalignment --over world.coupling=0,0.25,0.5,0.75,1 --out results/coupling
   natmo sweep emergent-misalignment --over world.coupling=0,1 --shards 4 --out shard-$SLURM_ARRAY_TASK_ID`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "over", Usage: "a swept setting and its values, `KEY=V1,V2,...` (repeatable: a grid)"},
			setFlag(),
			seedsFlag(),
			&cli.IntFlag{Name: "workers", Value: defaultWorkers(), Usage: "seeds trained at once (results do not depend on it)", DefaultText: "the number of CPUs"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "sweep `DIR`", DefaultText: "results/NAME-sweep"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing folder"},
			&cli.BoolFlag{Name: "resume", Usage: "finish an interrupted sweep in --out, running only what is missing"},
			&cli.BoolFlag{Name: "keep-going", Usage: "when a run fails (e.g. diverges), let the others, and the other arms of its seed, finish"},
			&cli.StringFlag{Name: "shard", Usage: "run only slice `I/N` of the runs (0 ≤ I < N), or auto (from SLURM_ARRAY_TASK_ID/COUNT)"},
			&cli.IntFlag{Name: "shards", Usage: "run one of `N` slices, I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no progress bar"},
			&cli.StringFlag{Name: "format", Value: "svg,png,pdf", Usage: "figure `FORMATS`, comma-separated"},
			reportFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return badInput(fmt.Errorf("sweep needs one SCENARIO (a built-in name or a .yaml file), got %d arguments", c.NArg()))
			}
			sets := c.StringSlice("set")
			if c.IsSet("seeds") {
				sets = append([]string{"seeds=" + strconv.Itoa(c.Int("seeds"))}, sets...)
			}
			var axes []scenarios.SweepAxis
			for _, o := range c.StringSlice("over") {
				ax, err := parseOver(o)
				if err != nil {
					return badInput(err)
				}
				axes = append(axes, ax)
			}
			shard, err := parseShard(c.String("shard"), c.Int("shards"), os.Getenv)
			if err != nil {
				return badInput(err)
			}
			formats, err := parseFormats(c.String("format"))
			if err != nil {
				return badInput(err)
			}
			if c.Int("workers") < 1 {
				return badInput(fmt.Errorf("--workers must be ≥ 1, got %d", c.Int("workers")))
			}
			sw, err := sim.PlanSweep(worlds.Default().Schema(), c.Args().First(), sets, axes)
			if err != nil {
				return badInput(err)
			}
			out, err := outFolder(c, filepath.Join("results", sw.Scenario+"-sweep"))
			if err != nil {
				return err
			}
			started := time.Now()
			fmt.Fprintf(c.App.ErrWriter, "sweep %s: %d points × %d seeds%s\n", sw.Scenario, len(sw.Points), sw.Points[0].Seeds, shardNote(shard))
			bar := newProgress(c.App.ErrWriter, !c.Bool("quiet"))
			res, err := sim.RunSweep(c.Context, sw, out, sim.SweepOptions{
				Workers: c.Int("workers"), Progress: bar.update, Shard: shard, KeepGoing: c.Bool("keep-going"),
				Force: c.Bool("force"), Resume: c.Bool("resume"),
			})
			bar.done()
			if err != nil {
				return runError(err, out, "sweep")
			}
			if res == nil { // a shard
				fmt.Fprintf(c.App.Writer, "Shard %d/%d done in %s (%.1f s); merge the shards with: natmo merge DIR... --out DIR\n",
					shard.I, shard.N, out, time.Since(started).Seconds())
				return nil
			}
			return finishSweep(c.Context, c.App.Writer, c.App.ErrWriter, res, out, formats, c.Bool("report"))
		},
	}
}

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "combine the shard folders of a sweep into one, with its tables and figures",
		ArgsUsage: "DIR...",
		Description: `Checks that the folders hold shards of one sweep, gathers every run, reports
any missing run by its id, and writes metrics.csv, summary.csv, sweep.json and
figures/ into --out: the same tables, byte for byte, as the sweep run unsharded.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "the merged folder", Required: true},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing folder"},
			&cli.StringFlag{Name: "format", Value: "svg,png,pdf", Usage: "figure `FORMATS`, comma-separated"},
			reportFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return badInput(errors.New("merge needs the shard folders"))
			}
			formats, err := parseFormats(c.String("format"))
			if err != nil {
				return badInput(err)
			}
			out, err := outFolder(c, "")
			if err != nil {
				return err
			}
			inPlace := false
			for _, d := range c.Args().Slice() {
				if filepath.Clean(d) == filepath.Clean(out) {
					inPlace = true
				}
			}
			if !inPlace {
				if err := checkOut(out, c.Bool("force")); err != nil {
					return badInput(err)
				}
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return badInput(fmt.Errorf("merge: %w", err))
			}
			lock, err := results.LockDir(out, "")
			if err != nil {
				return badInput(err)
			}
			defer lock.Unlock()
			res, err := sim.MergeSweeps(c.Args().Slice(), out)
			if err != nil {
				return failureError{err}
			}
			return finishSweep(c.Context, c.App.Writer, c.App.ErrWriter, res, out, formats, c.Bool("report"))
		},
	}
}

// finishSweep draws the figures of a merged sweep (and, if asked, its
// report) and prints where it is. A sweep that has no figures of its own
// (over two settings, say) says so; a figure that cannot be written is a
// failure.
func finishSweep(ctx context.Context, w, ew io.Writer, res *sim.SweepResult, out string, formats []string, withReport bool) error {
	sw := res.Sweep
	in, figs, err := report.SweepFigures(res, worlds.Default().Labels())
	if err != nil {
		fmt.Fprintf(ew, "natmo: %v\n", err)
	} else if err := renderAllContext(ctx, filepath.Join(out, "figures"), in, figs, formats); err != nil {
		return failureError{fmt.Errorf("the tables are in %s, but the figures failed: %w", out, err)}
	}
	failed := 0
	for i, p := range res.Points {
		failed += len(p.Failed)
		for _, f := range p.Failed {
			fmt.Fprintf(ew, "failed: point %d (%s): %v\n", i, sw.Label(sw.Points[i]), &f)
		}
	}
	var rows []results.Summary // a failed seed leaves some points' arms fewer
	for _, p := range res.Points {
		rows = append(rows, p.Summary...)
	}
	warnFewSeeds(ew, rows)
	if withReport {
		if err := writeReport(w, out); err != nil {
			return failureError{err}
		}
	}
	fmt.Fprintf(w, "Sweep of %s over %s: %d points, %d figure(s); results in %s\n", sw.Scenario, axesNames(sw), len(sw.Points), len(figs), out)
	if failed > 0 {
		return failureError{fmt.Errorf("%d seeds failed; the runs of the arms named above are left out of the tables", failed)}
	}
	return nil
}

func axesNames(sw *sim.Sweep) string {
	var ns []string
	for _, a := range sw.Axes {
		ns = append(ns, a.Set)
	}
	return strings.Join(ns, " × ")
}

// parseOver parses KEY=V1,V2,... into a sweep axis.
func parseOver(s string) (scenarios.SweepAxis, error) {
	key, vals, ok := strings.Cut(s, "=")
	if key = strings.TrimSpace(key); !ok || key == "" || vals == "" {
		return scenarios.SweepAxis{}, fmt.Errorf("--over %q: want KEY=V1,V2,..., e.g. world.coupling=0,0.5,1", s)
	}
	ax := scenarios.SweepAxis{Set: key}
	for _, v := range strings.Split(vals, ",") {
		if v = strings.TrimSpace(v); v == "" {
			return scenarios.SweepAxis{}, fmt.Errorf("--over %q: an empty value", s)
		}
		ax.Values = append(ax.Values, v)
	}
	return ax, nil
}

// parseShard works out this task's shard from --shard I/N (or auto, from
// Slurm's array variables) or --shards N with I from Slurm or Kubernetes.
func parseShard(shard string, shards int, env func(string) string) (sim.Shard, error) {
	atoi := func(name string) (int, bool) {
		v, err := strconv.Atoi(env(name))
		return v, err == nil
	}
	slurmIndex := func() (int, bool) {
		i, ok := atoi("SLURM_ARRAY_TASK_ID")
		if min, okm := atoi("SLURM_ARRAY_TASK_MIN"); ok && okm {
			i -= min // arrays may start at 1
		}
		return i, ok
	}
	var sh sim.Shard
	switch {
	case shard != "" && shards != 0:
		return sh, errors.New("give --shard I/N or --shards N, not both")
	case shard == "auto":
		i, ok1 := slurmIndex()
		n, ok2 := atoi("SLURM_ARRAY_TASK_COUNT")
		if !ok1 || !ok2 {
			return sh, errors.New("--shard auto: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT are not set (is this a Slurm array job?)")
		}
		sh = sim.Shard{I: i, N: n}
	case shard != "":
		a, b, ok := strings.Cut(shard, "/")
		i, err1 := strconv.Atoi(a)
		n, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil {
			return sh, fmt.Errorf("--shard %q: want I/N, e.g. 0/4", shard)
		}
		sh = sim.Shard{I: i, N: n}
	case shards != 0:
		i, ok := slurmIndex()
		if !ok {
			i, ok = atoi("JOB_COMPLETION_INDEX")
		}
		if !ok {
			return sh, fmt.Errorf("--shards %d: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set; use --shard I/%d", shards, shards)
		}
		sh = sim.Shard{I: i, N: shards}
	default:
		return sim.Shard{I: 0, N: 1}, nil
	}
	if sh.N < 1 || sh.I < 0 || sh.I >= sh.N {
		return sh, fmt.Errorf("shard %d/%d: want 0 ≤ I < N", sh.I, sh.N)
	}
	return sh, nil
}

func shardNote(sh sim.Shard) string {
	if sh.N <= 1 {
		return ""
	}
	return fmt.Sprintf(", shard %d of %d (0-based)", sh.I, sh.N)
}
