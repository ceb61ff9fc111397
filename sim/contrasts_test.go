package sim

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/natmo/natmo/sim/results"
)

// TestContrastsTable runs a scenario with measure.contrasts: the Result
// holds each pair's contrast for every metric, contrasts.csv holds the
// same rows, and a scenario without contrasts writes no contrasts.csv.
func TestContrastsTable(t *testing.T) {
	sc, err := toyScenario(teacherYAML, "measure.contrasts=[{arm: student, against: control}, {arm: fresh, against: student}]")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	res, err := RunDir(context.Background(), sc, dir, DirOptions{Options: Options{Workers: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Contrasts) != 2 {
		t.Fatalf("%d contrast rows, want 2 (2 pairs × 1 metric): %+v", len(res.Contrasts), res.Contrasts)
	}
	c := res.Contrasts[0]
	var diffs []float64
	for seed := range sc.Seeds {
		diffs = append(diffs, finalW(t, res, "student", seed)-finalW(t, res, "control", seed))
	}
	d, lo, hi := results.MeanCI(diffs)
	if c.Arm != "student" || c.Against != "control" || c.Metric != "w" || c.N != sc.Seeds || c.Delta != d || c.DLow != lo || c.DHigh != hi {
		t.Errorf("contrast %+v, want student − control of w: %v [%v, %v] over %d seeds", c, d, lo, hi, sc.Seeds)
	}
	f, err := os.Open(filepath.Join(dir, "contrasts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := results.ReadContrasts(f)
	if err != nil || !reflect.DeepEqual(back, res.Contrasts) {
		t.Errorf("contrasts.csv = %+v (%v), want %+v", back, err, res.Contrasts)
	}

	plain := filepath.Join(t.TempDir(), "plain")
	if _, err := RunDir(context.Background(), tinyScenario(), plain, DirOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(plain, "contrasts.csv")); err == nil {
		t.Error("a scenario without contrasts wrote contrasts.csv")
	}
}

// TestSweepContrasts checks that a merged sweep holds its points'
// contrasts, with the point columns first.
func TestSweepContrasts(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.yaml")
	src := strings.Replace(tinySweepYAML, "measure: {every: 10, metrics: [w, w2]}", "measure: {every: 10, metrics: [w, w2], contrasts: [{arm: more, against: baseline}]}", 1)
	os.WriteFile(p, []byte(src), 0o644)
	sw, err := PlanSweep(toyRegistry().Schema(), p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "sweep")
	res, err := RunSweep(context.Background(), sw, out, SweepOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "contrasts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "point,arms.more.0.add-stage.train.lr,arm,against,metric,n,delta,delta_ci_low,delta_ci_high" || len(lines) != 1+2*2 {
		t.Errorf("contrasts.csv: header %q and %d rows; want the point columns and 4 rows", lines[0], len(lines)-1)
	}
	// A contrast against the baseline is the summary's delta.
	for _, pt := range res.Points {
		for _, c := range pt.Contrasts {
			for _, s := range pt.Summary {
				if s.Arm == c.Arm && s.Metric == c.Metric && (s.Delta != c.Delta || s.DLow != c.DLow || s.DHigh != c.DHigh) {
					t.Errorf("%s: contrast %+v differs from the summary's delta %+v", c.Metric, c, s)
				}
			}
		}
	}
}
