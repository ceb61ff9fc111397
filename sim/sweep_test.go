package sim

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
)

const tinySweepYAML = `name: tiny-sweep
world: {kind: toy}
seeds: 3
baseline:
  - train: {steps: 300, lr: 0.01}
arms:
  more: [{add-stage: {train: {steps: 50, lr: 0.1}}}]
measure: {every: 10, metrics: [w, w2]}
sweep: {set: arms.more.0.add-stage.train.lr, values: [0.05, 0.3]}
`

func tinySweep(t *testing.T) *Sweep {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tiny-sweep.yaml")
	os.WriteFile(p, []byte(tinySweepYAML), 0o644)
	sw, err := PlanSweep(toyRegistry().Schema(), p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

func sameTables(t *testing.T, a, b string) {
	t.Helper()
	for _, f := range []string{"metrics.csv", "summary.csv", "sweep.json"} {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil || len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s (%v, %v)", f, a, b, err1, err2)
		}
	}
}

// TestSweepShardsMerge runs a sweep whole and in three uneven shards: the
// merged tables are the same bytes, with one row per (point, arm, metric).
func TestSweepShardsMerge(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole")
	res, err := RunSweep(context.Background(), tinySweep(t), whole, SweepOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 2 {
		t.Fatalf("%d points, want 2", len(res.Points))
	}
	sum, _ := os.ReadFile(filepath.Join(whole, "summary.csv"))
	lines := strings.Split(strings.TrimSpace(string(sum)), "\n")
	if lines[0] != "point,arms.more.0.add-stage.train.lr,arm,metric,n,mean,ci_low,ci_high,delta,delta_ci_low,delta_ci_high" || len(lines) != 1+2*2*2 {
		t.Errorf("summary.csv: header %q and %d rows; want the point columns and 8 rows", lines[0], len(lines)-1)
	}
	var shards []string
	for i := range 3 {
		d := filepath.Join(dir, "shard", string(rune('0'+i)))
		if r, err := RunSweep(context.Background(), tinySweep(t), d, SweepOptions{Workers: 1, Shard: Shard{i, 3}}); err != nil || r != nil {
			t.Fatalf("shard %d: %v, %v", i, r, err)
		}
		shards = append(shards, d)
	}
	var me *MissingError
	if _, err := MergeSweeps(shards[:2], filepath.Join(dir, "partial")); !errors.As(err, &me) || len(me.Missing) != 2*2 {
		t.Errorf("merge of 2 of 3 shards: %v; want 4 missing runs (2 units × 2 arms) named by id", err)
	}
	merged := filepath.Join(dir, "merged")
	if _, err := MergeSweeps(shards, merged); err != nil {
		t.Fatal(err)
	}
	sameTables(t, whole, merged)

	// Shards of another sweep are refused.
	other := filepath.Join(dir, "other")
	sw := tinySweep(t)
	sw.Axes[0].Values = []string{"0.05", "0.31"}
	sw.Points[1].Values[0] = "0.31"
	if _, err := RunSweep(context.Background(), sw, other, SweepOptions{Shard: Shard{0, 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := MergeSweeps([]string{shards[0], other}, filepath.Join(dir, "mixed")); err == nil || !strings.Contains(err.Error(), "different sweeps") {
		t.Errorf("merging shards of different sweeps: %v", err)
	}
}

// TestSweepResume interrupts a sweep and resumes it: only the missing runs
// train, and the tables are the uninterrupted bytes. A changed sweep is
// refused rather than mixed in.
func TestSweepResume(t *testing.T) {
	dir := t.TempDir()
	whole, part := filepath.Join(dir, "whole"), filepath.Join(dir, "part")
	if _, err := RunSweep(context.Background(), tinySweep(t), whole, SweepOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err := RunSweep(ctx, tinySweep(t), part, SweepOptions{Workers: 1, Progress: func(d, total int) {
		if d > total/2 {
			cancel()
		}
	}})
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("interrupted sweep: %v, want ErrIncomplete", err)
	}
	done, _ := filepath.Glob(filepath.Join(part, "runs", "*", "seed-*.csv"))
	if len(done) == 0 || len(done) >= 6 {
		t.Fatalf("%d of 6 units finished before the interruption", len(done))
	}
	if _, err := RunSweep(context.Background(), tinySweep(t), part, SweepOptions{}); err == nil {
		t.Error("rerunning into an interrupted sweep without --resume was accepted")
	}
	total := 0
	if _, err := RunSweep(context.Background(), tinySweep(t), part, SweepOptions{Resume: true, Workers: 2,
		Progress: func(_, t int) { total = t }}); err != nil {
		t.Fatal(err)
	}
	root, _, _ := plan(tinySweep(t).Points[0].Scenario)
	if want := (6 - len(done)) * root.totalSteps(); total != want {
		t.Errorf("resume trained %d steps, want %d: only the %d missing units", total, want, 6-len(done))
	}
	sameTables(t, whole, part)
	sw := tinySweep(t)
	sw.Overrides = []string{"seeds=2"}
	var de *DirError
	if _, err := RunSweep(context.Background(), sw, part, SweepOptions{Resume: true}); !errors.As(err, &de) {
		t.Errorf("resume of a changed sweep: %v, want a *DirError", err)
	}
}

func TestPlanSweepErrors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(p, []byte(tinySweepYAML), 0o644)
	for _, c := range []struct {
		axes []scenarios.SweepAxis
		want string
	}{
		{[]scenarios.SweepAxis{{Set: "world.targte", Values: []string{"0"}}}, `did you mean "target"`},
		{[]scenarios.SweepAxis{{Set: "world.noise", Values: []string{"high"}}}, `--set world.noise=high`},
		{[]scenarios.SweepAxis{{Set: "arms.mor.0.add-stage.train.lr", Values: []string{"5"}}}, `did you mean "more"`},
	} {
		_, err := PlanSweep(toyRegistry().Schema(), p, nil, c.axes)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("PlanSweep %+v: %v; want %q", c.axes, err, c.want)
		}
	}
}
