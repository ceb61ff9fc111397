package pipeline

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// An RLEnv poses tasks to a CoTPolicy and pays for what it does. It is the
// world's side of an "rl" stage.
type RLEnv interface {
	// Tasks fills e.X and e.Masked, already sized, with a new batch of tasks.
	Tasks(e *Episodes, rng *rand.Rand)
	// Rewards fills e.Reward from the tasks, the chains of thought and the
	// actions. step is the RL step, from 1.
	Rewards(step int, e *Episodes, rng *rand.Rand)
}

// RLStats summarise one RL step's batch.
type RLStats struct {
	Reward   float64 // mean reward
	KL       float64 // mean KL(π‖ref) summed over positions and action (0 unless β > 0)
	Entropy  float64 // mean entropy over positions and action
	Baseline float64 // mean baseline b(x)
}

// RLTrainer trains a CoTPolicy by REINFORCE with a baseline, a KL penalty to
// a frozen reference and an entropy bonus. Each step samples a batch of B
// episodes and descends the surrogate
//
//	L = −(1/B) Σ_i (R_i − b(x_i)) [Σ_t log π(c_it|x_i) + log π(a_i|c_i, m_i x_i)]
//	    + β (1/B) Σ_i [Σ_t KL(π_t(·|x_i) ‖ ref_t) + KL(π(·|c_i, m_i x_i) ‖ ref(·|c_i, m_i x_i))]
//	    − α (1/B) Σ_i [Σ_t H(π_t(·|x_i)) + H(π(·|c_i, m_i x_i))],
//
// whose first term is the score-function estimate of −∇E[R] through every
// sampled choice, and whose KL and entropy terms are exact per position
// given the sampled tokens. The baseline b(x) = w·x + w₀ is fitted to the
// reward by SGD with rate ρ: with ValueBaseline "mean" only w₀ moves (a
// running mean, w₀ ← w₀ + ρ(R̄ − w₀)); with "learned" w moves too; with
// "batch" b is the batch's own mean reward and nothing is fitted.
type RLTrainer struct {
	Policy *CoTPolicy
	Ref    *CoTPolicy // frozen reference for the KL penalty; nil: none
	Opt    Optimizer
	Params RLParams
	Batch  int

	// Value holds the baseline's weights w (len In) followed by w₀.
	Value   []float64
	started bool

	ws, wsRef *CoTWorkspace
	eps       Episodes
	grad      []float64
	adv, base []float64
}

// NewRLTrainer returns a trainer of p against the frozen reference ref (nil
// for none) with optimiser opt, the knobs rp, and batches of batch episodes.
func NewRLTrainer(p, ref *CoTPolicy, opt Optimizer, rp RLParams, batch int) (*RLTrainer, error) {
	if err := rp.Validate(); err != nil {
		return nil, fmt.Errorf("rl: %w", err)
	}
	if batch <= 0 {
		return nil, fmt.Errorf("rl: batch must be > 0, got %d", batch)
	}
	if ref != nil && (ref.T != p.T || ref.V != p.V || ref.A != p.A || ref.In() != p.In()) {
		return nil, fmt.Errorf("rl: reference policy's shape differs from the policy's")
	}
	t := &RLTrainer{
		Policy: p, Ref: ref, Opt: opt, Params: rp, Batch: batch,
		Value: make([]float64, p.In()+1),
		ws:    NewCoTWorkspace(p, batch),
		grad:  make([]float64, len(p.Params)),
		adv:   make([]float64, batch), base: make([]float64, batch),
	}
	if ref != nil {
		t.wsRef = NewCoTWorkspace(ref, batch)
	}
	t.eps.Resize(batch, p.In(), p.T)
	return t, nil
}

// Grad is the gradient of the last step's surrogate, len(Policy.Params).
func (t *RLTrainer) Grad() []float64 { return t.grad }

// Gradient samples a batch from env, computes the surrogate's gradient into
// Grad and fits the baseline, without moving the policy.
func (t *RLTrainer) Gradient(step int, env RLEnv, rng *rand.Rand) RLStats {
	e := &t.eps
	env.Tasks(e, rng)
	t.Policy.Act(e, t.ws, rng)
	env.Rewards(step, e, rng)

	mode := t.Params.ValueBaseline
	in := t.Policy.In()
	w, w0 := t.Value[:in], &t.Value[in]
	if !t.started && mode != "none" {
		*w0 = mean(e.Reward) // start the running mean where the rewards are
		t.started = true
	}
	var st RLStats
	batchMean := mean(e.Reward)
	for i := range e.Reward {
		b := 0.0
		switch mode {
		case "none":
		case "batch":
			b = batchMean
		case "learned":
			b = *w0 + dot(w, e.Row(i))
		default:
			b = *w0
		}
		t.base[i] = b
		t.adv[i] = e.Reward[i] - b
		st.Reward += e.Reward[i]
		st.Baseline += b
	}
	n := float64(e.Len())
	st.Reward /= n
	st.Baseline /= n
	_, st.KL, st.Entropy = t.surrogate(e, t.adv, false)

	// Fit the baseline: SGD on ½(b(x) − R)².
	if mode != "none" && mode != "batch" {
		rate := t.Params.BaselineRate
		if rate == 0 {
			rate = DefaultBaselineRate
		}
		g0 := 0.0
		for i := range e.Reward {
			g0 += t.base[i] - e.Reward[i]
		}
		if mode == "learned" {
			for i := range e.Reward {
				d := rate * (t.base[i] - e.Reward[i]) / n
				for k, x := range e.Row(i) {
					w[k] -= d * x
				}
			}
		}
		*w0 -= rate * g0 / n
	}
	return st
}

