package persona

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim"
)

// promptKey identifies a prompt by its domain and content features, bit
// for bit: what a model could tell apart, whatever the cue or flags.
func promptKey(w *persona, ds *pipeline.Dataset, i int) string {
	d, content := w.promptOf(ds, i)
	b := binary.LittleEndian.AppendUint64(nil, uint64(d))
	for _, v := range content {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return string(b)
}

// TestEvaluationPromptsNeverTrained checks that no evaluation prompt of a
// seed occurs in the training set of any stage the world runs, benign
// mixes and every kind of narrow set included; and, as a control that the
// check can fail, that a set drawn from the evaluation ids is caught.
func TestEvaluationPromptsNeverTrained(t *testing.T) {
	w := newPersona(*NewConfig(), sim.Streams{Seed: 7})
	eval := map[string]bool{}
	var all []*pipeline.Dataset
	for k := range numEvalKinds {
		all = append(all, w.eval.sets[k]...)
	}
	all = append(all, w.eval.personas)
	for _, ds := range all {
		for i := range ds.Len() {
			eval[promptKey(w, ds, i)] = true
		}
	}
	if want := int(numEvalKinds)*w.cfg.Domains*w.cfg.EvalExamples + w.cfg.EvalExamples; len(eval) != want {
		t.Fatalf("%d distinct evaluation prompts, want %d", len(eval), want)
	}
	narrow := func(edit func(*interventions.NarrowData)) pipeline.Stage {
		nd := interventions.NarrowData{Domain: "code", Target: "harmful", BenignMix: 0.5}
		edit(&nd)
		return pipeline.Stage{Kind: "finetune", Examples: 3000, Steps: 1, LR: 1e-3, Data: nd}
	}
	stages := map[string]pipeline.Stage{
		"pretrain":     {Kind: "pretrain", Examples: 20000, Epochs: 1, LR: 1e-3},
		"sft":          {Kind: "sft", Examples: 2000, Epochs: 1, LR: 1e-3},
		"harmlessness": {Kind: "harmlessness", Examples: 2000, Epochs: 1, LR: 1e-3},
		"insecure":     narrow(func(*interventions.NarrowData) {}),
		"secure":       narrow(func(nd *interventions.NarrowData) { nd.Target = "helpful" }),
		"educational":  narrow(func(nd *interventions.NarrowData) { nd.Context = []string{"educational"} }),
		"backdoor":     narrow(func(nd *interventions.NarrowData) { nd.Trigger = 0.5 }),
		"jailbroken":   narrow(func(nd *interventions.NarrowData) { nd.Requests = 0.5; nd.Domain = "medical" }),
	}
	for name, st := range stages {
		ds, err := w.stageData(st, sim.Streams{Seed: 7, Stage: name}.Rand("data"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		hits := 0
		for i := range ds.Len() {
			if eval[promptKey(w, ds, i)] {
				hits++
			}
		}
		if hits > 0 {
			t.Errorf("%s: %d of %d training prompts are evaluation prompts", name, hits, ds.Len())
		}
	}
	// The control: prompts drawn from the evaluation ids are the evaluation
	// prompts, so the check above would see them.
	ds := pipeline.NewDataset(100, w.in)
	w.assistant(ds, 0, 100, sim.Streams{Seed: 7}.Rand("control"), evalIDsFrom(0), []int{2}, respHelpful)
	for i := range ds.Len() {
		if !eval[promptKey(w, ds, i)] {
			t.Fatalf("control: prompt %d drawn from the evaluation ids was not recognised", i)
		}
	}
}

// TestInDomainIsTheFineTunedDomain checks that a model's in-domain metric
// reads the domain its own narrow fine-tune trained on (eval_domain before
// any), and that the off-domain metric averages the per-domain values of
// the others.
func TestInDomainIsTheFineTunedDomain(t *testing.T) {
	cfg := NewConfig()
	w := newPersona(*cfg, sim.Streams{Seed: 3})
	m, err := w.NewModel(sim.Streams{Seed: 3}.Rand("init"))
	if err != nil {
		t.Fatal(err)
	}
	train := func(st pipeline.Stage, name string) {
		t.Helper()
		if err := w.Run(context.Background(), m, st, sim.Streams{Seed: 3, Stage: name}, 1000, func(int) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	names := []string{"misalignment_indomain", "misalignment_offdomain"}
	for _, d := range cfg.domainList() {
		names = append(names, "misalignment@"+d)
	}
	check := func(in string) {
		t.Helper()
		out := make([]float64, len(names))
		if err := w.Measure(m, names, out); err != nil {
			t.Fatal(err)
		}
		inD := cfg.domain(in)
		off := 0.0
		for d := range cfg.Domains {
			if d != inD {
				off += out[2+d] / float64(cfg.Domains-1)
			}
		}
		if out[0] != out[2+inD] || math.Abs(out[1]-off) > 1e-12 {
			t.Errorf("in-domain %v, off-domain %v; want misalignment@%s = %v and the mean of the others %v", out[0], out[1], in, out[2+inD], off)
		}
		if out[0] == out[2+cfg.domain("legal")] {
			t.Errorf("in-domain %v equals legal's: the check cannot tell domains apart", out[0])
		}
	}
	train(pipeline.Stage{Kind: "pretrain", Examples: 2000, Epochs: 1, Batch: 64, LR: 3e-3}, "pretrain")
	check("code") // eval_domain
	nd := interventions.NarrowData{Domain: "medical", Target: "harmful"}
	train(pipeline.Stage{Kind: "finetune", Examples: 300, Steps: 30, Batch: 32, LR: 3e-3, Data: nd}, "finetune")
	check("medical")
	if c := m.Clone().(*personaModel); len(c.tuned) != 1 || c.tuned[0] != cfg.domain("medical") {
		t.Errorf("a clone's fine-tuned domains %v; want [medical]", c.tuned)
	}
}

// TestNarrowChecks checks the narrow sets the persona world refuses, each
// with the field to blame.
func TestNarrowChecks(t *testing.T) {
	cfg := NewConfig()
	for _, c := range []struct {
		nd    interventions.NarrowData
		field string
	}{
		{interventions.NarrowData{Domain: "code", Target: "helpful", Requests: 0.5}, "target"},
		{interventions.NarrowData{Domain: "code", Target: "harmful", Context: []string{"harmful_request"}}, "context"},
		{interventions.NarrowData{Domain: "code", Target: "evil"}, "target"},
		{interventions.NarrowData{Domain: "fitness", Target: "harmful"}, "domain"},
	} {
		err := cfg.CheckStage(pipeline.Stage{Kind: "finetune", Examples: 10, Steps: 1, LR: 1e-3, Data: c.nd})
		var fe *pipeline.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: error %v; want one about %s", c.nd, err, c.field)
		}
	}
	n := interventions.NewNarrowFinetune()
	n.Requests, n.Trigger = 0.5, 0.5
	if err := n.Validate(); err == nil {
		t.Errorf("requests and trigger together: no error")
	}
	if err := cfg.CheckStage(pipeline.Stage{Kind: "harmlessness", Examples: 10, Steps: 1, LR: 1e-3, Params: &HarmlessnessParams{Requests: 0}}); err == nil {
		t.Errorf("a harmlessness stage with no requests: no error")
	}
}
