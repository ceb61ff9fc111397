package persona

import (
	"testing"

	"github.com/natmo/natmo/sim"
)

// BenchmarkProbe measures one probe of the emergent-misalignment world
// (the built-in's world and metrics, 19 evaluation sets of 200 prompts):
// "changed" after a parameter changed, as during training, so every set
// is run through the policy; "unchanged" at the same parameters, as when
// the lag's track point, early stopping or a fork's first probe has just
// run them.
func BenchmarkProbe(b *testing.B) {
	cfg := NewConfig()
	emMechanisms(cfg)
	w := newPersona(*cfg, sim.Streams{Seed: 1})
	m, err := w.NewModel(sim.Streams{Seed: 1}.Rand("init"))
	if err != nil {
		b.Fatal(err)
	}
	pm := m.(*personaModel)
	names := []string{"misalignment_offdomain", "harmful_compliance", "misalignment_indomain", "misalignment_offdomain_triggered",
		"helpfulness", "persona_shift", "refusal", "obedience_shift"}
	out := make([]float64, len(names))
	for _, changed := range []bool{true, false} {
		name := "unchanged"
		if changed {
			name = "changed"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if changed {
					pm.mlp.Params[0] += 1e-9
				}
				if err := w.Measure(m, names, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
