package pipeline

import (
	"context"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
)

// A SoftDataset is a set of examples whose targets are distributions, not
// single answers: what a student distils from a teacher's soft outputs.
// Row i's target Q[i] is a distribution over its candidate columns
// [Lo[i], Hi[i]) and zero elsewhere.
type SoftDataset struct {
	X      blas64.General // N × In prompt features
	Lo, Hi []int          // candidate output columns [Lo[i], Hi[i]) of example i
	Q      blas64.General // N × Out target distributions
}

// NewSoftDataset returns a zeroed soft dataset of n examples of width in
// over out output columns.
func NewSoftDataset(n, in, out int) *SoftDataset {
	return &SoftDataset{
		X:  blas64.General{Rows: n, Cols: in, Stride: in, Data: make([]float64, n*in)},
		Lo: make([]int, n), Hi: make([]int, n),
		Q: blas64.General{Rows: n, Cols: out, Stride: out, Data: make([]float64, n*out)},
	}
}

// Len is the number of examples.
func (d *SoftDataset) Len() int { return len(d.Lo) }

// Row returns example i's features, to be filled or read.
func (d *SoftDataset) Row(i int) []float64 { return d.X.Data[i*d.X.Stride : i*d.X.Stride+d.X.Cols] }

// Target returns example i's target distribution (all Out columns).
func (d *SoftDataset) Target(i int) []float64 {
	return d.Q.Data[i*d.Q.Stride : i*d.Q.Stride+d.Q.Cols]
}

// gather copies the examples idx of d into b, reusing b's storage.
func (b *SoftDataset) gather(d *SoftDataset, idx []int) {
	n, in, out := len(idx), d.X.Cols, d.Q.Cols
	if cap(b.X.Data) < n*in || cap(b.Q.Data) < n*out {
		b.X.Data, b.Q.Data = make([]float64, n*in), make([]float64, n*out)
		b.Lo, b.Hi = make([]int, n), make([]int, n)
	}
	b.X = blas64.General{Rows: n, Cols: in, Stride: in, Data: b.X.Data[:n*in]}
	b.Q = blas64.General{Rows: n, Cols: out, Stride: out, Data: b.Q.Data[:n*out]}
	b.Lo, b.Hi = b.Lo[:n], b.Hi[:n]
	for k, i := range idx {
		copy(b.Row(k), d.Row(i))
		copy(b.Target(k), d.Target(i))
		b.Lo[k], b.Hi[k] = d.Lo[i], d.Hi[i]
	}
}

// SoftCrossEntropy returns the mean over rows of the cross-entropy
// −Σ_j q_rj log p_rj of the masked softmax p of z from the target rows q,
// and writes its gradient into dz:
//
//	∂L/∂z_rj = (p_rj − q_rj) / rows   for j ∈ [lo_r, hi_r), else 0,
//
// which holds when each q_r sums to one over the row's candidates. Its
// minimum is the targets' entropy, reached at p = q.
func SoftCrossEntropy(z blas64.General, lo, hi []int, q, dz blas64.General) float64 {
	return softCrossEntropy(bestKernel(), z, lo, hi, q, dz)
}

// softCrossEntropy is SoftCrossEntropy with its exponentials on kern.
func softCrossEntropy(kern kernel, z blas64.General, lo, hi []int, q, dz blas64.General) float64 {
	maskedSoftmax(kern, z, lo, hi, dz)
	n := float64(z.Rows)
	loss := 0.0
	for r := 0; r < z.Rows; r++ {
		qr := q.Data[r*q.Stride : r*q.Stride+q.Cols]
		dr := dz.Data[r*dz.Stride : r*dz.Stride+dz.Cols]
		for j := lo[r]; j < hi[r]; j++ {
			if qr[j] > 0 {
				loss -= qr[j] * log1(max(dr[j], 1e-300))
			}
			dr[j] = (dr[j] - qr[j]) / n
		}
	}
	return loss / n
}

// StepSoft takes one gradient step toward the soft targets of the
// examples idx of d (distillation) and returns the loss before the step.
func (t *Trainer) StepSoft(d *SoftDataset, idx []int) float64 {
	t.soft.gather(d, idx)
	b := &t.soft
	z := t.Model.Forward(b.X, t.ws)
	return t.descend(b.X, softCrossEntropy(t.ws.kern, z, b.Lo, b.Hi, b.Q, t.ws.DLogits()))
}

// RunSoft trains toward the soft targets of d as the stage says, with Run's
// schedule, probes and divergence checks.
func (t *Trainer) RunSoft(ctx context.Context, d *SoftDataset, st Stage, rng *rand.Rand, every int, probe Probe) error {
	return minibatches(ctx, d.Len(), st, rng, &t.idx, t.Model.Params, every, probe, func(idx []int) float64 { return t.StepSoft(d, idx) })
}
