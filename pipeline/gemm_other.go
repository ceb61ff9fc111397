//go:build !amd64 || noasm

package pipeline

// haveAVX2 is false: off amd64 (or with the noasm tag) the pure-Go kernels run.
func haveAVX2() bool { return false }

func fmaRowsAsm(p *packed, b []float64, n int, c []float64, ldc int, mode int, msk []float64, ldm int) {
	fmaRowsGo(p, b, n, c, ldc, mode, msk, ldm)
}

func fmaScatterAsm(p *packed, d []float64, ldd, n int, c []float64) {
	fmaScatterGo(p, d, ldd, n, c)
}

func packRowsAsm(m int, a *float64, lda int, k int, cnt *int32, off *int64, val *float64, pstride int, step int64, bias int) {
	panic("pipeline: no assembly packer")
}
