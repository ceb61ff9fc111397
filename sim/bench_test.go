package sim_test

import (
	"testing"

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
