//go:build !amd64 || noasm

package pipeline

import "gonum.org/v1/gonum/blas/blas64"

// bestKernel is the pure-Go one off amd64 or with the noasm tag.
func bestKernel() kernel { return kernGo }

func fmaRowsAsm(kern kernel, p *packed, a blas64.General, b []float64, ldb int, bias []float64, n int, c []float64, ldc int, mode int, msk []float64, ldm int) {
	fmaRowsGo(p, a, b, ldb, bias, n, c, ldc, mode, msk, ldm)
}

func packRowsAsm(kern kernel, m int, a *float64, lda int, k int, cnt *int32, idx *int32, pstride int) {
	panic("pipeline: no assembly packer")
}

func transposeAsm(a *float64, lda int, rb int, cb int, t *float64, ldt int) {
	panic("pipeline: no assembly transpose")
}
