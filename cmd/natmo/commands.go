package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/natmo/natmo/plots"
	"github.com/natmo/natmo/plots/report"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
	"github.com/natmo/natmo/sim/worlds"
	"github.com/urfave/cli/v2"
)

// loadScenario opens a built-in scenario or a file with the --set overrides
// (and --seeds, as the override seeds=N) of c.
func loadScenario(c *cli.Context) (*scenarios.Scenario, error) {
	if c.NArg() != 1 {
		return nil, badInput(fmt.Errorf("%s needs one SCENARIO (a built-in name or a .yaml file), got %d arguments; built in: %s",
			c.Command.Name, c.NArg(), strings.Join(scenarios.BuiltinNames(), ", ")))
	}
	sets := c.StringSlice("set")
	if c.IsSet("seeds") {
		sets = append([]string{"seeds=" + strconv.Itoa(c.Int("seeds"))}, sets...)
	}
	sc, err := scenarios.Open(c.Args().First(), sets, worlds.Default().Schema())
	if err != nil {
		return nil, badInput(err)
	}
	for _, n := range sc.Notes {
		fmt.Fprintf(c.App.ErrWriter, "natmo: note: %s\n", n)
	}
	return sc, nil
}

// seedsFlag and setFlag are made afresh for each command: a cli flag holds
// state once parsed.
func seedsFlag() cli.Flag {
	return &cli.IntFlag{Name: "seeds", Usage: "number of seeds", DefaultText: "the scenario's"}
}

func setFlag() cli.Flag {
	return &cli.StringSliceFlag{
		Name:  "set",
		Usage: "override a scenario value by its path, `PATH=VALUE`: world.coupling=0, seeds=4, arms.insecure.0.narrow-finetune.examples=300 (repeatable)",
	}
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:         "run",
		Usage:        "run a scenario: train every seed × arm, write tables and figures, print the summary",
		ArgsUsage:    "SCENARIO|FILE",
		BashComplete: completeScenario,
		Description: `Runs a built-in scenario (see natmo list) or a scenario file. Every seed trains
the baseline pipeline once and forks it per arm; metrics are probed during
training. Results go to a new folder (default results/NAME):
   manifest.json   what ran: the resolved scenario, overrides, versions
   metrics.csv     every probe: arm,seed,stage,step,metric,value
   summary.csv     last probe per arm and metric: mean and 95% bootstrap CI over
                   seeds, and the paired difference from baseline with its CI
   contrasts.csv   if the scenario declares measure.contrasts: the paired
                   difference of one arm from another, per metric, with its CI
   figures/        each figure as SVG, PNG and PDF, with the CSV it was drawn from

Examples:
   natmo run emergent-misalignment
   natmo run emergent-misalignment --set world.coupling=0 --out results/uncoupled
   natmo run my-scenario.yaml --seeds 16 --workers 2`,
		Flags: []cli.Flag{
			seedsFlag(),
			&cli.IntFlag{Name: "workers", Value: defaultWorkers(), Usage: "seeds trained at once (results do not depend on it)", DefaultText: "the number of CPUs"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "results `DIR`", DefaultText: "results/NAME"},
			setFlag(),
			&cli.BoolFlag{Name: "force", Usage: "replace an existing results folder"},
			&cli.BoolFlag{Name: "resume", Usage: "finish an interrupted run in --out, training only the seeds it lacks"},
			&cli.BoolFlag{Name: "keep-going", Usage: "when a seed fails (e.g. diverges), let the other seeds, and the seed's arms that did not fail, finish"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no progress bar"},
			&cli.StringFlag{Name: "format", Value: "svg,png,pdf", Usage: "figure `FORMATS`, comma-separated"},
			reportFlag(),
		},
		Action: func(c *cli.Context) error {
			sc, err := loadScenario(c)
			if err != nil {
				return err
			}
			if c.Int("workers") < 1 {
				return badInput(fmt.Errorf("--workers must be ≥ 1, got %d", c.Int("workers")))
			}
			out, err := outFolder(c, filepath.Join("results", sc.Name))
			if err != nil {
				return err
			}
			formats, err := parseFormats(c.String("format"))
			if err != nil {
				return badInput(err)
			}
			started := time.Now()
			bar := newProgress(c.App.ErrWriter, !c.Bool("quiet"))
			res, err := sim.RunDir(c.Context, sc, out, sim.DirOptions{
				Options: sim.Options{Workers: c.Int("workers"), Progress: bar.update, KeepGoing: c.Bool("keep-going")},
				Force:   c.Bool("force"), Resume: c.Bool("resume"), Command: os.Args,
				Finish: func(ctx context.Context, res *sim.Result) error {
					bar.done()
					if len(res.Records) == 0 {
						return nil
					}
					return drawFigures(ctx, filepath.Join(out, "figures"), sc, res, formats)
				},
			})
			bar.done()
			if err != nil {
				return runError(err, out, "run")
			}
			if len(res.Summary) > 0 {
				printSummary(c.App.Writer, sc, res)
				warnFewSeeds(c.App.ErrWriter, res.Summary)
			}
			if c.Bool("report") && len(res.Records) > 0 {
				if err := writeReport(c.App.Writer, out); err != nil {
					return failureError{err}
				}
			}
			fmt.Fprintf(c.App.Writer, "\nResults in %s (%.1f s)\n", out, time.Since(started).Seconds())
			if len(res.Failed) > 0 {
				for _, f := range res.Failed {
					fmt.Fprintf(c.App.ErrWriter, "failed: %v\n", &f)
				}
				kept := ""
				if c.Bool("keep-going") {
					kept = ", the other arms of those seeds are kept"
				}
				return failureError{fmt.Errorf("%d of %d seeds failed; the runs of the arms named above are left out of the results%s (see manifest.json)", len(res.Failed), sc.Seeds, kept)}
			}
			return nil
		},
	}
}

