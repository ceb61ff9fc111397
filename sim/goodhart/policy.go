package goodhart

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/natmo/natmo/pipeline"
	"gonum.org/v1/gonum/blas/blas64"
)

// A Policy answers a prompt by choosing one of its candidates. With N > 1
// it is best-of-N against the proxy over draws from π₀; otherwise it is
//
//	π_w(y|x) ∝ π₀(y|x) exp(h_w(x, φ)),
//
// π₀ itself while the head h_w is nil or untrained (its output layer starts
// at zero).
type Policy struct {
	Head *pipeline.MLP
	N    int
}

// Clone returns a deep copy.
func (p *Policy) Clone() *Policy {
	c := *p
	if p.Head != nil {
		c.Head = p.Head.Clone()
	}
	return &c
}

// NewHead returns a policy head on inputs of width in with hidden units
// (0: linear), whose output layer is zero so that the policy starts at π₀.
func NewHead(in, hidden int, rng *rand.Rand) (*pipeline.MLP, error) {
	sizes := headSizes(in, hidden)
	h, err := pipeline.NewMLP(sizes, rng)
	if err != nil {
		return nil, fmt.Errorf("policy head: %w", err)
	}
	last := sizes[len(sizes)-2] + 1
	clear(h.Params[len(h.Params)-last:])
	return h, nil
}

// headSizes are the layer sizes of a policy head on inputs of width in
// with hidden units (0: linear).
func headSizes(in, hidden int) []int {
	if hidden > 0 {
		return []int{in, hidden, 1}
	}
	return []int{in, 1}
}

// KLBestOfN is Gao's KL of best-of-n to its sampling policy, log n − (n−1)/n.
func KLBestOfN(n int) float64 {
	if n <= 1 {
		return 0
	}
	return math.Log(float64(n)) - float64(n-1)/float64(n)
}

// Dist writes into out (len P·K) the policy's distribution over each
// prompt's candidates, given the proxy's scores of the pool, and returns
// the mean over prompts of KL(π‖π₀): exact over the pool for π_w, Gao's
// log n − (n−1)/n for best-of-n (the pool's own KL is a little lower at
// large n, as a finite pool has a best candidate).
//
// order, if not nil, is Rank(pool, scores), computed once per proxy.
func (p *Policy) Dist(pool *Pool, scores []float64, order []int, out []float64) float64 {
	K := pool.K
	if p.N > 1 {
		if order == nil {
			order = Rank(pool, scores)
		}
		ref := make([]float64, K)
		for i := range pool.P {
			lo := i * K
			bestOfN(pool.refProb(i, ref), order[lo:lo+K], p.N, out[lo:lo+K])
		}
		return KLBestOfN(p.N)
	}
	logits := out // the head's output first, then the distribution in place
	if p.Head != nil {
		forwardRows(p.Head, pool.Inputs, pool.In, logits)
	} else {
		clear(logits)
	}
	kl := 0.0
	for i := range pool.P {
		lo := i * K
		o := out[lo : lo+K]
		for k := range o {
			o[k] += pool.RefLogit[lo+k]
		}
		kl += softmaxKL(o, pool.RefLogit[lo:lo+K], pool.refLSE(i))
	}
	return kl / float64(pool.P)
}

// softmaxKL replaces the logits z by softmax(z) and returns KL(softmax(z) ‖
// softmax(z₀)), given lz0 = logSumExp(z₀).
func softmaxKL(z, z0 []float64, lz0 float64) float64 {
	lz := logSumExp(z)
	kl := 0.0
	for k, v := range z {
		lp := v - lz
		p := math.Exp(lp)
		if p > 0 {
			kl += p * (lp - (z0[k] - lz0))
		}
		z[k] = p
	}
	return max(kl, 0)
}

func logSumExp(z []float64) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// Rank returns, for each prompt of pool, its candidates' indices (within
// the prompt) in ascending order of score, ties by index.
func Rank(pool *Pool, scores []float64) []int {
	K := pool.K
	order := make([]int, pool.P*K)
	for i := range pool.P {
		o, s := order[i*K:(i+1)*K], scores[i*K:(i+1)*K]
		for k := range o {
			o[k] = k
		}
		slices.SortFunc(o, func(a, b int) int {
			if c := cmp.Compare(s[a], s[b]); c != 0 {
				return c
			}
			return a - b
		})
	}
	return order
}

