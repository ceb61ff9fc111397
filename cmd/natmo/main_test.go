package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/worlds"
)

// natmo runs the CLI in-process and returns its exit code and output.
func natmo(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"natmo"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunWorkersByteIdentical(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "w1"), filepath.Join(dir, "w4")
	if code, _, e := natmo(t, "run", "testdata/tiny.yaml", "--workers", "1", "--out", a, "--format", "svg"); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	code, out, e := natmo(t, "run", "testdata/tiny.yaml", "--out", b, "--workers", "4", "--format", "svg")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	if !strings.Contains(out, "insecure") || !strings.Contains(out, "Results in "+b) {
		t.Errorf("summary output lacks the arms or the folder:\n%s", out)
	}
	for _, f := range []string{"metrics.csv", "summary.csv", "figures/tiny-bars-misalignment_offdomain.svg"} {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", f, err1, err2)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between 1 and 4 workers", f)
		}
	}

	// The folder is never overwritten without --force.
	if code, _, e := natmo(t, "run", "testdata/tiny.yaml", "--out", a); code != 2 || !strings.Contains(e, "--force") {
		t.Errorf("rerun into an existing folder: exit %d, %q; want 2 and a hint to use --force", code, e)
	}

	// natmo plot redraws the same SVGs from the tables alone.
	re := filepath.Join(dir, "replot")
	if code, _, e := natmo(t, "plot", a, "--out", re, "--format", "svg"); code != 0 {
		t.Fatalf("plot: exit %d: %s", code, e)
	}
	svgs, _ := filepath.Glob(filepath.Join(a, "figures", "*.svg"))
	if len(svgs) != 2 {
		t.Fatalf("%d SVGs, want 2", len(svgs))
	}
	for _, s := range svgs {
		x, _ := os.ReadFile(s)
		y, err := os.ReadFile(filepath.Join(re, filepath.Base(s)))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s: redrawn SVG differs (%v)", filepath.Base(s), err)
		}
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: x\nworld: {kind: persona, colupling: 0}\n"), 0o644)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"validate", bad}, 2, `bad.yaml:2:24: unknown key "colupling"`},
		{[]string{"validate", bad}, 2, `did you mean "coupling"`},
		{[]string{"run", "emergent-misalignmen"}, 2, `did you mean "emergent-misalignment"`},
		{[]string{"run", "emergent-misalignment", "--set", "world.couplin=0"}, 2, `--set world.couplin=0`},
		{[]string{"run", "emergent-misalignment", "--seeds", "0"}, 2, "seeds"},
		{[]string{"run", "emergent-misalignment", "--workers", "0"}, 2, "--workers"},
		{[]string{"run", "emergent-misalignment", "--bogus"}, 2, "bogus"},
		{[]string{"run"}, 2, "SCENARIO"},
		{[]string{"validate", "testdata/tiny.yaml"}, 0, ""},
		{[]string{"plot", dir}, 2, "not a results folder"},
		{[]string{"run", "testdata/tiny.yaml", "--set", "baseline.0.pretrain.lr=1e6", "--out", filepath.Join(dir, "div"), "-q"}, 1, "diverged at step"},
	}
	for _, c := range cases {
		code, _, e := natmo(t, c.args...)
		if code != c.code || !strings.Contains(e, c.want) {
			t.Errorf("natmo %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, e, c.code, c.want)
		}
	}
}

func TestListAndShow(t *testing.T) {
	code, out, _ := natmo(t, "list")
	for _, want := range []string{"emergent-misalignment", "persona", "narrow-finetune", "misalignment_offdomain"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("natmo list: exit %d, lacks %q", code, want)
		}
	}
	code, out, _ = natmo(t, "show", "emergent-misalignment", "--set", "world.coupling=0")
	if code != 0 || !strings.Contains(out, "What to look at") || !strings.Contains(out, "coupling: 0") {
		t.Errorf("natmo show: exit %d; want the about text and the override in the resolved scenario:\n%s", code, out)
	}
}

// TestBuiltinsLoad opens every built-in scenario with the real worlds and
// interventions, and checks that it teaches something (an about text).
func TestBuiltinsLoad(t *testing.T) {
	for _, name := range scenarios.BuiltinNames() {
		sc, err := scenarios.Open(name, nil, worlds.Default().Schema())
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(sc.About) < 200 || len(sc.Arms) < 2 || sc.Seeds < 8 {
			t.Errorf("%s: about %d chars, %d arms, %d seeds; want a teaching text, arms and ≥ 8 seeds", name, len(sc.About), len(sc.Arms), sc.Seeds)
		}
	}
}
