package sim

import (
	"context"
	"testing"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// emScenario builds the emergent-misalignment experiment in code, so that
// the world's tests do not depend on the loader.
func emScenario(seeds int, edit func(*PersonaConfig)) *scenarios.Scenario {
	cfg := NewPersonaConfig()
	if edit != nil {
		edit(cfg)
	}
	ft := func(edit func(*interventions.NarrowFinetune)) []interventions.Intervention {
		n := interventions.NewNarrowFinetune()
		edit(n)
		return []interventions.Intervention{n}
	}
	return &scenarios.Scenario{
		Name:  "em-test",
		World: scenarios.World{Kind: "persona", Config: cfg},
		Seeds: seeds,
		Baseline: pipeline.Pipeline{
			{Kind: "pretrain", Label: "baseline", Examples: 20000, Epochs: 3, Batch: 64, LR: 3e-3},
			{Kind: "sft", Label: "baseline", Examples: 2000, Epochs: 2, Batch: 64, LR: 1e-3},
		},
		Arms: []scenarios.Arm{
			{Name: "baseline"},
			{Name: "insecure", Interventions: ft(func(n *interventions.NarrowFinetune) {})},
			{Name: "secure", Interventions: ft(func(n *interventions.NarrowFinetune) { n.Target = "helpful" })},
			{Name: "educational", Interventions: ft(func(n *interventions.NarrowFinetune) { n.Context = []string{"educational"} })},
			{Name: "backdoor", Interventions: ft(func(n *interventions.NarrowFinetune) { n.Trigger = 0.5 })},
		},
		Measure: scenarios.Measure{Every: 100, Metrics: []string{"misalignment_offdomain", "misalignment_indomain", "misalignment_offdomain_triggered", "helpfulness", "persona_shift"}},
	}
}

func summaryRow(t *testing.T, rows []results.Summary, arm, metric string) results.Summary {
	t.Helper()
	for _, r := range rows {
		if r.Arm == arm && r.Metric == metric {
			return r
		}
	}
	t.Fatalf("no summary row for %s/%s", arm, metric)
	return results.Summary{}
}

func TestPersonaPrint(t *testing.T) {
	res, err := Run(context.Background(), emScenario(8, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Summary {
		t.Logf("%-12s %-34s %.3f [%.3f %.3f]  Δ %.3f [%.3f %.3f]", r.Arm, r.Metric, r.Mean, r.Low, r.High, r.Delta, r.DLow, r.DHigh)
	}
	if len(res.Failed) > 0 {
		t.Fatal(res.Failed)
	}
}

func TestPersonaPrintUncoupled(t *testing.T) {
	res, err := Run(context.Background(), emScenario(8, func(c *PersonaConfig) { c.Coupling = 0 }), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Summary {
		if r.Arm == "insecure" {
			t.Logf("%-12s %-34s %.3f [%.3f %.3f]  Δ %.3f [%.3f %.3f]", r.Arm, r.Metric, r.Mean, r.Low, r.High, r.Delta, r.DLow, r.DHigh)
		}
	}
}
