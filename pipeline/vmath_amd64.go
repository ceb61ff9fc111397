//go:build !noasm

package pipeline

// expVector computes e^src into dst over the longest prefix of whole
// vectors that kern's loop takes, and returns its length: the operations of
// exp1, 8 lanes at a time in AVX-512 or 4 in AVX2 with FMA.
func expVector(kern kernel, dst, src []float64) int {
	return vector(kern, dst, src, expAVX512, expAVX2)
}

// logVector is expVector for log1.
func logVector(kern kernel, dst, src []float64) int {
	return vector(kern, dst, src, logAVX512, logAVX2)
}

// vector runs the AVX-512 or the AVX2 loop that kern names over the
// longest prefix of dst and src it takes, and returns its length.
func vector(kern kernel, dst, src []float64, avx512, avx2 func(dst, src *float64, n int, k *vmathConsts)) int {
	loop, lanes := avx2, 4
	switch kern {
	case kernAVX512:
		loop, lanes = avx512, 8
	case kernAVX2:
	default:
		return 0
	}
	n := len(dst) &^ (lanes - 1)
	if n > 0 {
		_ = src[n-1]
		loop(&dst[0], &src[0], n, &vmathK)
	}
	return n
}

// vmathConsts lays out the constants of exp1 and log1 for the assembly
// loops, which broadcast them from here; the byte offsets in the comments
// are vmath_amd64.s's (TestVMathConstsLayout).
type vmathConsts struct {
	poly                                   [14]float64 // 0: expPoly
	log2e, shift, ln2hi, ln2lo, emax, emin float64     // 112
	ebias                                  uint64      // 160
	l1, l2, l3, l4, l5, l6, l7             float64     // 168
	lln2hi, lln2lo                         float64     // 224
	off, mant, sqrt2_2, magic              uint64      // 240: logOff, 2⁵²−1, bits of √2/2 and of 2⁵²
	minNorm, two54, adjN, adjS             float64     // 272
	half, one, two, magicF                 float64     // 304
	nan, inf, ninf                         uint64      // 336
}

var vmathK = vmathConsts{
	poly:  expPoly,
	log2e: expLog2e, shift: expShift, ln2hi: expLn2Hi, ln2lo: expLn2Lo, emax: expMax, emin: expMin,
	ebias: expBias,
	l1:    logL1, l2: logL2, l3: logL3, l4: logL4, l5: logL5, l6: logL6, l7: logL7,
	lln2hi: logLn2Hi, lln2lo: logLn2Lo,
	off: logOff, mant: 1<<52 - 1, sqrt2_2: logSqrt2_2, magic: 0x4330000000000000,
	minNorm: logMinNorm, two54: 0x1p54, adjN: 1023, adjS: 1023 + 54,
	half: 0.5, one: 1, two: 2, magicF: 0x1p52,
	nan: logNaN, inf: 0x7ff0000000000000, ninf: 0xfff0000000000000,
}

//go:noescape
func expAVX2(dst, src *float64, n int, k *vmathConsts)

//go:noescape
func expAVX512(dst, src *float64, n int, k *vmathConsts)

//go:noescape
func logAVX2(dst, src *float64, n int, k *vmathConsts)

//go:noescape
func logAVX512(dst, src *float64, n int, k *vmathConsts)

// maxShiftVector writes, for each group of group consecutive values of z,
// its maximum m into gmax and z − m into p, in AVX-512 when kern has it
// (reporting whether it did). The maximum is the one the Go loop of
// maxShift finds up to the sign of a zero, which changes neither z − m's
// exponential nor m + log s.
func maxShiftVector(kern kernel, z, p, gmax []float64, group int) bool {
	if kern != kernAVX512 || len(gmax) == 0 {
		return false
	}
	n := len(gmax) * group
	_, _ = z[n-1], p[n-1]
	tail := group % 8
	mask := 1<<tail - 1
	if tail == 0 {
		mask = 0xff
	}
	maxShiftAVX512(&z[0], &p[0], &gmax[0], len(gmax), group, mask)
	return true
}

//go:noescape
func maxShiftAVX512(z, p, gmax *float64, groups, group int, tail int)
