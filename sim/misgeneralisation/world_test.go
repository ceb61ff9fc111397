package misgeneralisation

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim"
)

// TestLevels checks each layout: where the object and the cue go, the
// randomise and no_cue shares, and the features that mark them.
func TestLevels(t *testing.T) {
	for _, variant := range []string{VariantPosition, VariantTwoCue} {
		cfg := *NewConfig()
		cfg.Variant = variant
		g := newGenerator(cfg, stream(1, 1))
		K, n := cfg.Slots, 5000
		l := newLevels(n, K, cfg.Features())
		// The cue and object marks of slot k of level i.
		marks := func(i, k int) (cue, obj bool) {
			x := l.slot(i, k)
			if variant == VariantTwoCue {
				return x[0] == 1, x[cfg.Codes] == 1
			}
			return x[0] == 1, false
		}
		check := func(name string, lay layout, r, noCue float64, want func(i int) bool) {
			t.Helper()
			g.fill(l, lay, r, noCue, stream(2, 2))
			for i := range n {
				if !want(i) {
					t.Fatalf("%s %s: level %d has object %d, cue %d", variant, name, i, l.Object[i], l.Cue[i])
				}
				for k := range K {
					cue, obj := marks(i, k)
					if cue != (k == l.Cue[i]) || variant == VariantTwoCue && obj != (k == l.Object[i]) {
						t.Fatalf("%s %s: level %d slot %d marked cue %v object %v; cue %d object %d", variant, name, i, k, cue, obj, l.Cue[i], l.Object[i])
					}
				}
			}
		}
		check("training", training, 0, 0, func(i int) bool { return l.Object[i] == l.Cue[i] && l.Cue[i] >= 0 })
		check("test", test, 0, 0, func(i int) bool { return l.Object[i] != l.Cue[i] && l.Cue[i] >= 0 })
		check("object-only", objectOnly, 0, 0, func(i int) bool { return l.Cue[i] == -1 })
		check("no-cue", training, 0, 1, func(i int) bool { return l.Cue[i] == -1 })

		// Shares: a randomised object lands off the cue with probability (K−1)/K.
		share := func(r, noCue float64) (off, none float64) {
			g.fill(l, training, r, noCue, stream(3, 3))
			for i := range n {
				switch {
				case l.Cue[i] < 0:
					none++
				case l.Object[i] != l.Cue[i]:
					off++
				}
			}
			return off / float64(n), none / float64(n)
		}
		off, none := share(0.3, 0.2)
		wantOff := 0.8 * 0.3 * float64(K-1) / float64(K)
		if math.Abs(off-wantOff) > 0.025 || math.Abs(none-0.2) > 0.025 { // 4 sd at n = 5000
			t.Errorf("%s: off-cue share %.3f (want %.3f), no-cue share %.3f (want 0.2)", variant, off, wantOff, none)
		}
	}
}

// TestCommonRandomNumbers: levels drawn from the same stream at two
// randomise shares differ only where a level is randomised.
func TestCommonRandomNumbers(t *testing.T) {
	cfg := *NewConfig()
	g := newGenerator(cfg, stream(1, 1))
	a, b := newLevels(500, cfg.Slots, cfg.Features()), newLevels(500, cfg.Slots, cfg.Features())
	g.fill(a, training, 0, 0, stream(4, 4))
	g.fill(b, training, 0.2, 0, stream(4, 4))
	if !slices.Equal(a.Cue, b.Cue) {
		t.Fatal("the cues differ between randomise shares")
	}
	moved := 0
	for i := range a.Object {
		if a.Object[i] != b.Object[i] {
			moved++
		}
	}
	if moved == 0 || moved > 150 {
		t.Errorf("%d of 500 objects moved at randomise 0.2", moved)
	}
}

