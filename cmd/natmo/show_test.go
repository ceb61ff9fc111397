package main

import (
	"bytes"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/worlds"
)

// small shrinks a built-in for a quick run: the same overrides are given to
// both runs compared, so they still compare the scenario as written.
var small = map[string][]string{
	"cot-monitor-pressure": {"--set", "baseline.0.sft.epochs=4", "--set", "baseline.1.rl.steps=200", "--set", "measure.every=50"},
	"cot-monitorability":   {"--set", "baseline.0.sft.epochs=4", "--set", "baseline.1.rl.steps=200", "--set", "measure.every=50"},
	"reward-model-overoptimisation": {"--set", "world.eval_candidates=256", "--set", "baseline.0.rm.epochs=10", "--set", "baseline.1.bon.n=64",
		"--set", "arms.rl.1.add-stage.rl.steps=30", "--set", "arms.rl-kl.1.add-stage.rl.steps=30", "--set", "arms.gold-rl.2.add-stage.rl.steps=30"},
}

// TestShowIsTheScenario checks, for every built-in, that natmo show writes a
// scenario file: it validates, keeps the built-in's comments, and runs to
// the same summary.csv bytes as the built-in itself (on 2 seeds and, for
// the slow ones, shorter stages, to be quick: the same for both).
func TestShowIsTheScenario(t *testing.T) {
	if raceEnabled {
		t.Skip("whole runs of every built-in: in the plain go test, not under the race detector (other tests run the CLI under it)")
	}
	for _, name := range scenarios.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			code, out, errs := natmo(t, "show", name)
			if code != 0 {
				t.Fatalf("show: exit %d: %s", code, errs)
			}
			if !strings.Contains(errs, "world ") || strings.Contains(out, "Resolved scenario") {
				t.Errorf("show: want YAML on stdout and a note on stderr; stderr %q", errs)
			}
			src, _ := scenarios.Builtin(name)
			if !strings.Contains(out, string(src)) || !strings.Contains(out, "# Defaults:") {
				t.Errorf("show does not hold the built-in's text, comments and all, and its defaults")
			}
			file := filepath.Join(dir, "f.yaml")
			if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, _, errs := natmo(t, "validate", file); code != 0 {
				t.Fatalf("validate of show's output: exit %d: %s", code, errs)
			}
			a, b := filepath.Join(dir, "builtin"), filepath.Join(dir, "file")
			for _, run := range [][]string{{name, a}, {file, b}} {
				args := append([]string{"run", run[0], "--seeds", "2", "--out", run[1], "--format", "svg", "-q"}, small[name]...)
				if code, _, errs := natmo(t, args...); code != 0 {
					t.Fatalf("run %s: exit %d: %s", run[0], code, errs)
				}
			}
			checkLabels(t, a)
			x, err1 := os.ReadFile(filepath.Join(a, "summary.csv"))
			y, err2 := os.ReadFile(filepath.Join(b, "summary.csv"))
			if err1 != nil || err2 != nil || !bytes.Equal(x, y) || len(x) == 0 {
				t.Errorf("summary.csv of show's file differs from the built-in's (%v, %v)", err1, err2)
			}
		})
	}
	// With overrides, show writes the resolved scenario, which validates too.
	code, out, _ := natmo(t, "show", "emergent-misalignment", "--set", "world.coupling=0")
	file := filepath.Join(t.TempDir(), "g.yaml")
	os.WriteFile(file, []byte(out), 0o644)
	if c, _, errs := natmo(t, "validate", file); code != 0 || c != 0 || !strings.Contains(out, "coupling: 0") {
		t.Errorf("show --set: exit %d, validate exit %d: %s", code, c, errs)
	}
}

// svgText matches the text of an SVG text element.
var svgText = regexp.MustCompile(`<text[^>]*>([^<]*)</text>`)

// checkLabels checks that no text in the figures of a results folder (axis
// labels, ticks, legends, captions) is a bare metric id: figures name
// metrics for people.
func checkLabels(t *testing.T, dir string) {
	t.Helper()
	ids := map[string]bool{}
	reg := worlds.Default()
	for _, n := range reg.Names() {
		k, _ := reg.Lookup(n)
		for _, m := range k.Metrics {
			ids[m.Name] = true
		}
	}
	svgs, _ := filepath.Glob(filepath.Join(dir, "figures", "*.svg"))
	if len(svgs) == 0 {
		t.Fatalf("no figures in %s", dir)
	}
	texts := 0
	for _, f := range svgs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range svgText.FindAllStringSubmatch(string(b), -1) {
			texts++
			if s := strings.TrimSpace(html.UnescapeString(m[1])); ids[s] {
				t.Errorf("%s: a text of the figure is the raw metric id %q", filepath.Base(f), s)
			}
		}
	}
	if texts < 10*len(svgs) {
		t.Errorf("%d texts in %d figures: the check read nothing", texts, len(svgs))
	}
}