// runError classifies an error of a run or sweep for its exit code: a
// folder that cannot be used is bad input (2); an interruption says how to
// resume; anything else is a failed run (1).
func runError(err error, out, what string) error {
	var de *sim.DirError
	var me *sim.MemoryError
	switch {
	case errors.As(err, &de), errors.As(err, &me):
		return badInput(err)
	case errors.Is(err, sim.ErrIncomplete):
		return failureError{fmt.Errorf("interrupted: what finished is in %s/runs; to finish the %s:\n  %s",
			out, what, sim.ResumeCommand(append([]string{"natmo"}, os.Args[1:]...)))}
	}
	return failureError{err}
}

func defaultWorkers() int { return runtime.NumCPU() }

// outFolder returns --out, or def when it is not given. A value that
// looks like a flag (--out -- or --out --force) is refused: it is a flag
// whose value was forgotten, never a folder the user meant.
func outFolder(c *cli.Context, def string) (string, error) {
	out := c.String("out")
	if !c.IsSet("out") {
		return def, nil
	}
	if strings.TrimSpace(out) == "" || strings.HasPrefix(out, "-") {
		return "", badInput(fmt.Errorf("--out %q is not a folder name (a flag's value is missing?); give --out DIR", out))
	}
	return out, nil
}

// checkOut refuses an existing, non-empty folder unless force is set.
func checkOut(dir string, force bool) error { return results.CheckTarget(dir, force) }

func parseFormats(s string) ([]string, error) {
	var fs []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		switch f {
		case "svg", "png", "pdf":
			fs = append(fs, f)
		case "":
		default:
			return nil, fmt.Errorf("--format: unknown figure format %q (want svg, png or pdf)", f)
		}
	}
	return fs, nil
}

func drawFigures(ctx context.Context, dir string, sc *scenarios.Scenario, res *sim.Result, formats []string) error {
	in, figs := report.RunFigures(sc, res, worlds.Default().Labels())
	return renderAllContext(ctx, dir, in, figs, formats)
}

func renderAll(dir string, in plots.Input, figs []scenarios.Figure, formats []string) error {
	return renderAllContext(context.Background(), dir, in, figs, formats)
}

