package cot

import (
	"math/rand/v2"

	"github.com/natmo/natmo/pipeline"
)

// cotMonitor is a chain-of-thought monitor: a logit over the bag of tokens.
// It reads a chain of thought, never the policy's weights. The world's fixed
// monitor is fitted once, to the author's episodes; the retrained monitor is
// the same classifier refitted at each probe to the current policy's.
type cotMonitor struct {
	w   []float64 // per-token weight of the logit
	b   float64   // bias of the logit
	cut float64   // flag when the logit exceeds cut
}

// score is the monitor's logit for a chain of thought, Σ_t w[c_t] + b.
func (m *cotMonitor) score(tokens []int) float64 {
	s := m.b
	for _, c := range tokens {
		s += m.w[c]
	}
	return s
}

// flag is the monitor's verdict: does this chain of thought reveal a hack?
func (m *cotMonitor) flag(tokens []int) bool { return m.score(tokens) > m.cut }

// fitMonitor builds the fixed monitor the configuration asks for. A keyword
// monitor flags any hack-talk. A classifier is fitted (fitLogistic) to the
// author's episodes, labelled by whether the author hacked.
func (w *cot) fitMonitor(rng *rand.Rand) *cotMonitor {
	mc, V, T := w.cfg.Monitor, w.cfg.V(), w.cfg.Tokens
	if mc.Kind == "keyword" {
		m := &cotMonitor{w: make([]float64, V)}
		lo, hi := w.talkRange()
		for c := lo; c < hi; c++ {
			m.w[c] = 1
		}
		m.b, m.cut = -0.5, 0
		return m
	}
	d := pipeline.NewEpisodes(mc.Examples, w.cfg.In(), T)
	w.tasks(d, rng)
	w.author(d, rng)
	var bs bags
	bs.reset(V, T)
	for i := 0; i < d.Len(); i++ {
		y := 0.0
		if d.Action[i] == actHack {
			y = 1
		}
		bs.add(d.Tokens[i*T:(i+1)*T], y)
	}
	m := &cotMonitor{w: make([]float64, V)}
	bs.fit(m, mc)
	return m
}

// bags aggregates labelled chains of thought by their bag of tokens: a
// bag-of-tokens classifier's loss depends on a chain only through its bag,
// so the fit runs over the distinct bags (at most C(V+T−1, T)) rather than
// over the episodes.
type bags struct {
	T      int
	tokens []int          // the distinct bags, T sorted tokens each
	n, y   []float64      // episodes per bag and the sum of their labels
	index  map[string]int // bag (as bytes) → its place
	key    []byte
}

func (bs *bags) reset(V, T int) {
	bs.T, bs.tokens, bs.n, bs.y = T, bs.tokens[:0], bs.n[:0], bs.y[:0]
	clear(bs.index)
	if bs.index == nil {
		bs.index = map[string]int{}
	}
}

// add counts a chain of thought with label y ∈ [0, 1] (the probability that
// its episode is a hack).
func (bs *bags) add(tokens []int, y float64) {
	bs.key = bs.key[:0]
	for _, c := range tokens {
		bs.key = append(bs.key, byte(c)) // V ≤ 20
	}
	for i := 1; i < len(bs.key); i++ { // insertion sort: T ≤ 16
		for j := i; j > 0 && bs.key[j] < bs.key[j-1]; j-- {
			bs.key[j], bs.key[j-1] = bs.key[j-1], bs.key[j]
		}
	}
	k, ok := bs.index[string(bs.key)]
	if !ok {
		k = len(bs.n)
		bs.index[string(bs.key)] = k
		for _, c := range bs.key {
			bs.tokens = append(bs.tokens, int(c))
		}
		bs.n, bs.y = append(bs.n, 0), append(bs.y, 0)
	}
	bs.n[k]++
	bs.y[k] += y
}

// fit fits m, from zero, as a logistic regression of the label on the bag
// of tokens,
//
//	P(hack | c) = σ(w·bag(c) + b),   minimised: mean log loss + ½λ‖w‖²,
//
// by mc.Steps full-batch gradient steps of size mc.LR, flagging when P
// exceeds mc.Threshold. A bag of n episodes with labels summing to y adds
// n·σ(s) − y to the logit's gradient.
func (bs *bags) fit(m *cotMonitor, mc MonitorConfig) {
	const lambda = 1e-3
	T := bs.T
	clear(m.w)
	m.b = 0
	total := 0.0
	for _, n := range bs.n {
		total += n
	}
	gw := make([]float64, len(m.w))
	for range mc.Steps {
		clear(gw)
		gb := 0.0
		for k, n := range bs.n {
			toks := bs.tokens[k*T : (k+1)*T]
			g := n*sigmoid(m.score(toks)) - bs.y[k]
			for _, c := range toks {
				gw[c] += g
			}
			gb += g
		}
		for c := range m.w {
			m.w[c] -= mc.LR * (gw[c]/total + lambda*m.w[c])
		}
		m.b -= mc.LR * gb / total
	}
	m.cut = pipeline.Log(mc.Threshold / (1 - mc.Threshold))
}

func sigmoid(z float64) float64 { return 1 / (1 + pipeline.Exp(-z)) }
