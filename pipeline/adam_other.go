//go:build !amd64 || noasm

package pipeline

// adamVector has no SIMD version here: the scalar loop does all.
func adamVector(params, grad, m, v []float64, k *adamConsts) int { return 0 }
