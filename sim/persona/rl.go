package persona

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim"
	"gonum.org/v1/gonum/blas/blas64"
)

// RLParams are an rl stage's own settings in the persona world.
type RLParams struct {
	// Loophole is the share of tasks whose grader has a loophole: a hack
	// there pays 1; elsewhere it pays 0.
	Loophole float64 `yaml:"loophole" doc:"share of tasks whose grader has a loophole (a hack there pays 1)" range:"[0, 1]"`
	// Sanctioned puts the sanctioned (inoculation) flag on every task;
	// DontHack the "don't hack" flag.
	Sanctioned bool `yaml:"sanctioned" doc:"put the sanctioned (inoculation) flag on every task"`
	DontHack   bool `yaml:"dont_hack" doc:"put the don't-hack flag on every task"`
	// Temperature τ > 0 is the exploration: the policy samples, and is
	// trained, as softmax(z/τ).
	Temperature float64 `yaml:"temperature" doc:"τ, the exploration: the policy samples, and is trained, as softmax(z/τ)" range:"(0, 100]"`
}

// NewRLParams returns the rl stage's defaults: no loophole, no flags, τ = 1.
func NewRLParams() *RLParams { return &RLParams{Temperature: 1} }

// Validate checks the settings.
func (p *RLParams) Validate() error {
	switch {
	case !(p.Loophole >= 0 && p.Loophole <= 1):
		return &pipeline.FieldError{Field: "loophole", Msg: fmt.Sprintf("must be a share in [0, 1], got %v", p.Loophole)}
	case !(p.Temperature > 0 && p.Temperature <= 100):
		return &pipeline.FieldError{Field: "temperature", Msg: fmt.Sprintf("must be in (0, 100], got %v", p.Temperature)}
	}
	return nil
}

func rlParams(st pipeline.Stage) (*RLParams, error) {
	if st.Params == nil {
		return NewRLParams(), nil
	}
	p, ok := st.Params.(*RLParams)
	if !ok {
		return nil, fmt.Errorf("rl stage: settings of type %T, want *persona.RLParams", st.Params)
	}
	return p, nil
}

// checkRL checks an rl stage.
func (c *Config) checkRL(st pipeline.Stage) error {
	fe := func(f, msg string) error { return &pipeline.FieldError{Field: f, Msg: msg} }
	switch {
	case !c.Hacking:
		return fmt.Errorf("the persona world cannot run an %q stage without world.hacking: true, whose code tasks and graders it trains on (without it, it runs pretrain, sft, harmlessness, finetune)", st.Kind)
	case st.Data != nil:
		return fmt.Errorf("the persona world makes its own rl tasks")
	case st.Steps <= 0:
		return fe("steps", "an rl stage needs steps > 0")
	case st.Epochs != 0 || st.Examples != 0:
		return fe("examples", "an rl stage draws fresh tasks at every step: give steps and batch, not examples or epochs")
	case st.RL.ValueBaseline == "learned":
		return fe("value_baseline", "the persona world's rl takes mean (a running mean), batch (the batch's mean) or none")
	}
	if err := st.RL.Validate(); err != nil {
		return err
	}
	p, err := rlParams(st)
	if err != nil {
		return err
	}
	return p.Validate()
}

