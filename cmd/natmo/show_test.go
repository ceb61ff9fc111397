package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
)

// small shrinks a built-in for a quick run: the same overrides are given to
// both runs compared, so they still compare the scenario as written.
var small = map[string][]string{
	"cot-monitor-pressure": {"--set", "baseline.0.sft.epochs=4", "--set", "baseline.1.rl.steps=200", "--set", "measure.every=50"},
}

// TestShowIsTheScenario checks, for every built-in, that natmo show writes a
// scenario file: it validates, keeps the built-in's comments, and runs to
// the same summary.csv bytes as the built-in itself (on 2 seeds and, for
// the slow ones, shorter stages, to be quick: the same for both).
func TestShowIsTheScenario(t *testing.T) {
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
			if !strings.HasSuffix(out, string(src)) {
				t.Errorf("show does not end with the built-in's text, comments and all")
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
