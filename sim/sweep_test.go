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
	"github.com/natmo/natmo/sim/results"
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
	// The points share their baseline: a seed's units train on one tree, its
	// shared stages counted once.
	sw0 := tinySweep(t)
	root, _, _ := plan(sw0.Points[0].Scenario, sw0.Points[1].Scenario)
	_, _, want := unitsOf(root, []*scenarios.Scenario{sw0.Points[0].Scenario, sw0.Points[1].Scenario},
		func(p, seed int) bool { return !hasRun(part, sw0.Points[p], seed) })
	total := 0
	if _, err := RunSweep(context.Background(), tinySweep(t), part, SweepOptions{Resume: true, Workers: 2,
		Progress: func(_, t int) { total = t }}); err != nil {
		t.Fatal(err)
	}
	full := root.totalSteps([]bool{true, true})
	if one := root.totalSteps([]bool{true, false}); full >= 2*one {
		t.Errorf("a seed of both points trains %d steps, of one point %d: nothing shared", full, one)
	}
	if want == 0 || total != want {
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

// TestSweepSharesStages checks that points trained on one tree get the bits
// each would get alone: every unit's file equals the one Run of its point
// alone writes, also for a point whose swept arm diverges (its failure
// reads as Run reports it); and that the stages the points share are
// trained, and counted, once per seed.
func TestSweepSharesStages(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tiny-sweep.yaml")
	os.WriteFile(p, []byte(tinySweepYAML), 0o644)
	axes := []scenarios.SweepAxis{{Set: "arms.more.0.add-stage.train.lr", Values: []string{"0.05", "2", "0.3"}}}
	sw, err := PlanSweep(toyRegistry().Schema(), p, []string{"world.fail=true"}, axes)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "sweep")
	total := 0
	_, err = RunSweep(context.Background(), sw, dir, SweepOptions{Workers: 2, KeepGoing: true, Progress: func(_, n int) { total = n }})
	var me *MissingError
	if err != nil && !errors.As(err, &me) {
		t.Fatal(err)
	}
	if want := 3 * (300 + 3*50); total != want {
		t.Errorf("the sweep trains %d steps, want %d (the baseline once per seed, then each point's stage)", total, want)
	}
	sameAsAlone(t, sw, dir)
	for _, pt := range sw.Points {
		files, _ := os.ReadDir(filepath.Join(dir, "runs", pt.ID))
		for _, f := range files {
			if pt.Index == 1 && !strings.HasSuffix(f.Name(), ".failed.json") {
				t.Errorf("point 1 (lr 2) should diverge, wrote %s", f.Name())
			}
		}
	}
}

// TestSweepTeachers sweeps a teacher arm's setting: students learn from the
// teacher of their own point, every unit as its point alone.
func TestSweepTeachers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tiny-distill.yaml")
	os.WriteFile(p, []byte(teacherYAML), 0o644)
	axes := []scenarios.SweepAxis{{Set: "arms.hot.1.add-stage.train.lr", Values: []string{"0.2", "0.4"}}}
	sw, err := PlanSweep(toyRegistry().Schema(), p, nil, axes)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "sweep")
	if _, err := RunSweep(context.Background(), sw, dir, SweepOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	sameAsAlone(t, sw, dir)
}

// sameAsAlone checks that every unit file of the sweep in dir is the one
// Run of its point alone writes.
func sameAsAlone(t *testing.T, sw *Sweep, dir string) {
	t.Helper()
	for _, pt := range sw.Points {
		alone := t.TempDir()
		if _, err := Run(context.Background(), pt.Scenario, Options{Workers: 1, KeepGoing: true,
			SeedDone: func(seed int, recs []results.Record, failure *RunError) error {
				return writeSeed(alone, identityOf(pt.Scenario), seed, recs, failure, true)
			}}); err != nil {
			t.Fatal(err)
		}
		files, _ := os.ReadDir(alone)
		if len(files) != pt.Seeds {
			t.Fatalf("point %d alone wrote %d files for %d seeds", pt.Index, len(files), pt.Seeds)
		}
		for _, f := range files {
			x, _ := os.ReadFile(filepath.Join(alone, f.Name()))
			y, err := os.ReadFile(filepath.Join(dir, "runs", pt.ID, f.Name()))
			if err != nil || !bytes.Equal(x, y) {
				t.Errorf("point %d (%s), %s: the sweep's file differs from the point's alone (%v)\nsweep: %s\nalone: %s", pt.Index, sw.Label(pt), f.Name(), err, y, x)
			}
		}
	}
}
