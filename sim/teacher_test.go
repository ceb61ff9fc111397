package sim

import (
	"context"
	"strings"
	"testing"

	"github.com/natmo/natmo/sim/results"
)

const teacherYAML = `name: tiny-distill
world: {kind: toy}
seeds: 3
baseline:
  - train: {steps: 100, lr: 0.05}
arms:
  hot:
    - modify: {stage: train, set: {lr: 0.2}}
    - add-stage: {train: {steps: 50, lr: 0.2}}
  student:
    - distill: {teacher: hot, student: shared, examples: 10, steps: 40, lr: 0.1}
  fresh:
    - distill: {teacher: hot, student: fresh, examples: 10, steps: 40, lr: 0.1}
  control:
    - distill: {teacher: baseline, examples: 10, steps: 40, lr: 0.1}
  grand:
    - distill: {teacher: student, examples: 10, steps: 40, lr: 0.1}
measure: {every: 10, metrics: [w]}
`

func finalW(t *testing.T, res *Result, arm string, seed int) float64 {
	t.Helper()
	v, ok := 0.0, false
	for _, r := range res.Records {
		if r.Arm == arm && r.Seed == seed {
			v, ok = r.Value, true
		}
	}
	if !ok {
		t.Fatalf("no records of %s, seed %d", arm, seed)
	}
	return v
}

// TestTeachers runs arms that learn from other arms: each student ends
// near its teacher's final model of the same seed, a student of a student
// runs after both, a fresh student's pipeline starts from another
// initialisation, and the result is the same for any number of workers.
func TestTeachers(t *testing.T) {
	sc, err := toyScenario(teacherYAML)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), sc, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for seed := range 3 {
		hot, base := finalW(t, res, "hot", seed), finalW(t, res, "baseline", seed)
		for _, c := range []struct {
			arm     string
			teacher float64
		}{{"student", hot}, {"fresh", hot}, {"control", base}, {"grand", finalW(t, res, "student", seed)}} {
			// 40 steps at lr 0.1 close all but 0.9^40 ≈ 1.5% of the gap.
			if got := finalW(t, res, c.arm, seed); got != got || abs(got-c.teacher) > 0.05*(1+abs(c.teacher)) {
				t.Errorf("seed %d: %s ends at %.4f, its teacher at %.4f", seed, c.arm, got, c.teacher)
			}
		}
	}
	first := func(arm string) results.Record {
		for _, r := range res.Records {
			if r.Arm == arm {
				return r
			}
		}
		return results.Record{}
	}
	if s, f := first("student"), first("fresh"); s.Value == f.Value {
		t.Error("the fresh student starts from the same initialisation as the shared one")
	}
	if s, b := first("student"), first("baseline"); s.Value != b.Value {
		t.Error("the shared student does not start from the baseline's initialisation")
	}
	again, err := Run(context.Background(), sc, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Records {
		if res.Records[i] != again.Records[i] {
			t.Fatalf("record %d differs between 1 and 3 workers: %+v vs %+v", i, res.Records[i], again.Records[i])
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestTeacherErrors: a teacher that is no arm, an arm teaching itself and a
// cycle of teachers are errors at the line of the distill.
func TestTeacherErrors(t *testing.T) {
	for _, c := range []struct{ old, new, want string }{
		{"teacher: hot, student: shared", "teacher: hott, student: shared", `toy.yaml:11:17: bad value for teacher in arms.student.0.distill: no arm is called "hott"`},
		{"teacher: hot, student: shared", "teacher: student, student: shared", "arm student cannot teach itself"},
		{"teacher: baseline, examples", "teacher: grand, examples", "toy.yaml:17:"},
		{"teacher: baseline, examples", "teacher: grand, examples", "cycle (control → grand"},
	} {
		src := strings.Replace(teacherYAML, c.old, c.new, 1)
		if c.want == "cycle (control → grand" || c.want == "toy.yaml:17:" {
			src = strings.Replace(src, "{teacher: student, examples", "{teacher: control, examples", 1)
		}
		_, err := toyScenario(src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.new, err, c.want)
		}
	}
}
