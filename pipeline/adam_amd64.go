//go:build !noasm

package pipeline

import "golang.org/x/sys/cpu"

// adamVector updates the longest prefix of 4-element groups with AVX and
// returns its length. Only IEEE multiplies, adds, divides and square roots,
// in adamScalar's order and without fused multiply-adds, so every element
// gets the bits the scalar loop would give it.
func adamVector(params, grad, m, v []float64, k *adamConsts) int {
	n := len(grad) &^ 3
	if n == 0 || !cpu.X86.HasAVX {
		return 0
	}
	_, _, _ = params[n-1], m[n-1], v[n-1]
	adamAVX(&params[0], &grad[0], &m[0], &v[0], n, k)
	return n
}

//go:noescape
func adamAVX(params, grad, m, v *float64, n int, k *adamConsts)
