//go:build !noasm

package pipeline

import (
	"golang.org/x/sys/cpu"
	"gonum.org/v1/gonum/blas/blas64"
)

// bestKernel is the fastest kernel this CPU runs.
func bestKernel() kernel {
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasPOPCNT:
		return kernAVX512
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasPOPCNT:
		return kernAVX2
	}
	return kernGo
}

// The assembly kernels take raw pointers; the bounds the Go kernels would
// check are checked here, once per call, by touching the last element each
// kernel reaches.

func fmaRowsAsm(kern kernel, p *packed, a blas64.General, b []float64, ldb int, bias []float64, n int, c []float64, ldc int, mode int, msk []float64, ldm int) {
	m := p.rows
	_ = a.Data[(m-1)*a.Stride+a.Cols-1]
	_ = b[(a.Cols-1)*ldb+n-1]
	_ = c[(m-1)*ldc+n-1]
	if mode == modeMask {
		_ = msk[(m-1)*ldm+n-1]
	}
	if bias != nil {
		_ = bias[n-1]
	}
	if kern == kernAVX512 {
		fmaRows512(p, a, b, ldb, bias, n, c, ldc, mode, msk, ldm)
		return
	}
	for j0 := 0; j0 < n; {
		w := chunkWidth(n - j0)
		var bp, mp *float64
		if bias != nil {
			bp = &bias[j0]
		}
		if mode == modeMask {
			mp = &msk[j0]
		}
		fmaRowsAVX2(w/4, w%4, m, &p.cnt[0], &p.idx[0], p.stride*4, &a.Data[0], a.Stride*8,
			&b[j0], ldb*8, bp, &c[j0], ldc*8, mode, mp, ldm*8)
		j0 += w
	}
}

//go:noescape
func packRowsAVX2(m int, a *float64, lda int, k int, cnt *int32, idx *int32, pstride int)

//go:noescape
func packRowsAVX512(m int, a *float64, lda int, k int, cnt *int32, idx *int32, pstride int)

func packRowsAsm(kern kernel, m int, a *float64, lda int, k int, cnt *int32, idx *int32, pstride int) {
	if kern == kernAVX512 {
		packRowsAVX512(m, a, lda, k, cnt, idx, pstride)
		return
	}
	packRowsAVX2(m, a, lda, k, cnt, idx, pstride)
}

// fmaRows512 is fmaRowsAsm on the AVX-512 kernels, in chunks of up to 64
// columns (8 vectors of 8, the last one masked).
func fmaRows512(p *packed, a blas64.General, b []float64, ldb int, bias []float64, n int, c []float64, ldc int, mode int, msk []float64, ldm int) {
	m := p.rows
	for j0 := 0; j0 < n; {
		w := min(n-j0, 64)
		nz := (w + 7) / 8
		kmask := 0xff >> ((8 - (w - 8*(nz-1))) & 7)
		if w%8 == 0 {
			kmask = 0xff
		}
		var bp, mp *float64
		if bias != nil {
			bp = &bias[j0]
		}
		if mode == modeMask {
			mp = &msk[j0]
		}
		fmaRowsAVX512(nz, m, &p.cnt[0], &p.idx[0], p.stride*4, &a.Data[0], a.Stride*8,
			&b[j0], ldb*8, bp, &c[j0], ldc*8, mode, mp, ldm*8, kmask)
		j0 += w
	}
}

//go:noescape
func transposeAVX2(a *float64, lda int, rb int, cb int, t *float64, ldt int)

func transposeAsm(a *float64, lda int, rb int, cb int, t *float64, ldt int) {
	transposeAVX2(a, lda, rb, cb, t, ldt)
}
