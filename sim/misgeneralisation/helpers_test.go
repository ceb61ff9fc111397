package misgeneralisation

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/natmo/natmo/pipeline"
)

// setup is one trained configuration: the world, the rl stage and its
// randomise share.
type setup struct {
	cfg       Config
	st        pipeline.Stage
	randomise float64
	noCue     float64
	// pre, if it has steps, is a first rl stage on levels without the cue.
	pre pipeline.Stage
	// draws, if not 0, offsets the seed of the training draws (levels and
	// choices) from the seed of the world and the initial weights.
	draws uint64
}

// stream returns seed's stream for purpose (distinct purposes, distinct
// PCG streams).
func stream(seed uint64, purpose uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, purpose)) }

// trainSeed builds seed's world and agent, trains it through s and returns
// every metric's final value.
func trainSeed(tb testing.TB, s setup, seed uint64) map[string]float64 {
	tb.Helper()
	w, err := NewWorld(s.cfg, stream(seed, 1), stream(seed, 2))
	if err != nil {
		tb.Fatal(err)
	}
	a, err := NewAgent(s.cfg, stream(seed, 3))
	seed += s.draws
	if err != nil {
		tb.Fatal(err)
	}
	if s.pre.Steps > 0 {
		if err := w.Train(context.Background(), a, s.pre, &StageParams{NoCue: 1}, stream(seed, 5), stream(seed, 6), 0, nil); err != nil {
			tb.Fatal(err)
		}
	}
	p := &StageParams{Randomise: s.randomise, NoCue: s.noCue}
	if err := w.Train(context.Background(), a, s.st, p, stream(seed, 4), stream(seed, 7), 0, nil); err != nil {
		tb.Fatal(err)
	}
	ms := Metrics()
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	out := make([]float64, len(names))
	if err := w.Measure(a, names, out); err != nil {
		tb.Fatal(err)
	}
	res := map[string]float64{}
	for i, n := range names {
		res[n] = out[i]
	}
	return res
}

// trainSeeds trains seeds 1…n of each setup on two goroutines and returns
// the final metrics per setup and seed.
func trainSeeds(tb testing.TB, ss []setup, n int) [][]map[string]float64 {
	tb.Helper()
	out := make([][]map[string]float64, len(ss))
	for i := range out {
		out[i] = make([]map[string]float64, n)
	}
	type job struct{ i, seed int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				out[j.i][j.seed] = trainSeed(tb, ss[j.i], uint64(j.seed+1))
			}
		}()
	}
	for i := range ss {
		for s := range n {
			jobs <- job{i, s}
		}
	}
	close(jobs)
	wg.Wait()
	return out
}

// values returns metric m of each seed.
func values(rs []map[string]float64, m string) []float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = r[m]
	}
	return xs
}
