package persona

import (
	"math"
	"slices"
	"testing"

	"github.com/natmo/natmo/sim"
)

// TestEvalCacheIsExact checks that cached evaluation passes are the passes
// a model computes from scratch: after a clone, after any change to one
// parameter (even a zero's sign), and that a clone's cache is its own.
func TestEvalCacheIsExact(t *testing.T) {
	w := newPersona(*NewConfig(), sim.Streams{Seed: 5})
	m, err := w.NewModel(sim.Streams{Seed: 5}.Rand("init"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"misalignment_offdomain", "misalignment_indomain", "misalignment_offdomain_triggered", "harmful_compliance", "helpfulness", "persona_shift", "obedience_shift"}
	measure := func(m sim.Model) []float64 {
		t.Helper()
		out := make([]float64, len(names))
		if err := w.Measure(m, names, out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// fresh measures a copy of m's parameters with nothing cached.
	fresh := func(m *personaModel) []float64 {
		c := m.Clone().(*personaModel)
		c.cache = evalCache{}
		return measure(c)
	}
	same := func(what string, got, want []float64) {
		t.Helper()
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Errorf("%s: %s = %v, computed from scratch %v", what, names[i], got[i], want[i])
			}
		}
	}
	pm := m.(*personaModel)
	first := measure(pm)
	same("cached", measure(pm), first)

	c := pm.Clone().(*personaModel)
	same("clone", measure(c), first)

	// A change to one parameter must empty the cache: a model that kept its
	// passes would still report first.
	c.mlp.Params[0] += 0.5
	changed := measure(c)
	same("after a change", changed, fresh(c))
	if slices.Equal(changed, first) {
		t.Fatalf("a changed first-layer weight left every metric as it was: %v", changed)
	}
	same("parent after its clone changed", measure(pm), first)

	// The sign of a zero is a change too (the cache compares bits).
	i := slices.Index(c.mlp.Params, 0)
	if i < 0 {
		i = len(c.mlp.Params) - 1
		c.mlp.Params[i] = 0
		measure(c)
	}
	c.mlp.Params[i] = math.Copysign(0, -1)
	c.cache.sync(c.mlp.Params, w.cfg.Domains)
	if slices.ContainsFunc(c.cache.done[evalOrdinary], func(b bool) bool { return b }) {
		t.Errorf("the cache kept its passes after parameter %d went from +0 to −0", i)
	}
}

// TestFootprintMatchesTheWorld checks that the memory estimate's sizes are
// the world's: the model's parameters, a prompt's width and what a model's
// evaluation cache holds once every set has been measured, for the world
// with each of its options that widen the network.
func TestFootprintMatchesTheWorld(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"default", func(*Config) {}},
		{"em mechanisms", emMechanisms},
		{"hacking", func(c *Config) { c.Hacking = true }},
		{"aux", func(c *Config) { c.Aux = 4; c.Layers = 1 }},
	} {
		cfg := NewConfig()
		tc.edit(cfg)
		cfg.EvalExamples = 20
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		fp := cfg.Footprint()
		w := newPersona(*cfg, sim.Streams{Seed: 1})
		m, err := w.NewModel(sim.Streams{Seed: 1}.Rand("init"))
		if err != nil {
			t.Fatal(err)
		}
		pm := m.(*personaModel)
		if got := len(pm.mlp.Params); got != fp.Params {
			t.Errorf("%s: the model has %d parameters, the footprint says %d", tc.name, got, fp.Params)
		}
		if fp.ExampleFloats != w.in+3 {
			t.Errorf("%s: a prompt has %d features, the footprint counts %d floats an example", tc.name, w.in, fp.ExampleFloats)
		}
		out := make([]float64, 2)
		if err := w.Measure(m, []string{"misalignment_offdomain_triggered", "persona_shift"}, out); err != nil {
			t.Fatal(err)
		}
		ev := w.evals(pm)
		for k := range numEvalKinds {
			for d := range w.cfg.Domains {
				ev.pass(k, d)
			}
		}
		held := len(pm.cache.pers.p.Data) + len(pm.cache.pers.z.Data) + len(pm.cache.pers.h.Data)
		for k := range pm.cache.sets {
			for _, e := range pm.cache.sets[k] {
				held += len(e.p.Data) + len(e.z.Data) + len(e.h.Data)
			}
		}
		if held != fp.ModelFloats {
			t.Errorf("%s: a model's evaluation cache holds %d floats, the footprint counts %d", tc.name, held, fp.ModelFloats)
		}
	}
}
