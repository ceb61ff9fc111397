package goodhart

import (
	"math"
	"testing"

	"github.com/natmo/natmo/pipeline"
)

// smallConfig is a world small enough for unit tests.
func smallConfig() *Config {
	c := NewConfig()
	c.EvalPrompts, c.EvalCandidates, c.RLCandidates = 8, 256, 32
	return c
}

// TestRunIsReproducible checks that a seed's run gives the same bits twice
// and that every metric is finite.
func TestRunIsReproducible(t *testing.T) {
	stages := []pipeline.Stage{
		{Kind: "rm", Name: "rm", Examples: 300, Epochs: 3, Batch: 32, LR: 0.003, Params: NewRMParams()},
		{Kind: "rl", Name: "rl", Steps: 10, Batch: 4, LR: 0.002},
	}
	a := runArm(t, smallConfig(), 7, stages)
	b := runArm(t, smallConfig(), 7, stages)
	for _, m := range allMetrics {
		for i, v := range a[m] {
			if math.Float64bits(v) != math.Float64bits(b[m][i]) {
				t.Fatalf("%s probe %d: %v then %v", m, i, v, b[m][i])
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s probe %d: %v", m, i, v)
			}
		}
	}
}

// TestBestOfNKLAndDistribution checks the exact best-of-n distribution: it
// sums to 1 on every prompt, n = 1 is π₀, and the metric d is Gao's.
func TestBestOfNKLAndDistribution(t *testing.T) {
	cfg := smallConfig()
	tr := NewTruth(*cfg, newRand(1))
	pool := tr.NewPool(cfg.EvalPrompts, cfg.EvalCandidates, newRand(2))
	dist := make([]float64, pool.P*pool.K)
	for _, n := range []int{1, 2, 64} {
		kl := (&Policy{N: n}).Dist(pool, pool.Gold, nil, dist)
		if want := math.Log(float64(n)) - float64(n-1)/float64(n); math.Abs(kl-want) > 1e-12 {
			t.Errorf("n = %d: KL %v, want %v", n, kl, want)
		}
		for i := range pool.P {
			s := 0.0
			for _, p := range dist[i*pool.K : (i+1)*pool.K] {
				s += p
			}
			if math.Abs(s-1) > 1e-9 {
				t.Errorf("n = %d, prompt %d: probabilities sum to %v", n, i, s)
			}
		}
	}
}

// TestCheckStage checks the stage rules the loader cannot know.
func TestCheckStage(t *testing.T) {
	c := NewConfig()
	for _, bad := range []pipeline.Stage{
		{Kind: "bon", LR: 0.1, Params: NewBoNParams()},
		{Kind: "bon", Params: &BoNParams{N: 0}},
		{Kind: "rm", Examples: 5, Epochs: 1, LR: 0.1, Params: NewRMParams()},
		{Kind: "rm", Examples: 100, Epochs: 1, LR: 0.1, Params: &RMParams{Width: 8, Noise: 0, Patience: 1, Proxy: "learned"}},
		{Kind: "rl", Steps: 10, LR: 0.1, RL: pipeline.RLParams{Entropy: 0.1}},
		{Kind: "sft", Examples: 10, Epochs: 1, LR: 0.1},
	} {
		if err := c.CheckStage(bad); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
	for _, good := range []pipeline.Stage{
		{Kind: "bon", Params: NewBoNParams()},
		{Kind: "rm", Params: &RMParams{Noise: 1, Patience: 1, Proxy: "gold"}},
		{Kind: "rl", Steps: 10, LR: 0.1, RL: pipeline.RLParams{KL: 0.5}},
	} {
		if err := c.CheckStage(good); err != nil {
			t.Errorf("%+v: %v", good, err)
		}
	}
}

// TestKeptReferenceIsExact checks that a pool's kept reference policy
// (keepRef) gives every measurement the bits it gives computed afresh: for
// a trained-looking head, for best-of-n, and for the proxy's pair accuracy.
func TestKeptReferenceIsExact(t *testing.T) {
	cfg := smallConfig()
	tr := NewTruth(*cfg, newRand(1))
	fresh := tr.NewPool(cfg.EvalPrompts, cfg.EvalCandidates, newRand(2))
	kept := tr.NewPool(cfg.EvalPrompts, cfg.EvalCandidates, newRand(2))
	kept.keepRef()
	head, err := NewHead(cfg.In(), cfg.PolicyHidden, newRand(3))
	if err != nil {
		t.Fatal(err)
	}
	rng := newRand(4)
	for i := range head.Params {
		head.Params[i] = rng.NormFloat64() // a nonzero output layer too
	}
	scores := make([]float64, fresh.P*fresh.K)
	for i := range scores {
		scores[i] = rng.NormFloat64()
	}
	for _, pol := range []*Policy{{Head: head}, {N: 4}, {}} {
		a := Measure(pol, fresh, scores, nil, make([]float64, len(scores)))
		b := Measure(pol, kept, scores, nil, make([]float64, len(scores)))
		if a != b {
			t.Errorf("policy %+v: kept reference %+v, afresh %+v", pol, b, a)
		}
	}
	if a, b := PairAccuracy(fresh, scores), PairAccuracy(kept, scores); math.Float64bits(a) != math.Float64bits(b) {
		t.Errorf("pair accuracy: kept reference %v, afresh %v", b, a)
	}
}

// TestFootprintCountsTheHead checks the memory estimate's model size
// against the policy head the world builds, linear and with a hidden layer.
func TestFootprintCountsTheHead(t *testing.T) {
	for _, hidden := range []int{0, 16} {
		cfg := smallConfig()
		cfg.PolicyHidden = hidden
		h, err := NewHead(cfg.In(), cfg.PolicyHidden, newRand(1))
		if err != nil {
			t.Fatal(err)
		}
		if fp := cfg.Footprint(); fp.Params != len(h.Params) || fp.FixedFloats < cfg.EvalPrompts*cfg.EvalCandidates*cfg.In() {
			t.Errorf("policy_hidden %d: footprint %+v; the head has %d parameters, the pool %d input floats", hidden, fp, len(h.Params), cfg.EvalPrompts*cfg.EvalCandidates*cfg.In())
		}
	}
}
