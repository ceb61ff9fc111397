package goodhart

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// A Labeller compares two responses to a prompt. It prefers a to b with the
// Bradley–Terry probability
//
//	P(a ≻ b) = σ((u(a) − u(b))/τ),   u = r* + b·[stance = the user's view],
//
// τ the noise and b the bias toward agreeing with the user (sycophancy).
type Labeller struct {
	Noise float64 // τ > 0
	Bias  float64 // b
}

// Comparisons are labelled pairs: row i of A and of B are the inputs [x, φ]
// of two responses to one prompt, and Y[i] is 1 if the labeller preferred
// A's response.
type Comparisons struct {
	N, In int
	A, B  []float64
	Y     []float64
}

// RowA and RowB return pair i's two inputs.
func (c *Comparisons) RowA(i int) []float64 { return c.A[i*c.In : (i+1)*c.In] }
func (c *Comparisons) RowB(i int) []float64 { return c.B[i*c.In : (i+1)*c.In] }

// labelChunk is how many prompts' candidates are drawn at a time.
const labelChunk = 256

// Compare draws n comparisons: each from a fresh prompt, its two responses
// drawn without replacement by π₀ from cfg.LabelPool candidates, labelled by l.
func (t *Truth) Compare(l Labeller, n int, rng *rand.Rand) (*Comparisons, error) {
	if !(l.Noise > 0) || math.IsInf(l.Noise, 0) {
		return nil, fmt.Errorf("labeller noise must be a positive number, got %v", l.Noise)
	}
	if math.IsNaN(l.Bias) || math.IsInf(l.Bias, 0) {
		return nil, fmt.Errorf("labeller bias must be a number, got %v", l.Bias)
	}
	in := t.cfg.In()
	c := &Comparisons{N: n, In: in, A: make([]float64, n*in), B: make([]float64, n*in), Y: make([]float64, n)}
	K := t.cfg.LabelPool
	w := make([]float64, K)
	for start := 0; start < n; start += labelChunk {
		m := min(labelChunk, n-start)
		p := t.NewPool(m, K, rng)
		for i := range m {
			lg := p.RefLogit[i*K : (i+1)*K]
			softmaxInto(lg, w)
			a := draw(w, rng)
			wa := w[a]
			w[a] = 0
			b := draw(w, rng) // draw rescales by the remaining mass
			w[a] = wa
			ra, rb := i*K+a, i*K+b
			ua, ub := p.Gold[ra], p.Gold[rb]
			if p.Agree[ra] {
				ua += l.Bias
			}
			if p.Agree[rb] {
				ub += l.Bias
			}
			j := start + i
			copy(c.RowA(j), p.Input(ra))
			copy(c.RowB(j), p.Input(rb))
			if rng.Float64() < sigmoid((ua-ub)/l.Noise) {
				c.Y[j] = 1
			}
		}
	}
	return c, nil
}

// softmaxInto writes softmax(z) into p.
func softmaxInto(z, p []float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	s := 0.0
	for i, v := range z {
		p[i] = math.Exp(v - m)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
}

// draw returns an index with probability proportional to w.
func draw(w []float64, rng *rand.Rand) int {
	s := 0.0
	for _, v := range w {
		s += v
	}
	u := rng.Float64() * s
	for i, v := range w {
		u -= v
		if u < 0 {
			return i
		}
	}
	for i := len(w) - 1; i >= 0; i-- { // rounding: the last index with weight
		if w[i] > 0 {
			return i
		}
	}
	return 0
}

func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
