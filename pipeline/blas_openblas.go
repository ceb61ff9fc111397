//go:build openblas

package pipeline

import _ "github.com/natmo/natmo/pipeline/internal/openblas" // registers OpenBLAS with blas64

// useBLAS routes the MLP's matrix products through blas64.Gemm, which this
// build registers to OpenBLAS (Debian's libopenblas-dev) through gonum's
// netlib bindings. Results agree with the default build's to about 1e-12
// (the sums run in another order); they are deterministic for a given
// OpenBLAS and thread count. Set OPENBLAS_NUM_THREADS=1 where the runner
// already keeps every core busy.
const useBLAS = true
