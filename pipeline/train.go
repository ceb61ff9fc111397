package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
)

// A Probe is called during training at step 0, every k steps and after the
// last step, so that metrics are observed without the training code knowing
// about them. A non-nil error stops training; ErrStop stops it cleanly.
type Probe func(step int) error

// ErrStop, returned by a probe, ends a supervised stage after the step just
// probed, without error: an early stop.
var ErrStop = errors.New("stop training")

// DivergedError reports that training blew up: a non-finite or absurd loss,
// or parameters grown far beyond what a healthy small network holds.
type DivergedError struct {
	Step     int
	Loss     float64
	MaxParam float64 // largest |θ| after the step
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("training diverged at step %d (loss %.3g, largest |weight| %.3g): lower the learning rate", e.Step, e.Loss, e.MaxParam)
}

// Divergence thresholds. Cross-entropy over a few candidates starts near
// log 3 and the weights of these small networks stay of order one, so a loss
// or a weight this large means training has blown up (a learning rate far
// too high can also kill every ReLU, leaving a finite loss but giant weights).
const (
	maxLoss  = 1e6
	maxParam = 1e4
)

// paramCheckEvery is how often (in steps) the weights are scanned for
// divergence; the loss is checked at every step. Scanning every weight at
// every step would cost a sixth of a small network's step.
const paramCheckEvery = 16

// CheckDiverged returns a *DivergedError if loss or params show divergence.
// params may be nil to check the loss alone.
func CheckDiverged(step int, loss float64, params []float64) error {
	m := 0.0
	for _, v := range params {
		m = max(m, math.Abs(v))
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) || loss > maxLoss || math.IsNaN(m) || m > maxParam {
		return &DivergedError{Step: step, Loss: loss, MaxParam: m}
	}
	return nil
}

// Trainer runs supervised minibatch training of an MLP, toward single
// answers (Step, Run) or soft targets (StepSoft, RunSoft). It owns the
// workspaces, so that steps allocate nothing once it has warmed up.
type Trainer struct {
	Model *MLP
	Opt   Optimizer

	ws    *Workspace
	grad  []float64
	batch Dataset
	soft  SoftDataset
	idx   []int
}

// NewTrainer returns a trainer for m with optimiser opt.
func NewTrainer(m *MLP, opt Optimizer) *Trainer {
	return &Trainer{Model: m, Opt: opt, ws: NewWorkspace(m, 1), grad: make([]float64, len(m.Params))}
}

// Step takes one gradient step on the examples idx of d and returns the
// loss before the step.
func (t *Trainer) Step(d *Dataset, idx []int) float64 {
	t.batch.gather(d, idx)
	b := &t.batch
	z := t.Model.Forward(b.X, t.ws)
	return t.descend(b.X, crossEntropy(t.ws.kern, z, b.Lo, b.Hi, b.Y, t.ws.DLogits()))
}

// descend back-propagates the logits' gradient that the loss left in the
// workspace for the inputs x, steps the optimiser, and returns loss.
func (t *Trainer) descend(x blas64.General, loss float64) float64 {
	t.Model.Backward(x, t.ws, t.grad, blas64.General{})
	t.Opt.Step(t.Model.Params, t.grad)
	return loss
}

// Run trains on d as the stage says: Epochs shuffled passes in minibatches of
// Batch, or Steps minibatches drawn with replacement. probe (if not nil) is
// called at step 0, every `every` steps and after the last step.
func (t *Trainer) Run(ctx context.Context, d *Dataset, st Stage, rng *rand.Rand, every int, probe Probe) error {
	return minibatches(ctx, d.Len(), st, rng, &t.idx, t.Model.Params, every, probe, func(idx []int) float64 { return t.Step(d, idx) })
}

// minibatches is the loop of a supervised stage over n examples: Epochs
// shuffled passes in minibatches of Batch (default 32), or Steps
// minibatches drawn with replacement; step takes a gradient step on the
// examples idx and returns the loss before it. The loss is checked for
// divergence at every step and params every paramCheckEvery steps; probe
// (if not nil) is called at step 0, every `every` steps, after each of the
// first st.Dense steps and after the last; a probe that returns ErrStop ends
// the loop without error. buf is reused for the indices.
func minibatches(ctx context.Context, n int, st Stage, rng *rand.Rand, buf *[]int, params []float64, every int, probe Probe, step func(idx []int) float64) error {
	bs := st.Batch
	if bs <= 0 {
		bs = 32
	}
	bs = min(bs, n)
	total := st.TotalSteps(n)
	var perm []int
	if st.Epochs > 0 {
		perm = make([]int, n)
		for i := range perm {
			perm[i] = i
		}
	}
	if cap(*buf) < bs {
		*buf = make([]int, bs)
	}
	stopped := false
	call := func(s int) error {
		if probe == nil {
			return nil
		}
		err := probe(s)
		if errors.Is(err, ErrStop) {
			stopped = true
			return nil
		}
		return err
	}
	if err := call(0); err != nil || stopped {
		return err
	}
	pos := len(perm)
	for s := 1; s <= total; s++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		idx := (*buf)[:bs]
		if perm != nil {
			if pos >= len(perm) {
				rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
				pos = 0
			}
			idx = perm[pos:min(pos+bs, len(perm))]
			pos += len(idx)
		} else {
			for i := range idx {
				idx[i] = rng.IntN(n)
			}
		}
		loss := step(idx)
		var check []float64
		if s%paramCheckEvery == 1 || s == total {
			check = params
		}
		if err := CheckDiverged(s, loss, check); err != nil {
			return err
		}
		if st.Probed(s, every, total) {
			if err := call(s); err != nil || stopped {
				return err
			}
		}
	}
	return nil
}
