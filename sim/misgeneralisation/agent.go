package misgeneralisation

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"

	"github.com/natmo/natmo/pipeline"
)

// An Agent picks one slot of a level: a scorer s(x) — one MLP with the same
// weights for every slot — reads each slot's features, and the policy is
// the softmax over the level's slots,
//
//	π(k | level) = exp s(x_k) / Σ_j exp s(x_j).
//
// Sharing the weights makes the agent's choice depend on what a slot looks
// like, never on its index.
type Agent struct {
	Scorer *pipeline.MLP
	// Randomise is the randomise share of the last rl stage the agent was
	// trained in (0 before any): the training levels its train reward is
	// measured on.
	Randomise float64

	ws *pipeline.Workspace
	p  []float64 // scratch: policy probabilities of the last forward pass
}

// NewAgent returns an agent for cfg with weights drawn by He initialisation
// scaled by cfg.Init.
func NewAgent(cfg Config, rng *rand.Rand) (*Agent, error) {
	m, err := pipeline.NewMLP(cfg.scorerSizes(), rng)
	if err != nil {
		return nil, fmt.Errorf("misgeneralisation agent: %w", err)
	}
	for i := range m.Params {
		m.Params[i] *= cfg.Init
	}
	return &Agent{Scorer: m}, nil
}

// Clone returns a deep copy of a.
func (a *Agent) Clone() *Agent { return &Agent{Scorer: a.Scorer.Clone(), Randomise: a.Randomise} }

// policy computes π over the slots of every level of l into a.p (nK) and
// returns it, with the workspace holding the forward pass.
func (a *Agent) policy(l *Levels) []float64 {
	if a.ws == nil {
		a.ws = pipeline.NewWorkspace(a.Scorer, l.X.Rows)
	}
	z := a.Scorer.Forward(l.X, a.ws)
	if cap(a.p) < l.X.Rows {
		a.p = make([]float64, l.X.Rows)
	}
	a.p = a.p[:l.X.Rows]
	K := l.K
	for i := 0; i < l.Len(); i++ {
		zs, ps := z.Data[i*K:(i+1)*K], a.p[i*K:(i+1)*K] // one logit per row: stride 1
		m := math.Inf(-1)
		for _, v := range zs {
			m = max(m, v)
		}
		s := 0.0
		for k, v := range zs {
			ps[k] = math.Exp(v - m)
			s += ps[k]
		}
		for k := range ps {
			ps[k] /= s
		}
	}
	return a.p
}

// reinforce is one REINFORCE step's bookkeeping.
type reinforce struct {
	agent    *Agent
	opt      pipeline.Optimizer
	entropy  float64 // α
	baseline string  // "mean" or "none"
	rate     float64 // ρ
	b        float64 // running mean of the reward
	started  bool
	grad     []float64
	reward   []float64 // scratch, per level
	act      []int     // scratch, per level
}

// step samples one slot per level of l from π, pays 1 for the object, and
// descends the surrogate
//
//	L = −(1/B) Σ_i (R_i − b) log π(a_i | level i) − α (1/B) Σ_i H(π(·| level i)),
//
// whose gradient on slot k's score is −(1/B)(R_i − b)(1[k = a_i] − π_k) +
// α(1/B) π_k (log π_k + H). The baseline b is a running mean of the reward:
// b ← b + ρ(R̄ − b). It returns the mean reward of the batch.
func (r *reinforce) step(l *Levels, rng *rand.Rand) float64 {
	a := r.agent
	p := a.policy(l)
	K, B := l.K, l.Len()
	dz := a.ws.DLogits()
	mean := 0.0
	if len(r.reward) < B {
		r.reward, r.act = make([]float64, B), make([]int, B)
	}
	rewards, acts := r.reward[:B], r.act[:B]
	for i := range B {
		u := rng.Float64()
		ps := p[i*K : (i+1)*K]
		act := K - 1
		c := 0.0
		for k, v := range ps {
			c += v
			if u < c {
				act = k
				break
			}
		}
		acts[i], rewards[i] = act, 0
		if act == l.Object[i] {
			rewards[i] = 1
		}
		mean += rewards[i]
	}
	mean /= float64(B)
	if !r.started {
		r.b, r.started = mean, true
	}
	b := r.b
	if r.baseline == "none" {
		b = 0
	}
	inv := 1 / float64(B)
	for i := range B {
		ps, ds := p[i*K:(i+1)*K], dz.Data[i*K:(i+1)*K]
		adv := rewards[i] - b
		h := 0.0
		for _, v := range ps {
			if v > 0 {
				h -= v * math.Log(v)
			}
		}
		for k, v := range ps {
			g := -v
			if k == acts[i] {
				g += 1
			}
			ds[k] = -inv * adv * g
			if r.entropy > 0 && v > 0 {
				ds[k] += r.entropy * inv * v * (math.Log(v) + h)
			}
		}
	}
	a.Scorer.Backward(l.X, a.ws, r.grad, blas64.General{})
	r.opt.Step(a.Scorer.Params, r.grad)
	r.b += r.rate * (mean - r.b)
	return mean
}
