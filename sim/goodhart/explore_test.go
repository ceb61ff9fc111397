package goodhart

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

func envf(k string, d float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(k), 64); err == nil {
		return v
	}
	return d
}

func TestExplore(t *testing.T) {
	if os.Getenv("GH_EXPLORE") == "" {
		t.Skip()
	}
	cfg := *NewConfig()
	cfg.Tails = envf("TAILS", 4)
	cfg.EvalCandidates = int(envf("EVALK", 4096))
	cfg.PolicyHidden = int(envf("PH", 16))
	seeds := int(envf("SEEDS", 3))
	for seed := range seeds {
		t0 := time.Now()
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		tr := NewTruth(cfg, rng)
		eval := tr.NewPool(cfg.EvalPrompts, cfg.EvalCandidates, rng)
		c, err := tr.Compare(Labeller{Noise: 1, Bias: envf("BIAS", 0)}, int(envf("N", 5000)), rng)
		if err != nil {
			t.Fatal(err)
		}
		var px *Proxy
		if envf("GOLD", 0) == 1 {
			px = &Proxy{}
		} else {
			var st FitStats
			px, st, err = FitProxy(context.Background(), c, ProxyFit{Hidden: int(envf("W", 32)), Epochs: 100, Batch: 64, LR: 3e-3, Holdout: 0.1, Patience: 5}, rng)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("seed %d fit %+v", seed, st)
		}
		scores := make([]float64, eval.P*eval.K)
		px.Score(eval, scores)
		dist := make([]float64, len(scores))
		t.Logf("pair acc %.3f  (%.2fs)", PairAccuracy(eval, scores), time.Since(t0).Seconds())
		var ms []Measures
		for n := 1; n <= 1024; n *= 2 {
			m := Measure(&Policy{N: n}, eval, scores, nil, dist)
			ms = append(ms, m)
			if os.Getenv("V") != "" {
				t.Logf("bon n=%4d d=%.2f proxy=%.3f gold=%.3f syc=%.3f agree=%.3f correct=%.3f", n, m.D, m.Proxy, m.Gold, m.Sycophancy, m.Agree, m.Correct)
			}
		}
		pk := 0
		for i, m := range ms {
			if m.Gold > ms[pk].Gold {
				pk = i
			}
		}
		last := ms[len(ms)-1]
		t.Logf("BON seed %d peak n=%d d=%.2f gold0=%.3f peak=%.3f fall=%.3f  syc %.3f -> %.3f (Δ%+.3f) agree %.3f -> %.3f", seed, 1<<pk, ms[pk].D, ms[0].Gold, ms[pk].Gold, ms[pk].Gold-last.Gold, ms[0].Sycophancy, last.Sycophancy, last.Sycophancy-ms[0].Sycophancy, ms[0].Agree, last.Agree)
		if envf("RL", 1) == 0 {
			continue
		}
		head, _ := NewHead(cfg.In(), cfg.PolicyHidden, rng)
		pol := &Policy{Head: head}
		steps := int(envf("STEPS", 300))
		ms = ms[:0]
		err = tr.TrainRL(context.Background(), pol, px, RLRun{Steps: steps, Batch: int(envf("B", 16)), LR: envf("LR", 0.01), KL: envf("KL", 0), Optimizer: os.Getenv("OPT")}, rng, steps/15, func(step int) error {
			m := Measure(pol, eval, scores, nil, dist)
			ms = append(ms, m)
			if os.Getenv("V") != "" {
				t.Logf("rl step %4d d=%.2f proxy=%.3f gold=%.3f syc=%.3f agree=%.3f correct=%.3f", step, m.D, m.Proxy, m.Gold, m.Sycophancy, m.Agree, m.Correct)
			}
			return nil
		})
		pk = 0
		for i, m := range ms {
			if m.Gold > ms[pk].Gold {
				pk = i
			}
		}
		last = ms[len(ms)-1]
		t.Logf("RL seed %d peak i=%d d=%.2f gold0=%.3f peak=%.3f fall=%.3f  proxy peak %.3f -> %.3f dfinal %.2f syc %.3f -> %.3f", seed, pk, ms[pk].D, ms[0].Gold, ms[pk].Gold, ms[pk].Gold-last.Gold, ms[pk].Proxy, last.Proxy, last.D, ms[0].Sycophancy, last.Sycophancy)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed time %.2fs", time.Since(t0).Seconds())
	}
}
