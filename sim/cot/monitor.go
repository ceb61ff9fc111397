package cot

import (
	"math"
	"math/rand/v2"

	"github.com/natmo/natmo/pipeline"
)

// cotMonitor is the cot world's fixed chain-of-thought monitor. It reads the
// bag of tokens of a chain of thought, never the policy's weights, and it is
// never retrained: whatever code the policy finds is hidden only from it.
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

// fitMonitor builds the monitor the configuration asks for. A keyword monitor
// flags any hack-talk. A classifier is a logistic regression of "the author
// hacked" on the bag of tokens of the author's episodes,
//
//	P(hack | c) = σ(w·bag(c) + b),   minimised: mean log loss + ½λ‖w‖²,
//
// fitted by full-batch gradient descent, flagging when P exceeds the
// threshold.
func (w *cot) fitMonitor(rng *rand.Rand) *cotMonitor {
	mc, V, T := w.cfg.Monitor, w.cfg.V(), w.cfg.Tokens
	m := &cotMonitor{w: make([]float64, V)}
	if mc.Kind == "keyword" {
		lo, hi := w.talkRange()
		for c := lo; c < hi; c++ {
			m.w[c] = 1
		}
		m.b, m.cut = -0.5, 0
		return m
	}
	const lambda = 1e-3
	d := pipeline.NewEpisodes(mc.Examples, w.cfg.In(), T)
	w.tasks(d, rng)
	w.author(d, rng)
	n := float64(d.Len())
	gw := make([]float64, V)
	for range mc.Steps {
		clear(gw)
		gb := 0.0
		for i := 0; i < d.Len(); i++ {
			toks := d.Tokens[i*T : (i+1)*T]
			y := 0.0
			if d.Action[i] == actHack {
				y = 1
			}
			g := sigmoid(m.score(toks)) - y // ∂(log loss)/∂logit
			for _, c := range toks {
				gw[c] += g
			}
			gb += g
		}
		for c := range m.w {
			m.w[c] -= mc.LR * (gw[c]/n + lambda*m.w[c])
		}
		m.b -= mc.LR * gb / n
	}
	m.cut = math.Log(mc.Threshold / (1 - mc.Threshold))
	return m
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