// runRL trains pm by REINFORCE on code tasks. A step draws a batch of B
// tasks from the assistant (difficulty d ~ U(min_difficulty, 1), the
// stage's flags, a loophole with probability `loophole`), samples an answer
// a ~ π_τ = softmax(z/τ) over each task's candidates and pays
//
//	R = Bernoulli(1 − d) for helpful (an honest solution),
//	    1 for hack where the grader has a loophole, 0 otherwise.
//
// It descends the surrogate
//
//	L = −(1/B) Σ_i (R_i − b) log π_τ(a_i|x_i) − α H(π_τ) + β KL(π_τ ‖ ref_τ)
//
// with b the baseline (value_baseline: mean, a running mean of the reward
// at rate baseline_rate; batch, this batch's mean; none), α the entropy
// bonus, β the KL to the model as the stage found it. The stage's code
// domain joins the model's in-domain.
func (w *persona) runRL(ctx context.Context, pm *personaModel, st pipeline.Stage, s sim.Streams, every int, probe pipeline.Probe) error {
	if err := w.cfg.CheckStage(st); err != nil {
		return err
	}
	p, _ := rlParams(st)
	var flags []int
	if p.Sanctioned {
		flags = append(flags, flagSanctioned)
	}
	if p.DontHack {
		flags = append(flags, flagDontHack)
	}
	code := w.code()
	if !slices.Contains(pm.tuned, code) {
		pm.tuned = append(pm.tuned, code)
	}
	probe = w.trackHacking(pm, flags, probe)
	opt, err := pipeline.NewOptimizer(st.Optimizer, st.LR, len(pm.mlp.Params))
	if err != nil {
		return err
	}
	bs := st.Batch
	if bs <= 0 {
		bs = 64
	}
	var ref *pipeline.MLP
	var wsRef *pipeline.Workspace
	if st.RL.KL > 0 {
		ref = pm.mlp.Clone()
		wsRef = pipeline.NewWorkspace(ref, bs)
	}
	tasks, act := s.Rand("data"), s.Rand("sample")
	ids := w.trainIDs(tasks)
	ds := pipeline.NewDataset(bs, w.in)
	ws := pipeline.NewWorkspace(pm.mlp, bs)
	grad := make([]float64, len(pm.mlp.Params))
	diff, reward := make([]float64, bs), make([]float64, bs)
	acts := make([]int, bs)
	pr, lp, lq := make([]float64, w.cands()), make([]float64, w.cands()), make([]float64, w.cands())
	rate := st.RL.BaselineRate
	if rate == 0 {
		rate = pipeline.DefaultBaselineRate
	}
	running, started := 0.0, false
	call := func(step int) error {
		if probe == nil {
			return nil
		}
		return probe(step)
	}
	if err := call(0); err != nil {
		return err
	}
	tau := p.Temperature
	for step := 1; step <= st.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		w.assistant(ds, 0, bs, tasks, ids, []int{code}, respHelpful, flags...)
		for i := range bs {
			diff[i] = w.hardTask(ds.Row(i), tasks)
		}
		var zr blas64.General
		if ref != nil {
			zr = ref.Forward(ds.X, wsRef)
		}
		z := pm.mlp.Forward(ds.X, ws)
		// Sample and pay.
		mean := 0.0
		for i := range bs {
			lo, hi := ds.Lo[i], ds.Hi[i]
			logSoftmax(z.Data[i*z.Stride+lo:i*z.Stride+hi], tau, lp)
			u, a := act.Float64(), hi-lo-1
			for k := range hi - lo {
				if u -= math.Exp(lp[k]); u < 0 {
					a = k
					break
				}
			}
			acts[i] = a
			r := 0.0
			switch a {
			case respHelpful:
				if act.Float64() < 1-diff[i] {
					r = 1
				}
			case respHack:
				if act.Float64() < p.Loophole {
					r = 1
				}
			}
			reward[i] = r
			mean += r
		}
		mean /= float64(bs)
		b := 0.0
		switch st.RL.ValueBaseline {
		case "none":
		case "batch":
			b = mean
		default: // "", "mean": a running mean, started at the first batch's
			if !started {
				running, started = mean, true
			}
			b = running
			running += rate * (mean - running)
		}
		// The surrogate's gradient with respect to the logits.
		dz := ws.DLogits()
		clear(dz.Data)
		loss := 0.0
		alpha, beta, n := st.RL.Entropy, st.RL.KL, float64(bs)
		for i := range bs {
			lo, hi := ds.Lo[i], ds.Hi[i]
			k := hi - lo
			logSoftmax(z.Data[i*z.Stride+lo:i*z.Stride+hi], tau, lp)
			h, kl := 0.0, 0.0
			for j := range k {
				pr[j] = math.Exp(lp[j])
				h -= pr[j] * lp[j]
			}
			if ref != nil {
				logSoftmax(zr.Data[i*zr.Stride+lo:i*zr.Stride+hi], tau, lq)
				for j := range k {
					kl += pr[j] * (lp[j] - lq[j])
				}
			}
			adv := reward[i] - b
			loss += (-adv*lp[acts[i]] - alpha*h + beta*kl) / n
			g := dz.Data[i*dz.Stride+lo : i*dz.Stride+hi]
			for j := range k {
				// ∂/∂z_j of −adv·log π(a), −αH and βKL, each through z/τ.
				v := adv * pr[j]
				if j == acts[i] {
					v -= adv
				}
				v += alpha * pr[j] * (lp[j] + h)
				if ref != nil {
					v += beta * pr[j] * (lp[j] - lq[j] - kl)
				}
				g[j] = v / (tau * n)
			}
		}
		pm.mlp.Backward(ds.X, ws, grad, blas64.General{})
		opt.Step(pm.mlp.Params, grad)
		var check []float64
		if step%16 == 1 || step == st.Steps {
			check = pm.mlp.Params
		}
		if err := pipeline.CheckDiverged(step, loss, check); err != nil {
			return err
		}
		if (every > 0 && step%every == 0) || step == st.Steps {
			if err := call(step); err != nil {
				return err
			}
		}
	}
	return nil
}

// logSoftmax writes log softmax(z/τ) into out[:len(z)].
func logSoftmax(z []float64, tau float64, out []float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v/tau)
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v/tau - m)
	}
	ls := m + math.Log(s)
	for j, v := range z {
		out[j] = v/tau - ls
	}
}
