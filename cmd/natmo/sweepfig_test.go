package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepFigures checks that a sweep draws a figure for each metric its
// scenario's figures show (tiny.yaml: misalignment_offdomain), not one per
// metric measured, in the formats asked for; that natmo plot redraws them
// from the folder; and that a figure drawing the wrong number of metrics is
// refused.
func TestSweepFigures(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		over []string
		kind string
	}{
		{"dose", []string{"--over", "arms.insecure.0.narrow-finetune.lr=0.001,0.01"}, "dose"},
		{"heatmap", []string{"--over", "arms.insecure.0.narrow-finetune.lr=0.001,0.01", "--over", "world.coupling=0,1"}, "heatmap"},
	} {
		out := filepath.Join(dir, c.name)
		args := append([]string{"sweep", "testdata/tiny.yaml", "--set", "seeds=2", "--out", out, "--format", "svg", "-q"}, c.over...)
		code, stdout, errs := natmo(t, args...)
		if code != 0 {
			t.Fatalf("%s sweep: exit %d: %s", c.name, code, errs)
		}
		if !strings.Contains(stdout, "1 figure(s)") || !strings.Contains(errs, "fewer than 5") {
			t.Errorf("%s sweep: stdout %q, stderr %q; want 1 figure and a warning about 2 seeds", c.name, stdout, errs)
		}
		files, _ := filepath.Glob(filepath.Join(out, "figures", "*"))
		want := []string{"tiny-" + c.kind + "-misalignment_offdomain.csv", "tiny-" + c.kind + "-misalignment_offdomain.svg"}
		if len(files) != 2 || filepath.Base(files[0]) != want[0] || filepath.Base(files[1]) != want[1] {
			t.Errorf("%s sweep wrote %v; want %v", c.name, files, want)
		}
		re := filepath.Join(dir, c.name+"-replot")
		if code, _, errs := natmo(t, "plot", out, "--out", re, "--format", "svg"); code != 0 {
			t.Fatalf("plot of the %s sweep: exit %d: %s", c.name, code, errs)
		}
		x, _ := os.ReadFile(filepath.Join(out, "figures", want[1]))
		y, err := os.ReadFile(filepath.Join(re, want[1]))
		if err != nil || !bytes.Equal(x, y) || len(x) == 0 {
			t.Errorf("plot of the %s sweep did not redraw the same figure (%v)", c.name, err)
		}
	}
	if code, _, errs := natmo(t, "plot", filepath.Join(dir, "dose"), "--figure", "dose:misalignment_offdomain,persona_shift"); code != 2 || !strings.Contains(errs, "a dose figure draws 1 metric(s), got 2") {
		t.Errorf("--figure dose of two metrics: exit %d: %s", code, errs)
	}
	if code, _, errs := natmo(t, "plot", filepath.Join(dir, "dose"), "--figure", "dose:persona_shift", "--out", filepath.Join(dir, "extra")); code != 0 {
		t.Errorf("--figure dose:persona_shift on a sweep: exit %d: %s", code, errs)
	}
}
