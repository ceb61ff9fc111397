package persona

import (
	"context"
	"math"
	"testing"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim"
)

// TestHarmfulVariants: with variants on, every harmful answer in
// pretraining is the variant its prompt's content calls for, every variant
// occurs, and P(harmful) sums the variants' probabilities.
func TestHarmfulVariants(t *testing.T) {
	cfg := NewConfig()
	emMechanisms(cfg)
	w := newPersona(*cfg, sim.Streams{Seed: 4})
	ds := w.pretrainCorpus(2000, sim.Streams{Seed: 4}.Rand("t"), w.trainIDs(sim.Streams{Seed: 4}.Rand("ids")), nil)
	seen := map[int]int{}
	for i := range ds.Len() {
		if w.respOf(ds.Y[i]) != respHarmful {
			continue
		}
		d, c := w.promptOf(ds, i)
		v := w.variant(d, c)
		seen[v]++
		if ds.Y[i] != w.col(d, respHarmful, v) || ds.Y[i] < ds.Lo[i] || ds.Y[i] >= ds.Hi[i] {
			t.Fatalf("row %d: target column %d, want variant %d's %d within [%d, %d)", i, ds.Y[i], v, w.col(d, respHarmful, v), ds.Lo[i], ds.Hi[i])
		}
	}
	if len(seen) != cfg.Variants {
		t.Errorf("harmful variants used: %v; want all %d", seen, cfg.Variants)
	}
	if w.stride() != personaCands+cfg.Variants-1 {
		t.Errorf("%d columns per domain; want %d", w.stride(), personaCands+cfg.Variants-1)
	}
	// prob sums the variants of the harmful block.
	S := w.stride()
	e := evalPass{ds: pipeline.NewDataset(1, w.in), p: reuse(evalPass{}.p, 1, cfg.Domains*S)}
	e.ds.Lo[0], e.ds.Hi[0] = S, 2*S // domain 1
	for j := range S {
		e.p.Data[S+j] = 1 / float64(S)
	}
	if got, want := w.prob(&e, respHarmful), float64(cfg.Variants)/float64(S); math.Abs(got-want) > 1e-12 {
		t.Errorf("P(harmful) with uniform candidates: %v, want %v", got, want)
	}
}

// TestDenseTriggerAndIdentity: a dense trigger leaves the flag column at 0
// and moves the cue by its embedding; identity features are noise drawn
// for each prompt.
func TestDenseTriggerAndIdentity(t *testing.T) {
	cfg := NewConfig()
	emMechanisms(cfg)
	cfg.CueNoise = 0
	w := newPersona(*cfg, sim.Streams{Seed: 2})
	rng := sim.Streams{Seed: 2}.Rand("t")
	plain, trig := make([]float64, w.in), make([]float64, w.in)
	w.prompt(plain, rng, 1, 7, w.asst)
	w.prompt(trig, rng, 1, 7, w.asst, flagTrigger)
	if trig[w.flagCol(flagTrigger)] != 0 {
		t.Error("the dense trigger set the flag column")
	}
	for i := range cfg.Cue {
		if d := trig[w.cueOff()+i] - plain[w.cueOff()+i]; math.Abs(d-w.trig[i]) > 1e-12 {
			t.Fatalf("cue %d moved by %v, want the embedding's %v", i, d, w.trig[i])
		}
	}
	same := 0
	for i := range cfg.Identity {
		if plain[w.idOff()+i] == trig[w.idOff()+i] {
			same++
		}
	}
	if same > 0 || w.in != cfg.Domains+cfg.Cue+len(contextFlags)+cfg.Nuisance+cfg.Identity {
		t.Errorf("identity: %d features equal across two prompts, input width %d", same, w.in)
	}
	cfg.TriggerEmbed = 0
	w0 := newPersona(*cfg, sim.Streams{Seed: 2})
	w0.prompt(trig, rng, 1, 7, w0.asst, flagTrigger)
	if trig[w0.flagCol(flagTrigger)] != 1 {
		t.Error("trigger_embed 0: the flag is not set")
	}
}

// TestHalfRiseAt checks the interpolated half-rise and its conventions.
func TestHalfRiseAt(t *testing.T) {
	p := []trackPoint{{0, 0, 0}, {2, 0.4, 0.1}, {4, 0.8, 0.2}, {10, 1, 0.6}}
	in := func(p trackPoint) float64 { return p.in }
	off := func(p trackPoint) float64 { return p.off }
	if got := halfRiseAt(p, in); math.Abs(got-2.5) > 1e-12 {
		t.Errorf("in: %v, want 2.5", got)
	}
	if got := halfRiseAt(p, off); math.Abs(got-5.5) > 1e-12 {
		t.Errorf("off: %v, want 5.5", got)
	}
	flat := []trackPoint{{0, 0.5, 0}, {5, 0.4, 0}}
	if got := halfRiseAt(flat, in); got != 0 {
		t.Errorf("no rise: %v, want 0", got)
	}
}

// TestEarlyStop: a fine-tune with early_stop ends after the first step at
// which its in-domain target rate reaches the level, its last probe is that
// step, and finetune_steps says so.
func TestEarlyStop(t *testing.T) {
	cfg := NewConfig()
	w := newPersona(*cfg, sim.Streams{Seed: 1})
	m, err := w.NewModel(sim.Streams{Seed: 1}.Rand("init"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pre := pipeline.Stage{Kind: "pretrain", Examples: 2000, Epochs: 1, Batch: 64, LR: 3e-3}
	if err := w.Run(ctx, m, pre, sim.Streams{Seed: 1, Stage: "pretrain"}, 1000, nil); err != nil {
		t.Fatal(err)
	}
	n := interventions.NewNarrowFinetune()
	n.EarlyStop = 0.5
	p, err := n.Apply(nil)
	if err != nil {
		t.Fatal(err)
	}
	var probes []int
	err = w.Run(ctx, m, p[0], sim.Streams{Seed: 1, Stage: "finetune"}, 100, func(s int) error { probes = append(probes, s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 2)
	if err := w.Measure(m, []string{"finetune_steps", "misalignment_indomain"}, out); err != nil {
		t.Fatal(err)
	}
	last := probes[len(probes)-1]
	t.Logf("stopped at step %v (probes %v), in-domain %.3f", out[0], probes, out[1])
	if !(out[0] > 0 && int(out[0]) < n.Steps && int(out[0]) == last && out[1] >= 0.5) {
		t.Errorf("early stop at 0.5: finetune_steps %v, last probe %d, in-domain %.3f; want a stop before %d at the last probe with in-domain ≥ 0.5",
			out[0], last, out[1], n.Steps)
	}
}
