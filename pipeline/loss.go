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
	for r := 0; r < z.Rows; r++ {
		zr := z.Data[r*z.Stride : r*z.Stride+z.Cols]
		pr := p.Data[r*p.Stride : r*p.Stride+p.Cols]
		clear(pr)
		softmaxRange(zr, pr, lo[r], hi[r])
	}
}

// softmaxRange writes the softmax of z[a:b] into p[a:b], shifted by the
// maximum for stability.
func softmaxRange(z, p []float64, a, b int) {
	m := math.Inf(-1)
	for _, v := range z[a:b] {
		if v > m { // not the builtin max, whose NaN and ±0 care costs a fifth of a softmax
			m = v
		}
	}
	s := 0.0
	for j := a; j < b; j++ {
		e := math.Exp(z[j] - m)
		p[j] = e
		s += e
	}
	for j := a; j < b; j++ {
		p[j] /= s
	}
}

// CrossEntropy returns the mean over rows of −log p_{r,y_r} under the masked
// softmax of z, and writes its gradient into dz:
//
//	∂L/∂z_rj = (p_rj − [j = y_r]) / rows   for j ∈ [lo_r, hi_r), else 0.
//
// dz may alias nothing but its own storage; it must have z's shape.
func CrossEntropy(z blas64.General, lo, hi, y []int, dz blas64.General) float64 {
	n := float64(z.Rows)
	loss := 0.0
	for r := 0; r < z.Rows; r++ {
		zr := z.Data[r*z.Stride : r*z.Stride+z.Cols]
		dr := dz.Data[r*dz.Stride : r*dz.Stride+dz.Cols]
		clear(dr)
		softmaxRange(zr, dr, lo[r], hi[r])
		loss -= math.Log(max(dr[y[r]], 1e-300))
		dr[y[r]] -= 1
		for j := lo[r]; j < hi[r]; j++ {
			dr[j] /= n
		}
	}
	return loss / n
}