// bestOfN writes into out the exact distribution of the proxy's favourite
// among n draws from ref: with the candidates ranked by score in order and
// Fᵢ the reference mass of the first i, P(i) = Fᵢⁿ − Fᵢ₋₁ⁿ.
func bestOfN(ref []float64, order []int, n int, out []float64) {
	F, prev := 0.0, 0.0
	for _, k := range order {
		F += ref[k]
		Fn := math.Pow(min(F, 1), float64(n))
		out[k] = Fn - prev
		prev = Fn
	}
}

// RLRun holds the settings of an RL stage.
type RLRun struct {
	Steps     int
	Batch     int // prompts per step
	LR        float64
	Optimizer string
	KL        float64 // β, the KL penalty's coefficient
}

// TrainRL trains the policy's head by the exact policy gradient of
//
//	J = E_x [ E_π[r̂] − β KL(π(·|x) ‖ π₀(·|x)) ]
//
// over fresh batches of prompts, each with cfg.RLCandidates candidates: with
// logits ℓ = θ₀·φ + h_w and gᵧ = r̂ᵧ − β log(πᵧ/π₀ᵧ), ∂J/∂ℓᵧ = πᵧ (gᵧ − Σₖ πₖ gₖ).
// probe, if not nil, is called at step 0, every `every` steps and after the
// last step.
func (t *Truth) TrainRL(ctx context.Context, pol *Policy, proxy *Proxy, s RLRun, rng *rand.Rand, every int, probe pipeline.Probe) error {
	if pol.Head == nil || pol.N > 1 {
		return fmt.Errorf("rl: the policy has no head to train (best-of-n is not trained)")
	}
	opt, err := pipeline.NewOptimizer(s.Optimizer, s.LR, len(pol.Head.Params))
	if err != nil {
		return fmt.Errorf("rl: %w", err)
	}
	call := func(step int) error {
		if probe == nil {
			return nil
		}
		return probe(step)
	}
	if err := call(0); err != nil {
		return err
	}
	K := t.cfg.RLCandidates
	rows := s.Batch * K
	ws := pipeline.NewWorkspace(pol.Head, rows)
	grad := make([]float64, len(pol.Head.Params))
	scores := make([]float64, rows)
	pi, g := make([]float64, K), make([]float64, K)
	for step := 1; step <= s.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		pool := t.NewPool(s.Batch, K, rng)
		proxy.Score(pool, scores)
		x := blas64.General{Rows: rows, Cols: pool.In, Stride: pool.In, Data: pool.Inputs}
		h := pol.Head.Forward(x, ws)
		dz := ws.DLogits()
		J := 0.0
		for i := range s.Batch {
			lo := i * K
			for k := range K {
				pi[k] = h.Data[(lo+k)*h.Stride] + pool.RefLogit[lo+k]
			}
			lz, lz0 := logSumExp(pi), logSumExp(pool.RefLogit[lo:lo+K])
			mg := 0.0
			for k := range K {
				lr := (pi[k] - lz) - (pool.RefLogit[lo+k] - lz0) // log π/π₀
				pi[k] = math.Exp(pi[k] - lz)
				g[k] = scores[lo+k] - s.KL*lr
				mg += pi[k] * g[k]
			}
			J += mg
			for k := range K {
				// Descend −J/B.
				dz.Data[(lo+k)*dz.Stride] = -pi[k] * (g[k] - mg) / float64(s.Batch)
			}
		}
		pol.Head.Backward(x, ws, grad, blas64.General{})
		opt.Step(pol.Head.Params, grad)
		var check []float64
		if step%16 == 1 || step == s.Steps {
			check = pol.Head.Params
		}
		if err := pipeline.CheckDiverged(step, -J/float64(s.Batch), check); err != nil {
			return fmt.Errorf("rl: %w", err)
		}
		if (every > 0 && step%every == 0) || step == s.Steps {
			if err := call(step); err != nil {
				return err
			}
		}
	}
	return nil
}