// renderAllContext draws figs into dir; once ctx is done it stops between
// files and returns ctx's error.
func renderAllContext(ctx context.Context, dir string, in plots.Input, figs []scenarios.Figure, formats []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if in.Intervals == nil {
		in.Intervals = results.NewIntervals() // every interval bootstrapped once for all figures
	}
	// Figures are independent files: draw them at once, report the first error.
	errs := make([]error, len(figs))
	var wg sync.WaitGroup
	for i, f := range figs {
		wg.Go(func() {
			if _, err := plots.RenderContext(ctx, f, in, dir, formats); err != nil {
				errs[i] = fmt.Errorf("figure %s: %w", plots.Name(f), err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func listCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list the built-in scenarios, worlds, interventions and metrics",
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			w := c.App.Writer
			reg := worlds.Default()
			schema := reg.Schema()
			fmt.Fprintln(w, "Scenarios (natmo run NAME):")
			for _, n := range scenarios.BuiltinNames() {
				title := ""
				if sc, err := scenarios.Open(n, nil, schema); err == nil {
					title = sc.Title
				}
				fmt.Fprintf(w, "  %-24s %s\n", n, title)
			}
			fmt.Fprintln(w, "\nWorlds (world: {kind: ...}), their stage kinds and metrics:")
			for _, n := range reg.Names() {
				k, _ := reg.Lookup(n)
				fmt.Fprintf(w, "  %-24s %s\n", n, k.Doc)
				fmt.Fprintln(w, "    stages:")
				for _, st := range k.Stages {
					fmt.Fprintf(w, "      %-34s %s\n", st.Name, st.Doc)
				}
				fmt.Fprintln(w, "    metrics:")
				for _, g := range groupMetrics(k.Metrics) {
					fmt.Fprintf(w, "      %-34s %s\n", g.Name, g.Doc)
				}
			}
			fmt.Fprintln(w, "\nInterventions (arms: {NAME: [{intervention: {...}}]}):")
			ivs := schema.Interventions()
			for _, n := range ivs.Names() {
				e, _ := ivs.Lookup(n)
				fmt.Fprintf(w, "  %-24s %s\n", n, e.Doc)
			}
			printLimits(w)
			fmt.Fprintln(w, "\nEvery setting of a world, stage kind or intervention, with its default and range:\n  natmo explain NAME")
			return nil
		},
	}
}

// printLimits lists the bounds a scenario's sizes and counts must keep.
func printLimits(w io.Writer) {
	fmt.Fprintln(w, "\nLimits (beyond them a scenario is refused at load time; a world's own sizes are bounded by its settings):")
	for _, l := range []struct {
		what string
		max  int
	}{
		{"seeds", scenarios.MaxSeeds},
		{"examples of a stage", scenarios.MaxExamples},
		{"steps of a stage (or epochs × examples / batch)", scenarios.MaxSteps},
		{"epochs of a stage", scenarios.MaxEpochs},
		{"batch", scenarios.MaxBatch},
		{"measure.every, a stage's every", scenarios.MaxEvery},
		{"arms, baseline included", scenarios.MaxArms},
		{"figures", scenarios.MaxFigures},
		{"points of a sweep", scenarios.MaxSweep},
		{"bytes of a name (scenario, arm, figure)", scenarios.MaxNameLen},
		{"bytes of a title or caption", scenarios.MaxTitleLen},
	} {
		fmt.Fprintf(w, "  %-50s %d\n", l.what, l.max)
	}
	fmt.Fprintln(w, "  Before a run starts natmo estimates its memory (workers × (models + largest dataset + evaluation sets))\n"+
		"  and refuses a run that would not fit in this machine's, naming the setting to lower.")
}

// groupMetrics folds runs of numbered metrics that differ only in their
// number (a readout's hack_assoc_work0, hack_assoc_work1, ...) into one line,
// hack_assoc_work{0..7}, and runs of metrics per domain or per monitor
// (refusal@code, refusal@medical, ...; recall@cot, ...) into refusal@X,
// so that the list stays readable.
func groupMetrics(ms []sim.Metric) []sim.Metric {
	split := func(name string) (string, string) {
		i := len(name)
		for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
			i--
		}
		return name[:i], name[i:]
	}
	var out []sim.Metric
	for i := 0; i < len(ms); {
		// Metrics per domain or monitor, stem@x, fold into stem@X.
		if stem, dom, ok := strings.Cut(ms[i].Name, "@"); ok {
			doc := strings.Replace(ms[i].Doc, " "+dom+" ", " X ", 1)
			doms := []string{dom}
			j := i + 1
			for ; j < len(ms); j++ {
				st, d, ok := strings.Cut(ms[j].Name, "@")
				if !ok || st != stem || strings.Replace(ms[j].Doc, " "+d+" ", " X ", 1) != doc {
					break
				}
				doms = append(doms, d)
			}
			out = append(out, sim.Metric{Name: stem + "@X", Doc: fmt.Sprintf("%s; X one of %s", doc, strings.Join(doms, ", "))})
			i = j
			continue
		}
		stem, first := split(ms[i].Name)
		doc := strings.Replace(ms[i].Doc, " "+first+" ", " N ", 1)
		j := i + 1
		for first != "" && j < len(ms) {
			st, num := split(ms[j].Name)
			if st != stem || num == "" || strings.Replace(ms[j].Doc, " "+num+" ", " N ", 1) != doc {
				break
			}
			j++
		}
		if j-i < 3 {
			out = append(out, ms[i])
			i++
			continue
		}
		_, last := split(ms[j-1].Name)
		out = append(out, sim.Metric{Name: fmt.Sprintf("%s{%s..%s}", stem, first, last), Doc: doc})
		i = j
	}
	return out
}

func showCommand() *cli.Command {
	return &cli.Command{
		Name:         "show",
		Usage:        "print a scenario as YAML to copy and edit: what it does (about:), its settings and comments",
		ArgsUsage:    "SCENARIO|FILE",
		BashComplete: completeScenario,
		Description: `Writes the scenario to stdout as a valid scenario file: the built-in's own text,
comments kept (with --set or --seeds, the scenario as resolved, without them),
headed by a comment that says how to use it. Its about: text says what the
scenario does and what to look at. A line on stderr names its world and arms.

   natmo show emergent-misalignment > my.yaml   # then edit my.yaml
   natmo validate my.yaml && natmo run my.yaml`,
		Flags: []cli.Flag{setFlag(), seedsFlag()},
		Action: func(c *cli.Context) error {
			sc, err := loadScenario(c)
			if err != nil {
				return err
			}
			text := sc.Resolved
			if len(sc.Overrides) == 0 {
				if src, err := scenarioSource(sc.File); err == nil {
					text = src
				}
			}
			w := c.App.Writer
			fmt.Fprintf(w, "# %s — %s\n", sc.Name, sc.Title)
			fmt.Fprintf(w, "#\n# Written by natmo show %s%s. Save it, edit it, check it and run it:\n",
				c.Args().First(), overrideNote(sc.Overrides))
			fmt.Fprintf(w, "#   natmo show %s%s > my.yaml && natmo validate my.yaml && natmo run my.yaml\n", c.Args().First(), overrideNote(sc.Overrides))
			fmt.Fprintf(w, "# about: says what it does and what to look at; natmo list names the worlds,\n# interventions and metrics.\n\n")
			w.Write(text)
			if ds := sc.Defaults(); len(ds) > 0 {
				fmt.Fprintf(w, "\n# Defaults: the settings this file leaves out, with the values natmo uses. Set one\n")
				fmt.Fprintf(w, "# with --set PATH=VALUE or write it in; natmo explain NAME says what each does.\n")
				for _, d := range ds {
					fmt.Fprintf(w, "#   %s\n", d)
				}
			}
			fmt.Fprintf(c.App.ErrWriter, "%s: world %s, %d seeds, arms %s (the YAML is on stdout)\n",
				sc.File, sc.World.Kind, sc.Seeds, strings.Join(sc.ArmNames(), ", "))
			return nil
		},
	}
}

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:         "validate",
		Usage:        "check a scenario file (and overrides) without running it",
		ArgsUsage:    "FILE",
		BashComplete: completeScenario,
		Flags:        []cli.Flag{setFlag(), seedsFlag()},
		Action: func(c *cli.Context) error {
			sc, err := loadScenario(c)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "%s: ok — world %s, %d seeds, arms %s, metrics %s\n",
				sc.File, sc.World.Kind, sc.Seeds, strings.Join(sc.ArmNames(), ", "), strings.Join(sc.Measure.Metrics, ", "))
			return nil
		},
	}
}

// scenarioSource returns the text of the file or built-in a scenario came
// from (Scenario.File: a path or builtin:NAME).
func scenarioSource(file string) ([]byte, error) {
	if name, ok := strings.CutPrefix(file, "builtin:"); ok {
		if b, ok := scenarios.Builtin(name); ok {
			return b, nil
		}
		return nil, fmt.Errorf("no built-in %s", name)
	}
	return os.ReadFile(file)
}

// overrideNote is " --set A --set B" for overrides.
func overrideNote(sets []string) string {
	var b strings.Builder
	for _, s := range sets {
		b.WriteString(" --set " + s)
	}
	return b.String()
}
