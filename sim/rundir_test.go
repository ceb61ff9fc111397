package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
	"strings"
)

const tinyYAML = `name: tiny
world: {kind: toy}
seeds: 4
baseline:
  - train: {steps: 400, lr: 0.01}
  - train: {steps: 200, lr: 0.05}
arms:
  longer: [{modify: {stage: train.2, set: {steps: 300}}}]
  extra: [{add-stage: {train: {steps: 100, lr: 0.1}}}]
  without: [{knockout: {stage: train}}]
measure: {every: 10, metrics: [w, w2]}
`

func tinyScenario() *scenarios.Scenario {
	sc, err := toyScenario(tinyYAML)
	if err != nil {
		panic(err)
	}
	sc.Resolved = []byte("tiny")
	return sc
}

// TestRunDirResume interrupts a run part-way and resumes it: the result is
// byte for byte the uninterrupted run's, and the interrupted folder says it
// is incomplete.
func TestRunDirResume(t *testing.T) {
	dir := t.TempDir()
	full, part := filepath.Join(dir, "full"), filepath.Join(dir, "part")
	if _, err := RunDir(context.Background(), tinyScenario(), full, DirOptions{Options: Options{Workers: 2}}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	finished := 0
	opt := DirOptions{Options: Options{Workers: 1, Progress: func(done, total int) {
		if done > total/2 {
			cancel()
		}
	}}}
	_, err := RunDir(ctx, tinyScenario(), part, opt)
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("interrupted run: err = %v, want ErrIncomplete", err)
	}
	var m Manifest
	b, _ := os.ReadFile(filepath.Join(part, "manifest.json"))
	if json.Unmarshal(b, &m) != nil || m.Complete {
		t.Fatalf("interrupted folder's manifest: complete = %v, want false", m.Complete)
	}
	if _, err := os.Stat(filepath.Join(part, "metrics.csv")); err == nil {
		t.Fatal("an interrupted run wrote metrics.csv")
	}
	runs, _ := filepath.Glob(filepath.Join(part, "runs", "seed-*.csv"))
	finished = len(runs)
	if finished == 0 || finished == 4 {
		t.Fatalf("%d of 4 seeds finished before the interruption; want some but not all", finished)
	}
	// A file a killed process left half-written is a hidden temporary: ignored.
	os.WriteFile(filepath.Join(part, "runs", ".seed-0003.csv.tmp-1"), []byte("arm,se"), 0o644)

	trained := 0
	opt = DirOptions{Resume: true, Options: Options{Workers: 2}}
	opt.Progress = func(done, total int) { trained = total }
	if _, err := RunDir(context.Background(), tinyScenario(), part, opt); err != nil {
		t.Fatal(err)
	}
	root, _, _ := plan(tinyScenario())
	if want := (4 - finished) * root.totalSteps([]bool{true}); trained != want {
		t.Errorf("resume trained %d steps, want %d (only the %d missing seeds)", trained, want, 4-finished)
	}
	for _, f := range []string{"metrics.csv", "summary.csv"} {
		x, _ := os.ReadFile(filepath.Join(full, f))
		y, _ := os.ReadFile(filepath.Join(part, f))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s: resumed run differs from the uninterrupted one", f)
		}
	}

	// A different scenario is refused rather than mixed in.
	other := tinyScenario()
	other.Resolved = []byte("tiny, changed")
	var de *DirError
	if _, err := RunDir(context.Background(), other, part, DirOptions{Resume: true}); !errors.As(err, &de) {
		t.Errorf("resume with a changed scenario: err = %v, want a *DirError", err)
	}
	// And an existing folder is not overwritten without Force.
	if _, err := RunDir(context.Background(), tinyScenario(), full, DirOptions{}); !errors.As(err, &de) {
		t.Errorf("rerun into a finished folder: err = %v, want a *DirError", err)
	}
}

// TestResumeCommandQuoted: the printed resume command is safe to paste:
// nothing in an argument runs in the shell, and --force is dropped.
func TestResumeCommandQuoted(t *testing.T) {
	got := ResumeCommand([]string{"natmo", "run", "x.yaml", "--set", "title=`touch pwned`", "--out", "it's $HOME", "--force", "--set", "a.b=1"})
	want := `natmo run x.yaml --set 'title=` + "`touch pwned`" + `' --out 'it'\''s $HOME' --set a.b=1 --resume`
	if got != want {
		t.Errorf("ResumeCommand:\n got %s\nwant %s", got, want)
	}
	for _, s := range []string{"", "a\nb", "!", "#x", "~", "a\\b", "*", "x;y", "\t"} {
		if q := ShellQuote(s); q == s {
			t.Errorf("ShellQuote(%q) left it bare", s)
		}
	}
}

// TestSeedFileChecks: a seed file is read only when it is whole and this
// scenario's: the right scenario and seed, its checksum, arms and metrics
// of the scenario, finite values.
func TestSeedFileChecks(t *testing.T) {
	id := identity{ID: "0123456789ab", Arms: []string{"baseline", "x"}, Metrics: []string{"m"}}
	rec := results.Record{Arm: "x", Seed: 2, Stage: "sft", Step: 1, Metric: "m", Value: 0.5}
	file := func(id identity, seed int, r results.Record) []byte {
		b, err := seedFileBytes(id, seed, []results.Record{r})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := file(id, 2, rec)
	if recs, err := parseSeedFile(good, 2, id); err != nil || len(recs) != 1 || recs[0] != rec {
		t.Fatalf("a whole file: %v, %v", recs, err)
	}
	other := id
	other.ID = "ba9876543210"
	withArm, withMetric, withSeed := rec, rec, rec
	withArm.Arm, withMetric.Metric, withSeed.Seed = "y", "n", 3
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"another scenario", file(other, 2, rec), "another scenario"},
		{"another seed", file(id, 3, rec), "holds seed 3"},
		{"cut", good[:len(good)-2], "a damaged file"},
		{"edited", bytes.Replace(good, []byte("0.5"), []byte("0.6"), 1), "a damaged file"},
		{"an arm not the scenario's", file(id, 2, withArm), `arm "y"`},
		{"a metric not the scenario's", file(id, 2, withMetric), `metric "n"`},
		{"a row of another seed", file(id, 2, withSeed), "seed 3 in the file of seed 2"},
		{"no first line", []byte("arm,seed,stage,step,metric,value\n"), "not a natmo seed file"},
	} {
		if _, err := parseSeedFile(c.b, 2, id); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error saying %q", c.name, err, c.want)
		}
	}
}
