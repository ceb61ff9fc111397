package pipeline

//go:generate go run gemm_gen.go

import (
	"math"

	"gonum.org/v1/gonum/blas/blas64"
)

// The matrix products of a training step are tiny (a batch of 64 rows
// against 32×32 weights), so per-call overhead and wasted multiplications
// matter more than peak arithmetic. The products here are written for that:
//
//   - The rows of a layer's input are packed once into lists of their
//     nonzero columns. ReLU zeroes about half of every hidden layer, a
//     one-hot input most of its block, and the gradient of the masked
//     softmax all but 3 of each row's outputs, so skipping the zeros skips
//     about half of the multiply-adds.
//   - The forward product then accumulates, per row i, b + Σ_k A[i,k]·W[k,·]
//     over the packed k in registers and applies ReLU (or the backward
//     pass's ReLU mask) on the way out (fmaRows).
//   - The backward pass runs the same products on transposes: the weight
//     gradient [∂W; ∂b] = [Aᵀ; 1ᵀ]·δ packs the columns of the layer's input
//     A (and a row of ones for the bias), and δ_{l-1} = δ_l W_lᵀ packs the
//     rows of δ_l, of which the masked softmax leaves 3 per row nonzero.
//
// Every output element is one chain of fused multiply-adds over the packed
// columns in order, acc ← fma(a, b, acc), from acc = the bias (or 0). The
// assembly kernels
// (gemm_amd64.s, AVX2 or AVX-512) and the pure-Go ones below (math.FMA)
// perform exactly
// those chains, so results are bit for bit the same on every CPU and for
// any worker count: a kernel only decides how many columns it holds in
// registers, which changes no element's chain.

// Epilogue modes of fmaRows.
const (
	modePlain = 0 // C = acc
	modeReLU  = 1 // C = relu(acc): 0 where acc < 0 (NaN and −0 pass)
	modeMask  = 2 // C = acc, but 0 where M ≤ 0 (the ReLU mask of the backward pass)
)

// maxChunk is the widest column chunk one kernel call keeps in registers
// (8 vectors of 4 and a tail of up to 3); wider outputs are cut into chunks
// of chunkCols.
const (
	maxChunk  = 35
	chunkCols = 32
)

// A kernel is the instruction set the products run on. All give the same
// bits.
type kernel uint8

const (
	kernGo     kernel = iota // pure Go (math.FMA)
	kernAVX2                 // AVX2 and FMA assembly
	kernAVX512               // AVX-512 assembly for rows products and packing, AVX2 for transposes
)

// packPad is the room a packed row needs beyond its entries: the assembly
// packers store 4 or 8 at a time.
const packPad = 7

// packed lists, for each row i of a matrix A, the columns k with
// A[i,k] ≠ 0 in increasing order (by bits: −0 and +0 are skipped, NaN is
// kept). The values stay in A.
type packed struct {
	rows   int
	stride int // entries reserved per row
	cnt    []int32
	idx    []int32
}

// resize makes room for rows rows of up to cols columns, reusing storage.
func (p *packed) resize(rows, cols int) {
	s := cols + packPad
	p.reserve(rows*s, rows)
	p.rows, p.stride = rows, s
	p.idx, p.cnt = p.idx[:rows*s], p.cnt[:rows]
}

// reserve makes room for entries entries over up to rows rows.
func (p *packed) reserve(entries, rows int) {
	if cap(p.idx) < entries {
		p.idx = make([]int32, entries)
	}
	if cap(p.cnt) < rows {
		p.cnt = make([]int32, rows)
	}
}

// pack fills p from the rows of a.
func (p *packed) pack(kern kernel, a blas64.General) {
	p.resize(a.Rows, a.Cols)
	if a.Rows == 0 {
		return
	}
	if kern >= kernAVX2 {
		_ = a.Data[(a.Rows-1)*a.Stride+a.Cols-1]
		packRowsAsm(kern, a.Rows, &a.Data[0], a.Stride*8, a.Cols, &p.cnt[0], &p.idx[0], p.stride*4)
		return
	}
	for i := 0; i < a.Rows; i++ {
		row := a.Data[i*a.Stride : i*a.Stride+a.Cols]
		idx := p.idx[i*p.stride : i*p.stride+len(row)]
		n := 0
		for k, v := range row {
			idx[n] = int32(k)
			b := math.Float64bits(v) << 1 // drop the sign: ±0 → 0
			n += int((b | -b) >> 63)      // 1 unless v is ±0, without a branch
		}
		p.cnt[i] = int32(n)
	}
}

