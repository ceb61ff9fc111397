//go:build !openblas

package pipeline

// useBLAS is false in the default build: the matrix products run on the
// kernels of gemm.go (pure Go, or AVX2 assembly where the CPU has it).
const useBLAS = false
