package pipeline

import (
	"context"
	"errors"
	"math/rand/v2"
)

// CoTSFT trains a CoTPolicy by imitation on complete episodes (chain of
// thought and action): maximum likelihood on every token and on the action
// given the bag of the episode's own tokens (teacher forcing),
//
//	L = −(1/B) Σ_i [ Σ_t log π(c_it | x_i) + log π(a_i | c_i, m_i x_i) ].
type CoTSFT struct {
	Policy *CoTPolicy
	Opt    Optimizer

	ws    *CoTWorkspace
	grad  []float64
	batch Episodes
	idx   []int
}

// NewCoTSFT returns a supervised trainer for p with optimiser opt.
func NewCoTSFT(p *CoTPolicy, opt Optimizer) *CoTSFT {
	return &CoTSFT{Policy: p, Opt: opt, ws: NewCoTWorkspace(p, 1), grad: make([]float64, len(p.Params))}
}

// Step takes one gradient step on the episodes idx of d and returns the loss
// before the step.
func (s *CoTSFT) Step(d *Episodes, idx []int) float64 {
	s.batch.gather(d, idx)
	e, p, ws := &s.batch, s.Policy, s.ws
	p.TokenProbs(e, ws)
	p.ActionProbs(e, ws)
	n := float64(e.Len())
	dt, da := ws.DTok(), ws.DAct()
	loss := 0.0
	for r := 0; r < e.Len(); r++ {
		pt, dtr := ws.PTok.Data[r*ws.PTok.Stride:r*ws.PTok.Stride+ws.PTok.Cols], dt.Data[r*dt.Stride:r*dt.Stride+dt.Cols]
		for j, v := range pt {
			dtr[j] = v / n
		}
		for t, c := range e.Tokens[r*p.T : (r+1)*p.T] {
			k := t*p.V + c
			loss -= ws.LTok.Data[r*ws.LTok.Stride+k]
			dtr[k] -= 1 / n
		}
		pa, dar := ws.PAct.Data[r*ws.PAct.Stride:r*ws.PAct.Stride+p.A], da.Data[r*da.Stride:r*da.Stride+da.Cols]
		for j, v := range pa {
			dar[j] = v / n
		}
		loss -= ws.LAct.Data[r*ws.LAct.Stride+e.Action[r]]
		dar[e.Action[r]] -= 1 / n
	}
	p.Backward(e, ws, s.grad)
	s.Opt.Step(p.Params, s.grad)
	return loss / n
}

// Run trains on d as st says: Epochs shuffled passes in minibatches of Batch,
// or Steps minibatches drawn with replacement. probe (if not nil) is called
// at step 0, every `every` steps and after the last step.
func (s *CoTSFT) Run(ctx context.Context, d *Episodes, st Stage, rng *rand.Rand, every int, probe Probe) error {
	if d.Len() == 0 {
		return errors.New("cot sft: no examples")
	}
	return minibatches(ctx, d.Len(), st, rng, &s.idx, s.Policy.Params, every, probe, func(idx []int) float64 { return s.Step(d, idx) })
}
