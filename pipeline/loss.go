package pipeline

import (
	"math"

	"gonum.org/v1/gonum/blas/blas64"
)

// Each prompt offers its own candidate responses: row r of a batch may only
// answer with the output columns [lo[r], hi[r]). Giving each domain disjoint
// candidates matters: a shared output unit would make generalisation across
// domains trivial, and the toy would prove nothing.

// MaskedSoftmax writes into p the softmax of each row of z restricted to its
// candidate columns,
//
//	p_rj = exp(z_rj) / Σ_{k∈[lo_r,hi_r)} exp(z_rk)   for j ∈ [lo_r, hi_r), else 0.
func MaskedSoftmax(z blas64.General, lo, hi []int, p blas64.General) {
	maskedSoftmax(bestKernel(), z, lo, hi, p)
}

// maskedSoftmax is MaskedSoftmax with its exponentials on kern.
func maskedSoftmax(kern kernel, z blas64.General, lo, hi []int, p blas64.General) {
	shiftRows(kern, z, lo, hi, p)
	expRows(kern, p, lo, hi)
	for r := 0; r < z.Rows; r++ {
		pr := p.Data[r*p.Stride : r*p.Stride+p.Cols]
		normalise(pr[lo[r]:hi[r]])
	}
}

// shiftRows writes into p, row by row, z − max over the row's candidates
// [lo, hi) at the candidates, the stable argument of the exponentials. The
// other columns get −Inf (whose exponential is 0) when kern has vector
// loops, which exponentiate whole rows, and 0 otherwise.
func shiftRows(kern kernel, z blas64.General, lo, hi []int, p blas64.General) {
	for r := 0; r < z.Rows; r++ {
		zr := z.Data[r*z.Stride : r*z.Stride+z.Cols]
		pr := p.Data[r*p.Stride : r*p.Stride+p.Cols]
		a, b := lo[r], hi[r]
		m := math.Inf(-1)
		for _, v := range zr[a:b] {
			if v > m { // not the builtin max, whose NaN and ±0 care costs a fifth of a softmax
				m = v
			}
		}
		if kern == kernGo {
			clear(pr)
		} else {
			for j := range pr {
				pr[j] = math.Inf(-1)
			}
		}
		for j := a; j < b; j++ {
			pr[j] = zr[j] - m
		}
	}
}

// expRows exponentiates what shiftRows wrote: the whole matrix in one vector
// pass when kern has one, else each row's candidates with exp1. Both give
// the candidates the same bits and the other columns 0.
func expRows(kern kernel, p blas64.General, lo, hi []int) {
	switch {
	case kern == kernGo:
		for r := 0; r < p.Rows; r++ {
			pr := p.Data[r*p.Stride : r*p.Stride+p.Cols]
			for j := lo[r]; j < hi[r]; j++ {
				pr[j] = exp1(pr[j])
			}
		}
	case p.Stride == p.Cols:
		expSlice(kern, p.Data[:p.Rows*p.Cols], p.Data[:p.Rows*p.Cols])
	default:
		for r := 0; r < p.Rows; r++ {
			pr := p.Data[r*p.Stride : r*p.Stride+p.Cols]
			expSlice(kern, pr, pr)
		}
	}
}

// normalise divides e by its sum.
func normalise(e []float64) {
	s := 0.0
	for _, v := range e {
		s += v
	}
	for j := range e {
		e[j] /= s
	}
}

// CrossEntropy returns the mean over rows of −log p_{r,y_r} under the masked
// softmax of z, and writes its gradient into dz:
//
//	∂L/∂z_rj = (p_rj − [j = y_r]) / rows   for j ∈ [lo_r, hi_r), else 0.
//
// dz may alias nothing but its own storage; it must have z's shape.
func CrossEntropy(z blas64.General, lo, hi, y []int, dz blas64.General) float64 {
	return crossEntropy(bestKernel(), z, lo, hi, y, dz)
}

// crossEntropy is CrossEntropy with its exponentials on kern.
func crossEntropy(kern kernel, z blas64.General, lo, hi, y []int, dz blas64.General) float64 {
	maskedSoftmax(kern, z, lo, hi, dz)
	n := float64(z.Rows)
	loss := 0.0
	for r := 0; r < z.Rows; r++ {
		dr := dz.Data[r*dz.Stride : r*dz.Stride+dz.Cols]
		loss -= log1(max(dr[y[r]], 1e-300))
		dr[y[r]] -= 1
		for j := lo[r]; j < hi[r]; j++ {
			dr[j] /= n
		}
	}
	return loss / n
}
