//go:build openblas

package pipeline

import _ "github.com/natmo/natmo/pipeline/internal/openblas" // registers OpenBLAS with blas64

// In this build a layer whose product has at least blasMinMACs
// multiply-adds (batch rows × in × out) runs through blas64.Gemm, which the
// build registers to OpenBLAS (Debian's libopenblas-dev) through gonum's
// netlib bindings; smaller layers stay on the packed kernels, which beat
// OpenBLAS there (per-call overhead, and no zeros skipped: see
// docs/performance.md). Results agree with the default build's to about
// 1e-12 (the sums run in another order) and are deterministic for a given
// OpenBLAS and thread count. OpenBLAS starts its own threads for large
// products: set OPENBLAS_NUM_THREADS=1 when the runner already keeps every
// core busy. OpenBLAS 0.3.21 does not recognise some recent Intel CPUs and
// falls back to slow generic kernels; OPENBLAS_CORETYPE=SkylakeX (or
// Haswell) restores the fast ones. The threshold is the measured crossover
// with OpenBLAS on its fast kernels.
const (
	useBLAS     = true
	blasMinMACs = 1 << 25
)
