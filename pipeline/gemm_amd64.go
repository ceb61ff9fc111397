//go:build !noasm

package pipeline

import "golang.org/x/sys/cpu"

// haveAVX2 reports whether the AVX2+FMA kernels can run on this CPU.
func haveAVX2() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

func fmaRowsAsm(p *packed, b []float64, n int, c []float64, ldc int, mode int, msk []float64, ldm int) {
	for j0 := 0; j0 < n; {
		w := chunkWidth(n - j0)
		var mp *float64
		if mode == modeMask {
			mp = &msk[j0]
		}
		_ = b[j0+w-1]
		_ = c[(p.rows-1)*ldc+j0+w-1]
		fmaRowsAVX2(w/4, w%4, p.rows, &p.cnt[0], &p.off[0], &p.val[0], p.stride*8, &b[j0], &c[j0], ldc*8, mode, mp, ldm*8)
		j0 += w
	}
}

func fmaScatterAsm(p *packed, d []float64, ldd, n int, c []float64) {
	for j0 := 0; j0 < n; {
		w := chunkWidth(n - j0)
		_ = d[(p.rows-1)*ldd+j0+w-1]
		fmaScatterAVX2(w/4, w%4, p.rows, &p.cnt[0], &p.off[0], &p.val[0], p.stride*8, &d[j0], ldd*8, &c[j0])
		j0 += w
	}
}

//go:noescape
func packRowsAVX2(m int, a *float64, lda int, k int, cnt *int32, off *int64, val *float64, pstride int, step int64, bias int)

func packRowsAsm(m int, a *float64, lda int, k int, cnt *int32, off *int64, val *float64, pstride int, step int64, bias int) {
	packRowsAVX2(m, a, lda, k, cnt, off, val, pstride, step, bias)
}
