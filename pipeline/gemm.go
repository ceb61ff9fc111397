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
//     nonzero entries. ReLU zeroes about half of every hidden layer, a
//     one-hot input most of its block, and the gradient of the masked
//     softmax all but 3 of each row's outputs, so skipping the zeros skips
//     about half of the multiply-adds. The bias is one more entry of value 1
//     pointing at the bias row, which in Params follows the weights.
//   - The forward product then accumulates, per row, Σ_e val_e·B[off_e, ·]
//     in registers and applies ReLU (or the backward pass's ReLU mask) on
//     the way out (fmaRows).
//   - The same packed lists give the weight gradient: ∂W = hᵀδ is the sum
//     over rows r and entries e of val_e·δ_r added to row off_e of ∂W, and
//     the bias entry adds δ_r to ∂b (fmaScatter). Nothing is transposed.
//
// Every output element is one chain of fused multiply-adds over its entries
// in order, acc ← fma(val, b, acc), from acc = 0. The AVX2 kernels
// (gemm_amd64.s) and the pure-Go ones below (math.FMA) perform exactly that
// chain, so results are bit for bit the same on every CPU and for any
// worker count; a kernel only decides how many columns it holds in
// registers, which does not change any element's chain.

// Epilogue modes of fmaRows.
const (
	modePlain = 0 // C = acc
	modeReLU  = 1 // C = relu(acc): 0 where acc < 0 (NaN passes)
	modeMask  = 2 // C = acc, but 0 where M ≤ 0 (the ReLU mask of the backward pass)
)

// maxChunk is the widest column chunk one kernel call keeps in registers
// (8 vectors of 4 and a tail of up to 3); wider outputs are cut into chunks
// of chunkCols.
const (
	maxChunk  = 35
	chunkCols = 32
)

// packed holds the nonzero entries of the rows of a matrix A, for products
// A·B with a row-major B of stride ldb: row i's entries are
// (off, val) = (k·ldb·8, A[i,k]) for the k with A[i,k] ≠ 0 (by bits: −0 and
// +0 are skipped, NaN is kept), in increasing k, after an optional bias
// entry (cols·ldb·8, 1).
type packed struct {
	rows   int
	stride int // entries reserved per row
	cnt    []int32
	off    []int64
	val    []float64
}

// resize makes room for rows rows of up to cols entries, reusing storage.
func (p *packed) resize(rows, cols int) {
	if n := rows * cols; cap(p.off) < n || cap(p.cnt) < rows {
		p.off, p.val = make([]int64, n), make([]float64, n)
		p.cnt = make([]int32, rows)
	}
	p.rows, p.stride = rows, cols
	p.off, p.val, p.cnt = p.off[:rows*cols], p.val[:rows*cols], p.cnt[:rows]
}

// packPad is the room a packed row needs beyond its entries: the assembly
// packer stores 4 entries at a time.
const packPad = 3

// pack fills p from the rows of a, for a B of stride ldb, with a leading
// bias entry if bias is set.
func (p *packed) pack(asm bool, a blas64.General, ldb int, bias bool) {
	extra := 0
	if bias {
		extra = 1
	}
	p.resize(a.Rows, a.Cols+extra+packPad)
	step := int64(ldb) * 8
	if asm {
		if a.Rows > 0 {
			_ = a.Data[(a.Rows-1)*a.Stride+a.Cols-1]
			packRowsAsm(a.Rows, &a.Data[0], a.Stride*8, a.Cols, &p.cnt[0], &p.off[0], &p.val[0], p.stride*8, step, extra)
		}
		return
	}
	for i := 0; i < a.Rows; i++ {
		row := a.Data[i*a.Stride : i*a.Stride+a.Cols]
		off := p.off[i*p.stride : (i+1)*p.stride]
		val := p.val[i*p.stride : (i+1)*p.stride]
		n := 0
		if bias {
			off[0], val[0] = int64(a.Cols)*step, 1
			n = 1
		}
		n = packRow(row, off, val, n, step)
		p.cnt[i] = int32(n)
	}
}

// packRow appends the nonzero entries of row to off and val from position
// n and returns the new count. off and val need room for n+len(row).
func packRow(row []float64, off []int64, val []float64, n int, step int64) int {
	off, val = off[:n+len(row)], val[:n+len(row)]
	o := int64(0)
	for _, v := range row {
		off[n], val[n] = o, v
		b := math.Float64bits(v) << 1 // drop the sign: ±0 → 0
		n += int((b | -b) >> 63)      // 1 unless v is ±0, without a branch
		o += step
	}
	return n
}

// transpose writes the transpose of a (r × c, stride c) into t (c × r).
func transpose(a []float64, r, c int, t []float64) {
	t = t[:r*c]
	for i := 0; i < r; i++ {
		row := a[i*c : i*c+c]
		for j, v := range row {
			t[j*r+i] = v
		}
	}
}

// fmaRows sets, for each row i of p, C[i, 0:n] = Σ_e val_e·B[off_e/8 + 0:n]
// (one fused multiply-add chain per element, in entry order, from 0), then
// applies the epilogue mode, with M the mask matrix of stride ldm for
// modeMask. b is B from its first element, c and msk the matrices from
// their first rows.
func fmaRows(asm bool, p *packed, b []float64, n int, c []float64, ldc int, mode int, msk []float64, ldm int) {
	if p.rows == 0 || n == 0 {
		return
	}
	if asm {
		fmaRowsAsm(p, b, n, c, ldc, mode, msk, ldm)
		return
	}
	fmaRowsGo(p, b, n, c, ldc, mode, msk, ldm)
}

// fmaScatter adds, for each row r of p and each of its entries e,
// val_e·D[r, 0:n] to C[off_e/8 + 0:n] by fused multiply-adds, rows and
// entries in order.
func fmaScatter(asm bool, p *packed, d []float64, ldd, n int, c []float64) {
	if p.rows == 0 || n == 0 {
		return
	}
	if asm {
		fmaScatterAsm(p, d, ldd, n, c)
		return
	}
	fmaScatterGo(p, d, ldd, n, c)
}

func fmaRowsGo(p *packed, b []float64, n int, c []float64, ldc int, mode int, msk []float64, ldm int) {
	for i := 0; i < p.rows; i++ {
		ci := c[i*ldc : i*ldc+n]
		clear(ci)
		e0 := i * p.stride
		for e := e0; e < e0+int(p.cnt[i]); e++ {
			v, o := p.val[e], int(p.off[e]>>3)
			bk := b[o : o+n]
			for j, w := range bk {
				ci[j] = math.FMA(v, w, ci[j])
			}
		}
		switch mode {
		case modeReLU:
			for j, a := range ci {
				if a < 0 {
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

func fmaScatterGo(p *packed, d []float64, ldd, n int, c []float64) {
	for r := 0; r < p.rows; r++ {
		dr := d[r*ldd : r*ldd+n]
		e0 := r * p.stride
		for e := e0; e < e0+int(p.cnt[r]); e++ {
			v, o := p.val[e], int(p.off[e]>>3)
			ck := c[o : o+n]
			for j, w := range dr {
				ck[j] = math.FMA(v, w, ck[j])
			}
		}
	}
}

// chunkWidth is the width of the next column chunk when rest columns remain.
func chunkWidth(rest int) int {
	if rest > maxChunk {
		return chunkCols
	}
	return rest
}