// transpose writes the transpose of a (r × c) into t (c × r, stride ldt).
func transpose(kern kernel, a blas64.General, t []float64, ldt int) {
	r, c := a.Rows, a.Cols
	if r == 0 || c == 0 {
		return
	}
	_ = t[(c-1)*ldt+r-1]
	r4, c4 := 0, 0
	if kern >= kernAVX2 {
		r4, c4 = r&^3, c&^3
		if r4 > 0 && c4 > 0 {
			transposeAsm(&a.Data[0], a.Stride*8, r4/4, c4/4, &t[0], ldt*8)
		} else {
			r4, c4 = 0, 0
		}
	}
	// What the blocks left: the rows from r4 on, then the columns from c4 on.
	for i := r4; i < r; i++ {
		for j, v := range a.Data[i*a.Stride : i*a.Stride+c] {
			t[j*ldt+i] = v
		}
	}
	for i := 0; i < r4; i++ {
		for j := c4; j < c; j++ {
			t[j*ldt+i] = a.Data[i*a.Stride+j]
		}
	}
}

// fmaRows sets, for each row i of a (packed in p),
//
//	C[i, 0:n] = epilogue(bias + Σ_{k ∈ p_i} A[i,k]·B[k, 0:n]),
//
// one fused multiply-add chain per element in the order of p, from the bias
// (nil: 0). The epilogue is mode's, with M (stride ldm) the mask matrix of
// modeMask.
func fmaRows(kern kernel, p *packed, a blas64.General, b []float64, ldb int, bias []float64, n int, c []float64, ldc int, mode int, msk []float64, ldm int) {
	if p.rows == 0 || n == 0 {
		return
	}
	if kern >= kernAVX2 {
		fmaRowsAsm(kern, p, a, b, ldb, bias, n, c, ldc, mode, msk, ldm)
		return
	}
	fmaRowsGo(p, a, b, ldb, bias, n, c, ldc, mode, msk, ldm)
}

func fmaRowsGo(p *packed, a blas64.General, b []float64, ldb int, bias []float64, n int, c []float64, ldc int, mode int, msk []float64, ldm int) {
	for i := 0; i < p.rows; i++ {
		ci := c[i*ldc : i*ldc+n]
		if bias != nil {
			copy(ci, bias[:n])
		} else {
			clear(ci)
		}
		ai := a.Data[i*a.Stride : i*a.Stride+a.Cols]
		idx := p.idx[i*p.stride : i*p.stride+int(p.cnt[i])]
		// Four columns at a time in registers; each element's chain is
		// the same as one column at a time.
		j := 0
		for ; j+4 <= n; j += 4 {
			ci[j], ci[j+1], ci[j+2], ci[j+3] = chain4(idx, ai, b[j:], ldb, ci[j], ci[j+1], ci[j+2], ci[j+3])
		}
		for ; j < n; j++ {
			ci[j] = chain1(idx, ai, b[j:], ldb, ci[j])
		}
		switch mode {
		case modeReLU:
			for j, x := range ci {
				if x < 0 {
					ci[j] = 0
				}
			}
		case modeMask:
			for j, m := range msk[i*ldm : i*ldm+n] {
				if m <= 0 {
					ci[j] = 0
				}
			}
		}
	}
}

// chain4 runs the chains of four adjacent columns of fmaRowsGo: for each
// packed column k in order, c_j = fma(a[k], b[k·ldb + j], c_j).
func chain4(idx []int32, a, b []float64, ldb int, c0, c1, c2, c3 float64) (float64, float64, float64, float64) {
	for _, k := range idx {
		v := a[k]
		bk := b[int(k)*ldb:]
		bk = bk[:4]
		c0 = math.FMA(v, bk[0], c0)
		c1 = math.FMA(v, bk[1], c1)
		c2 = math.FMA(v, bk[2], c2)
		c3 = math.FMA(v, bk[3], c3)
	}
	return c0, c1, c2, c3
}

// chain1 is chain4 for one column.
func chain1(idx []int32, a, b []float64, ldb int, c float64) float64 {
	for _, k := range idx {
		c = math.FMA(a[k], b[int(k)*ldb], c)
	}
	return c
}

// chunkWidth is the width of the next column chunk when rest columns remain.
func chunkWidth(rest int) int {
	if rest > maxChunk {
		return chunkCols
	}
	return rest
}
