package goodhart

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
)

func skipSlow(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("statistical test: runs without -race")
	}
}

// testSeeds is the number of seeds of the statistical tests.
const testSeeds = 8

// The stages of the built-in scenario.
func rmStage(set func(p *RMParams)) pipeline.Stage {
	p := NewRMParams()
	if set != nil {
		set(p)
	}
	return pipeline.Stage{Kind: "rm", Name: "rm", Examples: 3000, Epochs: 100, Batch: 64, LR: 0.003, Params: p}
}

func bonStage(n int) pipeline.Stage {
	return pipeline.Stage{Kind: "bon", Name: "bon", Params: &BoNParams{N: n}}
}

func rlStage(kl float64) pipeline.Stage {
	return pipeline.Stage{Kind: "rl", Name: "rl", Steps: 300, Batch: 16, LR: 0.002, RL: pipeline.RLParams{KL: kl}}
}

// trajectory is one run's probes of its last stage: metric → values in
// probe order.
type trajectory map[string][]float64

var allMetrics = []string{"proxy", "gold", "proxy_gain", "gold_gain", "kl", "d", "sycophancy", "agree", "correct", "rm_accuracy"}

// runArm runs the stages on seed's world and returns the probes of the
// last stage.
func runArm(t *testing.T, cfg *Config, seed uint64, stages []pipeline.Stage) trajectory {
	t.Helper()
	w, err := cfg.NewWorld(sim.Streams{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	m, err := w.NewModel(sim.Streams{Seed: seed}.Rand("init"))
	if err != nil {
		t.Fatal(err)
	}
	var tr trajectory
	out := make([]float64, len(allMetrics))
	for i, st := range stages {
		last := i == len(stages)-1
		tr = trajectory{}
		probe := func(int) error {
			if !last {
				return nil
			}
			if err := w.Measure(m, allMetrics, out); err != nil {
				return err
			}
			for j, n := range allMetrics {
				tr[n] = append(tr[n], out[j])
			}
			return nil
		}
		if err := w.Run(context.Background(), m, st, sim.Streams{Seed: seed, Stage: st.Name}, 20, probe); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// runSeeds runs an arm on seeds 1..n, two at a time.
func runSeeds(t *testing.T, cfg *Config, n int, stages []pipeline.Stage) []trajectory {
	t.Helper()
	trs := make([]trajectory, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			trs[i] = runArm(t, cfg, uint64(i+1), stages)
		}()
	}
	wg.Wait()
	return trs
}

// over returns f of each trajectory.
func over(trs []trajectory, f func(tr trajectory) float64) []float64 {
	v := make([]float64, len(trs))
	for i, tr := range trs {
		v[i] = f(tr)
	}
	return v
}

func argmax(v []float64) int {
	k := 0
	for i, x := range v {
		if x > v[k] {
			k = i
		}
	}
	return k
}

func ci(xs []float64) (mean, lo, hi float64) { return results.MeanCI(xs) }

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }
