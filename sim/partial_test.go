package sim

import (
	"context"
	"testing"

	"github.com/natmo/natmo/sim/results"
)

// partialConfig builds a toy world some of whose values are undefined: w2
// has no value while w > 1.5 (as a rate has none when its condition never
// occurs).
type partialConfig struct{ toyConfig }

func (c *partialConfig) NewWorld(s Streams) (World, error) {
	w, err := c.toyConfig.NewWorld(s)
	return &partialWorld{w.(*toyWorld)}, err
}

type partialWorld struct{ *toyWorld }

func (w *partialWorld) MeasurePartial(m Model, metrics []string, out []float64, ok []bool) error {
	if err := w.Measure(m, metrics, out); err != nil {
		return err
	}
	for i, name := range metrics {
		ok[i] = name != "w2" || m.(*toyModel).w <= 1.5
		if !ok[i] {
			out[i] = -1 // never recorded
		}
	}
	return nil
}

// TestPartialWorld: an undefined value has no record, and the summary takes
// each seed's value at its last probe or none.
func TestPartialWorld(t *testing.T) {
	sc := tinyScenario()
	sc.World.Config = &partialConfig{*sc.World.Config.(*toyConfig)}
	res, err := Run(context.Background(), sc, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	type probe struct {
		arm, stage string
		seed, step int
	}
	w := map[probe]float64{}
	for _, r := range res.Records {
		if r.Metric == "w" {
			w[probe{r.Arm, r.Stage, r.Seed, r.Step}] = r.Value
		}
	}
	var w2, missing int
	for _, r := range res.Records {
		if r.Metric != "w2" {
			continue
		}
		w2++
		if r.Value < 0 || w[probe{r.Arm, r.Stage, r.Seed, r.Step}] > 1.5 {
			t.Fatalf("record %+v of an undefined value", r)
		}
	}
	last := results.LastProbes(res.Records)
	defined := map[string]int{} // arm → seeds with w2 at the last probe
	for p, v := range w {
		if last[results.RunKey{Arm: p.arm, Seed: p.seed}] == (results.Probe{Stage: p.stage, Step: p.step}) && v <= 1.5 {
			defined[p.arm]++
		}
		if v > 1.5 {
			missing++
		}
	}
	if w2 == 0 || missing == 0 || w2+missing != len(w) {
		t.Fatalf("%d w2 records, %d undefined, %d probes: want both kinds, adding up", w2, missing, len(w))
	}
	for _, s := range res.Summary {
		if s.Metric == "w2" && s.N != defined[s.Arm] {
			t.Errorf("%s w2: summary over %d seeds, want the %d with a value at their last probe", s.Arm, s.N, defined[s.Arm])
		}
	}
}
