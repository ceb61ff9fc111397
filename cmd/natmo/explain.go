package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/worlds"
	"github.com/urfave/cli/v2"
)

func explainCommand() *cli.Command {
	return &cli.Command{
		Name:      "explain",
		Usage:     "list every setting of a world, stage kind or intervention: type, default, range, meaning",
		ArgsUsage: "WORLD|STAGE|INTERVENTION",
		Description: `Prints the keys a scenario may write for NAME — a world kind (world: {kind: NAME}),
a stage kind (baseline: [{NAME: {...}}]) or an intervention (arms: {ARM: [{NAME: {...}}]})
— each with its type, default, the values it accepts and what it does, from the
same schema the loader checks scenarios against. A world also lists its stage
kinds and metrics.

Examples:
   natmo explain persona
   natmo explain rl
   natmo explain narrow-finetune`,
		BashComplete: func(c *cli.Context) {
			for _, n := range explainable(worlds.Default()) {
				fmt.Fprintln(c.App.Writer, n)
			}
		},
		Action: func(c *cli.Context) error {
			reg := worlds.Default()
			if c.NArg() != 1 {
				return badInput(fmt.Errorf("explain needs one name, got %d arguments; one of %s", c.NArg(), strings.Join(explainable(reg), ", ")))
			}
			return explain(c.App.Writer, reg, c.Args().First())
		},
	}
}

// explainable lists the names explain knows: world kinds, stage kinds and
// interventions.
func explainable(reg *sim.Registry) []string {
	names := reg.Names()
	for _, w := range reg.Names() {
		k, _ := reg.Lookup(w)
		for _, st := range k.Stages {
			if !slices.Contains(names, st.Name) {
				names = append(names, st.Name)
			}
		}
	}
	return append(names, reg.Interventions().Names()...)
}

// explain prints what name is and its settings.
func explain(w io.Writer, reg *sim.Registry, name string) error {
	found := false
	if k, ok := reg.Lookup(name); ok {
		found = true
		fmt.Fprintf(w, "World %s — %s\n\nSettings (world: {kind: %s, KEY: VALUE, ...}):\n", k.Name, k.Doc, k.Name)
		printSettings(w, scenarios.Settings(k.NewConfig()))
		fmt.Fprintf(w, "\nStage kinds (baseline: [{KIND: {...}}]; natmo explain KIND):\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, st := range k.Stages {
			fmt.Fprintf(tw, "  %s\t%s\n", st.Name, st.Doc)
		}
		tw.Flush()
		fmt.Fprintf(w, "\nMetrics (measure: {metrics: [...]}):\n")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, m := range groupMetrics(k.Metrics) {
			label := m.Label
			if label == "" {
				label = m.Name
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", m.Name, label, m.Doc)
		}
		tw.Flush()
	}
	// A stage kind: its settings in each world that runs it.
	type stageIn struct {
		world string
		kind  scenarios.StageKind
	}
	var stages []stageIn
	for _, wn := range reg.Names() {
		k, _ := reg.Lookup(wn)
		for _, st := range k.Stages {
			if st.Name == name {
				stages = append(stages, stageIn{wn, st})
			}
		}
	}
	for i, s := range stages {
		if found || i > 0 {
			fmt.Fprintln(w)
		}
		found = true
		fmt.Fprintf(w, "Stage kind %s in world %s — %s\n\nSettings (baseline: [{%s: {KEY: VALUE, ...}}]):\n", name, s.world, s.kind.Doc, name)
		printSettings(w, scenarios.StageSettings(s.kind))
	}
	if e, ok := reg.Interventions().Lookup(name); ok {
		if found {
			fmt.Fprintln(w)
		}
		found = true
		fmt.Fprintf(w, "Intervention %s — %s\n\nSettings (arms: {ARM: [{%s: {KEY: VALUE, ...}}]}):\n", e.Name, e.Doc, e.Name)
		printSettings(w, scenarios.Settings(e.New()))
	}
	if !found {
		names := explainable(reg)
		msg := fmt.Sprintf("explain: no world, stage kind or intervention %q; one of %s", name, strings.Join(names, ", "))
		if s := scenarios.Suggest(name, names); s != "" {
			msg = fmt.Sprintf("explain: no world, stage kind or intervention %q; did you mean %q?", name, s)
		}
		return badInput(fmt.Errorf("%s", msg))
	}
	return nil
}

// printSettings prints settings as a table.
func printSettings(w io.Writer, ss []scenarios.Setting) {
	if len(ss) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  KEY\tTYPE\tDEFAULT\tRANGE\tMEANING\n")
	for _, s := range ss {
		rng := s.Range
		if rng == "" {
			rng = "—"
		}
		def := s.Default
		if def == "" || def == `""` {
			def = "—"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Key, s.Type, def, rng, s.Doc)
	}
	tw.Flush()
}
