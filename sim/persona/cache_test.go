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
