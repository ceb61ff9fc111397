package sim_test

import (
	"testing"
	"time"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/worlds"
)

// BenchmarkScenario runs each built-in scenario end to end with its default
// settings and every CPU (what `natmo run NAME` does, less writing the
// results folder). It reports the scenario's training steps per second.
func BenchmarkScenario(b *testing.B) {
	for _, name := range scenarios.BuiltinNames() {
		b.Run(name, func(b *testing.B) {
			sc, err := scenarios.Open(name, nil, worlds.Default().Schema())
			if err != nil {
				b.Fatal(err)
			}
			steps := 0
			b.ReportAllocs()
			for b.Loop() {
				steps = 0
				res, err := sim.Run(b.Context(), sc, sim.Options{Progress: func(done, total int) { steps = total }})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Failed) > 0 {
					b.Fatal(res.Failed[0].Error())
				}
			}
			b.ReportMetric(float64(steps)*float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// BenchmarkSweepMarginalPoint measures what one more point costs a sweep of
// emergent-misalignment over the insecure arm's fine-tuning steps (4 seeds):
// each iteration runs the sweep at one point and at 8 (300, 301, …, 307),
// and reports the CPU seconds of each and the marginal point's share of a
// single point's. Only the insecure arm's last stage depends on the swept
// value, so the other stages are trained once per seed for all points.
func BenchmarkSweepMarginalPoint(b *testing.B) {
	const key = "arms.insecure.0.narrow-finetune.steps"
	plan := func(values ...string) *sim.Sweep {
		sw, err := sim.PlanSweep(worlds.Default().Schema(), "emergent-misalignment", []string{"seeds=4"},
			[]scenarios.SweepAxis{{Set: key, Values: values}})
		if err != nil {
			b.Fatal(err)
		}
		return sw
	}
	one, eight := plan("300"), plan("300", "301", "302", "303", "304", "305", "306", "307")
	var cpu1, cpu8 time.Duration
	for b.Loop() {
		for _, c := range []struct {
			sw  *sim.Sweep
			cpu *time.Duration
		}{{one, &cpu1}, {eight, &cpu8}} {
			t0 := processCPU()
			if _, err := sim.RunSweep(b.Context(), c.sw, b.TempDir(), sim.SweepOptions{}); err != nil {
				b.Fatal(err)
			}
			*c.cpu += processCPU() - t0
		}
	}
	if cpu1 > 0 {
		n := float64(b.N)
		b.ReportMetric(cpu1.Seconds()/n, "cpu-s/1-point")
		b.ReportMetric(cpu8.Seconds()/n, "cpu-s/8-points")
		b.ReportMetric((cpu8-cpu1).Seconds()/7/cpu1.Seconds(), "marginal/1-point")
	}
}
