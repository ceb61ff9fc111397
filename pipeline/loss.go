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
	shiftRows(z, lo, hi, p)
	expRows(kern, p, lo, hi)
	for r := 0; r < z.Rows; r++ {
		pr := p.Data[r*p.Stride : r*p.Stride+p.Cols]
		normalise(pr[lo[r]:hi[r]])
	}
}

// shiftRows writes into p, row by row, z − max over the row's candidates
// [lo, hi) at the candidates, the stable argument of the exponentials. The
// other columns are left as they are.
func shiftRows(z blas64.General, lo, hi []int, p blas64.General) {
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
		for j := a; j < b; j++ {
			pr[j] = zr[j] - m
		}
	}
}

// expRows exponentiates the candidates that shiftRows wrote and zeroes the
// other columns. With a vector kernel the candidates of all rows are first
// packed to the front of p's storage, exponentiated in one pass and moved
// back; pure Go takes them one by one. Both give the same bits.
func expRows(kern kernel, p blas64.General, lo, hi []int) {
	if kern == kernGo || p.Stride < p.Cols {
		for r := 0; r < p.Rows; r++ {
			pr := p.Data[r*p.Stride : r*p.Stride+p.Cols]
			for j := lo[r]; j < hi[r]; j++ {
				pr[j] = exp1(pr[j])
			}
			clear(pr[:lo[r]])
			clear(pr[hi[r]:])
		}
		return
	}
	// Packing writes at or before where it reads (a row's candidates move
	// back by at most the columns of the rows before it), and unpacking,
	// from the last row back, writes at or after where it reads, so neither
	// overwrites a value it has still to move.
	k := 0
	for r := 0; r < p.Rows; r++ {
		k += copy(p.Data[k:], p.Data[r*p.Stride+lo[r]:r*p.Stride+hi[r]])
	}
	expSlice(kern, p.Data[:k], p.Data[:k])
	for r := p.Rows - 1; r >= 0; r-- {
		k -= hi[r] - lo[r]
		pr := p.Data[r*p.Stride : r*p.Stride+p.Cols]
		copy(pr[lo[r]:hi[r]], p.Data[k:k+hi[r]-lo[r]])
		clear(pr[:lo[r]])
		clear(pr[hi[r]:])
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
