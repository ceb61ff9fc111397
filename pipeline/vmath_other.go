//go:build !amd64 || noasm

package pipeline

// expVector has no SIMD version here: exp1 does all.
func expVector(kern kernel, dst, src []float64) int { return 0 }

// logVector has no SIMD version here: log1 does all.
func logVector(kern kernel, dst, src []float64) int { return 0 }

// maxShiftVector has no SIMD version here: maxShift's loop does all.
func maxShiftVector(kern kernel, z, p, gmax []float64, group int) bool { return false }
