//go:build !openblas

package pipeline

import "math"

// useBLAS is false in the default build: the matrix products run on the
// packed kernels of gemm.go (pure Go, or AVX2 assembly where the CPU has
// it), at every size.
const (
	useBLAS     = false
	blasMinMACs = math.MaxInt
)