// TestGradient checks the REINFORCE step's gradient against central finite
// differences of its surrogate, with the sampled slots, rewards and
// baseline held fixed, entropy bonus included.
func TestGradient(t *testing.T) {
	cfg := *NewConfig()
	cfg.Hidden = 5
	cfg.ObjectDim = 3
	w, err := NewWorld(cfg, stream(1, 1), stream(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAgent(cfg, stream(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	l := newLevels(6, cfg.Slots, cfg.Features())
	w.gen.fill(l, training, 0.5, 0.3, stream(1, 4))
	opt, _ := pipeline.NewOptimizer("sgd", 0, len(a.Scorer.Params))
	const alpha = 0.3
	r := &reinforce{agent: a, opt: opt, entropy: alpha, baseline: "mean", rate: 0.1, grad: make([]float64, len(a.Scorer.Params))}
	r.b, r.started = 0.4, true
	r.step(l, stream(1, 5))
	grad := slices.Clone(r.grad)
	surrogate := func() float64 {
		p := a.policy(l)
		K, B := l.K, l.Len()
		s := 0.0
		for i := range B {
			ps := p[i*K : (i+1)*K]
			h := 0.0
			for _, v := range ps {
				h -= v * math.Log(v)
			}
			s += -(r.reward[i]-0.4)*math.Log(ps[r.act[i]]) - alpha*h
		}
		return s / float64(B)
	}
	const eps = 1e-6
	for j := range a.Scorer.Params {
		old := a.Scorer.Params[j]
		a.Scorer.Params[j] = old + eps
		up := surrogate()
		a.Scorer.Params[j] = old - eps
		down := surrogate()
		a.Scorer.Params[j] = old
		num := (up - down) / (2 * eps)
		if math.Abs(num-grad[j]) > 1e-6+1e-4*math.Abs(num) {
			t.Errorf("param %d: gradient %.8g, finite difference %.8g", j, grad[j], num)
		}
	}
}

// TestTrainReward: the measured train reward, computed from the correlated
// and test evaluation levels, equals the agent's mean chance of reaching the
// object on freshly drawn training levels at the same randomise share.
func TestTrainReward(t *testing.T) {
	cfg := *NewConfig()
	w, err := NewWorld(cfg, stream(1, 1), stream(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAgent(cfg, stream(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	st := pipeline.Stage{Kind: "rl", Steps: 150, Batch: 32, LR: 0.01}
	if err := w.Train(context.Background(), a, st, &StageParams{Randomise: 0.4}, stream(1, 4), stream(1, 5), 0, nil); err != nil {
		t.Fatal(err)
	}
	var got [1]float64
	if err := w.Measure(a, []string{"train_reward"}, got[:]); err != nil {
		t.Fatal(err)
	}
	l := newLevels(10000, cfg.Slots, cfg.Features())
	w.gen.fill(l, training, 0.4, 0, stream(1, 6))
	want, _ := a.rates(l)
	if math.Abs(got[0]-want) > 0.01 {
		t.Errorf("train_reward %.4f; on 10000 fresh training levels the agent reaches the object %.4f", got[0], want)
	}
}

// TestValidate: bad settings are *pipeline.FieldErrors naming the field.
func TestValidate(t *testing.T) {
	for field, edit := range map[string]func(*Config){
		"variant":      func(c *Config) { c.Variant = "three-cue" },
		"slots":        func(c *Config) { c.Slots = 1 },
		"object_dim":   func(c *Config) { c.ObjectDim = 0 },
		"object_noise": func(c *Config) { c.ObjectNoise = math.NaN() },
		"codes":        func(c *Config) { c.Codes = 1 },
		"hidden":       func(c *Config) { c.Hidden = -1 },
		"init":         func(c *Config) { c.Init = 0 },
		"eval_levels":  func(c *Config) { c.Eval = 5 },
	} {
		c := NewConfig()
		edit(c)
		var fe *pipeline.FieldError
		if err := c.Validate(); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	c := NewConfig()
	for _, st := range []pipeline.Stage{
		{Kind: "sft", Examples: 10, Epochs: 1, LR: 0.1},
		{Kind: "rl", LR: 0.1},
		{Kind: "rl", Steps: 10, LR: 0.1, RL: pipeline.RLParams{KL: 0.1}},
		{Kind: "rl", Steps: 10, LR: 0.1, RL: pipeline.RLParams{ValueBaseline: "learned"}},
	} {
		if err := c.CheckStage(st); err == nil {
			t.Errorf("stage %+v: no error", st)
		}
	}
	for _, p := range []StageParams{{Randomise: -0.1}, {Randomise: 1.5}, {NoCue: math.NaN()}} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
}

// TestHalfRecovery checks the readout on curves with known answers.
func TestHalfRecovery(t *testing.T) {
	shares := []float64{0, 0.01, 0.1, 1}
	for _, c := range []struct {
		rates []float64
		want  float64
	}{
		{[]float64{0, 0.5, 0.8, 1}, 0.01},        // exactly half at 0.01
		{[]float64{0, 0.25, 0.75, 1}, 0.0316228}, // half-way on a log scale between 0.01 and 0.1
		{[]float64{0, 1, 1, 1}, 0.005},           // linear from 0
	} {
		got, err := HalfRecovery(shares, c.rates)
		if err != nil || math.Abs(got-c.want) > 1e-6 {
			t.Errorf("%v: %v, %v; want %v", c.rates, got, err, c.want)
		}
	}
	if _, err := HalfRecovery(shares, []float64{1, 0.5, 0.2, 0}); err == nil {
		t.Error("a falling curve has no gap to recover; want an error")
	}
}

// TestReproducible: the same scenario gives the same records whatever the
// number of workers, and a cancelled run says so.
func TestReproducible(t *testing.T) {
	p := pipeline.Pipeline{
		{Kind: "rl", Name: "see", Label: "baseline", Steps: 30, Batch: 8, LR: 0.01, Params: &StageParams{NoCue: 1}},
		{Kind: "rl", Name: "rl", Label: "baseline", Steps: 30, Batch: 8, LR: 0.01, Params: &StageParams{Randomise: 0.1}},
	}
	cfg := NewConfig()
	cfg.Eval = 50
	sc := scenario(3, cfg, p)
	sc.Measure.Every = 10
	r1, err := sim.Run(context.Background(), sc, sim.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := sim.Run(context.Background(), sc, sim.Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(r1.Records) == 0 || !slices.Equal(r1.Records, r2.Records) {
		t.Error("records differ between 1 and 3 workers")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sim.Run(ctx, sc, sim.Options{Workers: 1}); err == nil {
		t.Error("a cancelled run returned no error")
	}
}

// TestFootprintCountsTheScorer checks the memory estimate's sizes against
// the agent and evaluation levels the world builds, in both variants.
func TestFootprintCountsTheScorer(t *testing.T) {
	for _, variant := range []string{VariantPosition, VariantTwoCue} {
		for _, hidden := range []int{0, 16} {
			cfg := *NewConfig()
			cfg.Variant, cfg.Hidden, cfg.Eval = variant, hidden, 10
			a, err := NewAgent(cfg, stream(1, 1))
			if err != nil {
				t.Fatal(err)
			}
			w, err := NewWorld(cfg, stream(1, 2), stream(1, 3))
			if err != nil {
				t.Fatal(err)
			}
			fp := cfg.Footprint()
			held := 0
			for _, l := range []*Levels{w.evalCorr, w.evalTest, w.evalObj} {
				held += len(l.X.Data) + len(l.Object) + len(l.Cue)
			}
			if fp.Params != len(a.Scorer.Params) || fp.FixedFloats != held {
				t.Errorf("%s, hidden %d: footprint %+v; the scorer has %d parameters, the evaluation levels %d values", variant, hidden, fp, len(a.Scorer.Params), held)
			}
		}
	}
}
