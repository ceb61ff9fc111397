package sim

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// keepYAML is a toy scenario whose seed 1 fails in three arms: hot (lr 2)
// and hotter (lr 3) diverge, and student cannot learn from hot. baseline
// and calm finish in every seed.
const keepYAML = `name: tiny-keep
world: {kind: toy, fail: true, fail_seed: 1}
seeds: 4
baseline:
  - train: {steps: 200, lr: 0.01}
arms:
  hot: [{add-stage: {train: {steps: 50, lr: 2}}}]
  calm: [{add-stage: {train: {steps: 50, lr: 0.1}}}]
  student: [{distill: {teacher: hot, examples: 10, steps: 40, lr: 0.1}}]
  hotter: [{add-stage: {train: {steps: 30, lr: 3}}}]
measure: {every: 10, metrics: [w, w2], contrasts: [{arm: hot, against: calm}]}
`

var keepFailed = []string{"hot", "hotter", "student"} // seed 1's arms that fail

func keepScenario(t *testing.T, overrides ...string) *scenarios.Scenario {
	t.Helper()
	sc, err := toyScenario(keepYAML, overrides...)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// metricsBytes is metrics.csv of the records that keep accepts.
func metricsBytes(t *testing.T, recs []results.Record, keep func(results.Record) bool) []byte {
	t.Helper()
	var kept []results.Record
	for _, r := range recs {
		if keep(r) {
			kept = append(kept, r)
		}
	}
	var b bytes.Buffer
	if err := results.WriteMetrics(&b, kept); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestKeepGoingKeepsHealthyArms: with KeepGoing a seed that fails in some
// arms keeps its other arms' records, the same bits as a run where nothing
// fails; n per arm counts them; deltas and contrasts pair by seed over the
// seeds both arms have. Without KeepGoing the run stops at the first
// failure and keeps nothing of the seed, as before.
func TestKeepGoingKeepsHealthyArms(t *testing.T) {
	sc := keepScenario(t)
	res, err := Run(context.Background(), sc, Options{Workers: 2, KeepGoing: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 1 {
		t.Fatalf("%d failures, want 1 (seed 1): %v", len(res.Failed), res.Failed)
	}
	f := res.Failed[0]
	var de *pipeline.DivergedError
	if f.Seed != 1 || !slices.Equal(f.Arms, keepFailed) || !strings.HasPrefix(f.Stage, "train.2") || !errors.As(&f, &de) {
		t.Errorf("failure %v: want seed 1, arms %v, stage train.2, a DivergedError", &f, keepFailed)
	}
	for _, want := range []string{"; and arms [hotter], stage train.2", "; and arms [student], stage distill", "arm hot, which this stage learns from, did not finish"} {
		if !strings.Contains(f.Error(), want) {
			t.Errorf("failure %q does not say %q", f.Error(), want)
		}
	}
	failedRun := func(r results.Record) bool { return r.Seed == 1 && slices.Contains(keepFailed, r.Arm) }
	for _, r := range res.Records {
		if failedRun(r) {
			t.Fatalf("a record of a failed run: %+v", r)
		}
	}
	for _, s := range res.Summary {
		want := 4
		if slices.Contains(keepFailed, s.Arm) {
			want = 3
		}
		if s.N != want {
			t.Errorf("%s/%s: n %d, want %d", s.Arm, s.Metric, s.N, want)
		}
	}
	if len(res.Summary) != 5*2 {
		t.Errorf("%d summary rows, want 10", len(res.Summary))
	}

	// The records that remain are those of a run where nothing fails.
	clean, err := Run(context.Background(), keepScenario(t, "world.fail=false"), Options{Workers: 1})
	if err != nil || len(clean.Failed) > 0 {
		t.Fatalf("the run without failures: %v, %v", err, clean.Failed)
	}
	all := func(results.Record) bool { return true }
	if got, want := metricsBytes(t, res.Records, all), metricsBytes(t, clean.Records, func(r results.Record) bool { return !failedRun(r) }); !bytes.Equal(got, want) {
		t.Error("the kept records differ from the same runs' records where nothing failed")
	}
	if !bytes.Contains(metricsBytes(t, res.Records, func(r results.Record) bool { return r.Seed == 1 }), []byte("calm,1,train.2,50,w,")) {
		t.Error("seed 1 of calm is not kept")
	}

	// Deltas and contrasts pair each seed with the same seed of the other arm.
	final := map[string]map[int]float64{}
	for _, r := range res.Records {
		if r.Metric == "w" && (r.Step == 50 || r.Arm == "baseline" && r.Step == 200) {
			if final[r.Arm] == nil {
				final[r.Arm] = map[int]float64{}
			}
			final[r.Arm][r.Seed] = r.Value
		}
	}
	var dBase, dCalm []float64
	for _, s := range []int{0, 2, 3} {
		dBase = append(dBase, final["hot"][s]-final["baseline"][s])
		dCalm = append(dCalm, final["hot"][s]-final["calm"][s])
	}
	d, lo, hi := results.MeanCI(dBase)
	for _, s := range res.Summary {
		if s.Arm == "hot" && s.Metric == "w" && (s.Delta != d || s.DLow != lo || s.DHigh != hi) {
			t.Errorf("hot's Δw = %v [%v, %v], want %v [%v, %v] over seeds 0, 2, 3", s.Delta, s.DLow, s.DHigh, d, lo, hi)
		}
	}
	d, lo, hi = results.MeanCI(dCalm)
	if c := res.Contrasts[0]; c.Metric != "w" || c.N != 3 || c.Delta != d || c.DLow != lo || c.DHigh != hi {
		t.Errorf("contrast %+v, want hot − calm over seeds 0, 2, 3: n 3, %v [%v, %v]", c, d, lo, hi)
	}

	// Without KeepGoing: the first failure stops the run, the seed keeps
	// nothing, and the failure names that stage's arms only.
	var seed1 []results.Record
	var fail1 *RunError
	_, err = Run(context.Background(), sc, Options{Workers: 1, SeedDone: func(seed int, recs []results.Record, failure *RunError) error {
		if seed == 1 {
			seed1, fail1 = recs, failure
		}
		return nil
	}})
	var fe *FailedError
	if !errors.As(err, &fe) || fe.Err.Seed != 1 || !slices.Equal(fe.Err.Arms, []string{"hot"}) || strings.Contains(fe.Error(), "and arms") {
		t.Errorf("without KeepGoing: %v; want the failure of seed 1, arms [hot]", err)
	}
	if fail1 == nil || seed1 != nil {
		t.Errorf("without KeepGoing seed 1 passed %d records and failure %v; want none and its failure", len(seed1), fail1)
	}
}

// readTables reads the named tables of a results folder.
func readTables(t *testing.T, dir string, names ...string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %v", n, err)
		}
		out[n] = b
	}
	return out
}

// TestKeepGoingSameEverywhere: a seed's kept records and its failure are the
// same bytes for any workers, after an interruption and --resume, and when
// a run without KeepGoing stopped at the failure is resumed with it.
func TestKeepGoingSameEverywhere(t *testing.T) {
	tables := []string{"metrics.csv", "summary.csv", "contrasts.csv"}
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	res, err := RunDir(context.Background(), keepScenario(t), ref, DirOptions{Options: Options{Workers: 2, KeepGoing: true}})
	if err != nil || len(res.Failed) != 1 {
		t.Fatalf("run: %v, failures %v", err, res)
	}
	want := readTables(t, ref, tables...)
	failure, _ := os.ReadFile(filepath.Join(ref, "runs", "seed-0001.failed.json"))
	if !bytes.Contains(failure, []byte(`"kept": "# natmo seed 1`)) {
		t.Errorf("seed-0001.failed.json does not keep the healthy arms' records:\n%s", failure)
	}
	same := func(what, d string) {
		t.Helper()
		got := readTables(t, d, tables...)
		for _, n := range tables {
			if !bytes.Equal(got[n], want[n]) {
				t.Errorf("%s: %s differs from the reference run's", what, n)
			}
		}
		b, _ := os.ReadFile(filepath.Join(d, "runs", "seed-0001.failed.json"))
		if !bytes.Equal(b, failure) {
			t.Errorf("%s: seed-0001.failed.json differs from the reference run's", what)
		}
	}

	one := filepath.Join(dir, "one")
	if _, err := RunDir(context.Background(), keepScenario(t), one, DirOptions{Options: Options{Workers: 1, KeepGoing: true}}); err != nil {
		t.Fatal(err)
	}
	same("one worker", one)

	part := filepath.Join(dir, "part")
	ctx, cancel := context.WithCancel(context.Background())
	_, err = RunDir(ctx, keepScenario(t), part, DirOptions{Options: Options{Workers: 1, KeepGoing: true, Progress: func(d, total int) {
		if d > total/2 {
			cancel()
		}
	}}})
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := RunDir(context.Background(), keepScenario(t), part, DirOptions{Resume: true, Options: Options{Workers: 2, KeepGoing: true}}); err != nil {
		t.Fatal(err)
	}
	same("interrupted and resumed", part)

	// A run without KeepGoing stops at seed 1 and writes its failure alone
	// (the format natmo wrote before); resumed with KeepGoing, the seed is
	// trained again to keep its healthy arms. Resumed without, it stays.
	stopped := filepath.Join(dir, "stopped")
	_, err = RunDir(context.Background(), keepScenario(t), stopped, DirOptions{Options: Options{Workers: 1}})
	if !errors.As(err, new(*FailedError)) {
		t.Fatalf("run without KeepGoing: %v, want a *FailedError", err)
	}
	b, _ := os.ReadFile(filepath.Join(stopped, "runs", "seed-0001.failed.json"))
	if len(b) == 0 || bytes.Contains(b, []byte("kept")) {
		t.Fatalf("without KeepGoing seed-0001.failed.json is %q; want the failure without kept records", b)
	}
	kept := t.TempDir()
	os.CopyFS(kept, os.DirFS(stopped))
	res, err = RunDir(context.Background(), keepScenario(t), kept, DirOptions{Resume: true, Options: Options{Workers: 2}})
	if err != nil || len(res.Failed) != 1 || slices.ContainsFunc(res.Records, func(r results.Record) bool { return r.Seed == 1 }) {
		t.Errorf("resumed without KeepGoing: %v; want seed 1 failed, with no records", err)
	}
	trained := 0
	if _, err := RunDir(context.Background(), keepScenario(t), stopped, DirOptions{Resume: true, Options: Options{Workers: 2, KeepGoing: true,
		Progress: func(_, total int) { trained = total }}}); err != nil {
		t.Fatal(err)
	}
	root, _, _ := plan(keepScenario(t))
	if want := 3 * root.totalSteps([]bool{true}); trained != want {
		t.Errorf("resume with KeepGoing trained %d steps, want %d (seeds 1, 2 and 3)", trained, want)
	}
	same("stopped without KeepGoing, resumed with it", stopped)
}

// TestKeepGoingSweep: in a sweep's shared tree, in shards merged, and
// after an interruption, every unit with a failure keeps the records and
// failure its point alone gives, and the merged tables are the same bytes.
func TestKeepGoingSweep(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keep.yaml")
	os.WriteFile(p, []byte(keepYAML), 0o644)
	axes := []scenarios.SweepAxis{{Set: "arms.calm.0.add-stage.train.lr", Values: []string{"0.1", "0.3"}}}
	plan := func() *Sweep {
		sw, err := PlanSweep(toyRegistry().Schema(), p, nil, axes)
		if err != nil {
			t.Fatal(err)
		}
		return sw
	}
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole")
	res, err := RunSweep(context.Background(), plan(), whole, SweepOptions{Workers: 2, KeepGoing: true})
	if err != nil {
		t.Fatal(err)
	}
	sameAsAlone(t, plan(), whole)
	alone, err := Run(context.Background(), keepScenario(t), Options{Workers: 2, KeepGoing: true})
	if err != nil {
		t.Fatal(err)
	}
	if pt := res.Points[0]; !reflect.DeepEqual(pt.Records, alone.Records) || !reflect.DeepEqual(pt.Summary, alone.Summary) || len(pt.Failed) != 1 || pt.Failed[0].Error() != alone.Failed[0].Error() {
		t.Errorf("point 0 of the sweep (calm lr 0.1) differs from the scenario run alone")
	}
	for _, pt := range res.Points {
		for _, s := range pt.Summary {
			if want := map[bool]int{true: 3, false: 4}[slices.Contains(keepFailed, s.Arm)]; s.N != want {
				t.Errorf("%s/%s: n %d, want %d", s.Arm, s.Metric, s.N, want)
			}
		}
	}

	var shards []string
	for i := range 3 {
		d := filepath.Join(dir, "shard", string(rune('0'+i)))
		if _, err := RunSweep(context.Background(), plan(), d, SweepOptions{Workers: 1, Shard: Shard{i, 3}, KeepGoing: true}); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
		shards = append(shards, d)
	}
	merged := filepath.Join(dir, "merged")
	if _, err := MergeSweeps(shards, merged); err != nil {
		t.Fatal(err)
	}
	sameTables(t, whole, merged)

	part := filepath.Join(dir, "part")
	ctx, cancel := context.WithCancel(context.Background())
	_, err = RunSweep(ctx, plan(), part, SweepOptions{Workers: 1, KeepGoing: true, Progress: func(d, total int) {
		if d > total/2 {
			cancel()
		}
	}})
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("interrupted sweep: %v", err)
	}
	if _, err := RunSweep(context.Background(), plan(), part, SweepOptions{Workers: 2, KeepGoing: true, Resume: true}); err != nil {
		t.Fatal(err)
	}
	sameTables(t, whole, part)

	// Without KeepGoing the sweep stops at the failure.
	if _, err := RunSweep(context.Background(), plan(), filepath.Join(dir, "stop"), SweepOptions{Workers: 1}); !errors.As(err, new(*FailedError)) {
		t.Errorf("sweep without KeepGoing: %v, want a *FailedError", err)
	}
}

// TestFailureFileKeeps: a failure record keeps the finished arms' records
// as a checksummed seed file, perhaps of no row; one without them (the
// format before, or a run without KeepGoing) is read as a failure that
// kept nothing; damaged kept records, or kept records of a failed arm,
// are refused.
func TestFailureFileKeeps(t *testing.T) {
	id := identity{ID: "0123456789ab", Arms: []string{"baseline", "x"}, Metrics: []string{"m"}}
	rec := results.Record{Arm: "baseline", Seed: 2, Stage: "sft", Step: 1, Metric: "m", Value: 0.5}
	fail := &RunError{Seed: 2, Arms: []string{"x"}, Stage: "rl", Err: errors.New("diverged")}
	write := func(recs []results.Record, keepGoing bool) []byte {
		d := t.TempDir()
		if err := writeSeed(d, id, 2, recs, fail, keepGoing); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(d, "seed-0002.failed.json"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name      string
		recs      []results.Record
		keepGoing bool
	}{{"kept", []results.Record{rec}, true}, {"none kept", nil, true}, {"stopped", nil, false}} {
		f, kept, stopped, err := parseFailure(write(c.recs, c.keepGoing), 2, id)
		if err != nil || f.Error() != fail.Error() || !slices.Equal(kept, c.recs) || stopped == c.keepGoing {
			t.Errorf("%s: %v, %v, kept %v, stopped %v", c.name, err, f, kept, stopped)
		}
	}
	legacy := []byte(`{"scenario":"0123456789ab","seed":2,"arms":["x"],"stage":"rl","error":"diverged"}`)
	if f, kept, stopped, err := parseFailure(legacy, 2, id); err != nil || kept != nil || !stopped || f.Arms[0] != "x" {
		t.Errorf("a failure record of the format before: %v, %v, kept %v, stopped %v", err, f, kept, stopped)
	}
	good := write([]results.Record{rec}, true)
	failedArm := rec
	failedArm.Arm = "x"
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"edited", bytes.Replace(good, []byte("0.5"), []byte("0.6"), 1), "its kept records: a damaged file"},
		{"a failed arm kept", write([]results.Record{failedArm}, true), `hold arm "x", which it says failed`},
	} {
		if _, _, _, err := parseFailure(c.b, 2, id); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error saying %q", c.name, err, c.want)
		}
	}
}