// Step takes one RL step: Gradient, then an optimiser step.
func (t *RLTrainer) Step(step int, env RLEnv, rng *rand.Rand) RLStats {
	st := t.Gradient(step, env, rng)
	t.Opt.Step(t.Policy.Params, t.grad)
	return st
}

// surrogate computes the surrogate loss of the episodes e under advantages
// adv, writes its gradient into t.grad, and returns the loss and the mean KL
// and entropy per episode. With fresh it first runs the forward passes of
// the policy (Act has already left them in t.ws during a step). The
// reference runs only when β > 0, and the KL reported is 0 otherwise.
func (t *RLTrainer) surrogate(e *Episodes, adv []float64, fresh bool) (loss, kl, ent float64) {
	p, ws := t.Policy, t.ws
	if fresh {
		p.TokenProbs(e, ws)
		p.ActionProbs(e, ws)
	}
	useRef := t.Ref != nil && t.Params.KL > 0
	if useRef {
		t.Ref.TokenProbs(e, t.wsRef)
		t.Ref.ActionProbs(e, t.wsRef)
	}
	n := float64(e.Len())
	beta, alpha := t.Params.KL/n, t.Params.Entropy/n
	tv := p.T * p.V
	dt, da := ws.DTok().Data, ws.DAct().Data
	for r := 0; r < e.Len(); r++ {
		a := adv[r] / n
		// Token positions: ∂(−a log p_c)/∂z_k = a (p_k − [k = c]).
		pt, lt, dtr := ws.PTok.Data[r*tv:(r+1)*tv], ws.LTok.Data[r*tv:(r+1)*tv], dt[r*tv:(r+1)*tv]
		for k, v := range pt {
			dtr[k] = a * v
		}
		for tt, c := range e.Tokens[r*p.T : (r+1)*p.T] {
			k := tt*p.V + c
			loss -= a * lt[k]
			dtr[k] -= a
			lo, hi := tt*p.V, (tt+1)*p.V
			if useRef {
				lq := t.wsRef.LTok.Data[r*tv : (r+1)*tv]
				k := klGrad(pt[lo:hi], lt[lo:hi], lq[lo:hi], dtr[lo:hi], beta)
				kl += k
				loss += beta * k
			}
			h := entropyGrad(pt[lo:hi], lt[lo:hi], dtr[lo:hi], -alpha)
			ent += h
			loss -= alpha * h
		}
		// Action.
		a0, a1 := r*p.A, (r+1)*p.A
		pa, la, dar := ws.PAct.Data[a0:a1], ws.LAct.Data[a0:a1], da[a0:a1]
		for k, v := range pa {
			dar[k] = a * v
		}
		c := e.Action[r]
		loss -= a * la[c]
		dar[c] -= a
		if useRef {
			k := klGrad(pa, la, t.wsRef.LAct.Data[a0:a1], dar, beta)
			kl += k
			loss += beta * k
		}
		h := entropyGrad(pa, la, dar, -alpha)
		ent += h
		loss -= alpha * h
	}
	p.Backward(e, ws, t.grad)
	return loss, kl / n, ent / n
}

// Run trains for st.Steps steps against env. probe (if not nil) is called at
// step 0, every `every` steps and after the last step.
func (t *RLTrainer) Run(ctx context.Context, env RLEnv, st Stage, rng *rand.Rand, every int, probe Probe) error {
	if probe != nil {
		if err := probe(0); err != nil {
			return err
		}
	}
	for step := 1; step <= st.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		s := t.Step(step, env, rng)
		if bad(s.Reward) || bad(s.KL) || bad(s.Entropy) || bad(s.Baseline) {
			return &DivergedError{Step: step, Loss: s.Reward + s.KL + s.Entropy + s.Baseline, MaxParam: maxAbs(t.Policy.Params)}
		}
		// The weights, like a supervised stage's: a learning rate far too
		// high can leave every statistic finite while the weights explode.
		if step%paramCheckEvery == 1 || step == st.Steps {
			if m := max(maxAbs(t.Policy.Params), maxAbs(t.Value)); math.IsNaN(m) || m > maxParam {
				return &DivergedError{Step: step, Loss: -s.Reward, MaxParam: m}
			}
		}
		if probe != nil && ((every > 0 && step%every == 0) || step == st.Steps) {
			if err := probe(step); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxAbs is the largest |v| of vs; NaN if any is NaN.
func maxAbs(vs []float64) float64 {
	m := 0.0
	for _, v := range vs {
		if math.IsNaN(v) {
			return v
		}
		m = max(m, math.Abs(v))
	}
	return m
}

func bad(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxLoss }

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}
