package pipeline

import "math"

// The softmaxes take their exponentials and logarithms from here rather
// than from math.Exp and math.Log, for two reasons. Speed: a whole batch of
// logits goes through one vector loop (AVX-512 or AVX2 with FMA, 8 or 4 at a
// time) instead of one call per entry. Bits: math.Exp on amd64 takes a
// fused multiply-add path only on CPUs that have FMA, and pure Go code may
// be fused by the compiler on other architectures, so its last bits depend
// on the machine. Here every operation is either an explicit fused
// multiply-add (math.FMA, VFMADD) or a separately rounded IEEE operation, in
// one order, so the pure-Go loop, the AVX2 loop and the AVX-512 loop give the
// same bits on every CPU and under -tags noasm (TestVMathKernelsMatchGo).
//
// Accuracy (TestExpAccuracy, TestLogAccuracy): both within 1 ulp of the
// correctly rounded result (a 200-bit reference, over inputs of every
// magnitude with the overflow and underflow edges and subnormals); exp
// within 2 ulps of math.Exp, which is itself up to 1.4 ulps off, and log
// equal to math.Log on normal inputs. Special values (±0, ±Inf, NaN) give
// what math gives, except where math is wrong on amd64: math.Exp overflows
// from x ≈ 709.44, math.Log misreads subnormals.

// Constants of exp: x = k·ln2 + r, |r| ≤ ln2/2, with k rounded to nearest by
// adding and subtracting expShift (1.5·2⁵², whose unit in the last place is
// 1), and ln2 split into a double and its remainder.
const (
	expLog2e = 0x1.71547652b82fep0  // 1/ln2
	expShift = 0x1.8p52             // 1.5·2⁵²
	expLn2Hi = 0x1.62e42fefa39efp-1 // ln2 rounded to a double
	expLn2Lo = 0x1.abc9e3b39803fp-56
	expMax   = 710.0  // above log(MaxFloat64) ≈ 709.78: exp overflows
	expMin   = -746.0 // below log(2⁻¹⁰⁷⁴) − 1 ≈ −745.13: exp rounds to 0
)

// expPoly holds 1/n! for n = 13 down to 0: the Taylor polynomial of e^r to
// degree 13, whose truncation error on |r| ≤ ln2/2 is below 2⁻⁵⁷ relative.
var expPoly = [14]float64{
	1.0 / 6227020800, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880,
	1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1,
}

// expBias turns the bits of t = expShift + k into k + 2046 by one integer
// subtraction (t lies in [2⁵², 2⁵³), where consecutive integers are
// consecutive bit patterns).
const expBias = 0x4338000000000000 - 2046

// exp1 returns e^x:
//
//	k = round(x/ln2),  r = x − k·ln2 (two fused steps),
//	e^x = p(r) · 2^⌊k/2⌋ · 2^(k−⌊k/2⌋),  p = Σ_{n≤13} rⁿ/n! by Horner in fused multiply-adds.
//
// Splitting 2^k in two keeps both factors normal over the whole clamped
// range [−746, 710], so the first product is exact and the second rounds
// once, also when the result overflows or is subnormal. The vector loops
// compute exactly these operations.
func exp1(x float64) float64 {
	if x != x {
		return x
	}
	if x > expMax {
		x = expMax
	}
	if x < expMin {
		x = expMin
	}
	t := math.FMA(x, expLog2e, expShift)
	k := t - expShift
	r := math.FMA(-k, expLn2Hi, x)
	r = math.FMA(-k, expLn2Lo, r)
	p := expPoly[0]
	for _, c := range expPoly[1:] {
		p = math.FMA(p, r, c)
	}
	u := math.Float64bits(t) - expBias // k + 2046 > 0
	e1 := u >> 1                       // ⌊k/2⌋ + 1023
	e2 := u - e1                       // k − ⌊k/2⌋ + 1023
	p = float64(p * math.Float64frombits(e1<<52))
	return float64(p * math.Float64frombits(e2<<52))
}

// Constants of log (those of fdlibm's e_log.c, as in Go's math.Log): m is
// reduced to [√2/2, √2), f = m − 1, s = f/(2+f), and
// log(1+f) = f − hfsq + s(hfsq + R(s²)) with hfsq = f²/2 and R a minimax
// polynomial.
const (
	logLn2Hi   = 6.93147180369123816490e-01 // ln2's high bits: k·logLn2Hi is exact
	logLn2Lo   = 1.90821492927058770002e-10
	logL1      = 6.666666666666735130e-01
	logL2      = 3.999999999940941908e-01
	logL3      = 2.857142874366239149e-01
	logL4      = 2.222219843214978396e-01
	logL5      = 1.818357216161805012e-01
	logL6      = 1.531383769920937332e-01
	logL7      = 1.479819860511658591e-01
	logSqrt2_2 = 0x3fe6a09e667f3bcd // bits of √2/2
	logOff     = 0x3ff0000000000000 - logSqrt2_2
	logMinNorm = 0x1p-1022 // below: subnormal, scaled by 2⁵⁴ first
	logNaN     = 0x7ff8000000000001
)

// log1 returns the natural logarithm of x:
//
//	x = 2^k · m, m ∈ [√2/2, √2) (one integer addition on the bits),
//	log x = k·ln2Hi − ((hfsq − (s(hfsq + R) + k·ln2Lo)) − f),
//
// every product and sum rounded separately (float64(·) stops the compiler
// from fusing them on any architecture). NaN gives x, x < 0 gives NaN, ±0
// gives −Inf and +Inf gives +Inf, as math.Log does.
func log1(x float64) float64 {
	switch {
	case x != x:
		return x
	case x < 0:
		return math.Float64frombits(logNaN)
	case x == 0:
		return math.Inf(-1)
	case x > math.MaxFloat64:
		return x
	}
	adj := 1023.0
	if x < logMinNorm {
		x = float64(x * 0x1p54)
		adj = 1023 + 54
	}
	ix := math.Float64bits(x) + logOff
	k := float64(ix>>52) - adj
	m := math.Float64frombits(ix&(1<<52-1) + logSqrt2_2)
	f := m - 1
	s := f / float64(2+f)
	z := float64(s * s)
	w := float64(z * z)
	t1 := float64(w * float64(logL2+float64(w*float64(logL4+float64(w*logL6)))))
	t2 := float64(z * float64(logL1+float64(w*float64(logL3+float64(w*float64(logL5+float64(w*logL7)))))))
	r := t2 + t1
	hfsq := float64(float64(0.5*f) * f)
	return float64(k*logLn2Hi) - ((hfsq - (float64(s*(hfsq+r)) + float64(k*logLn2Lo))) - f)
}

// expSlice sets dst[i] = e^src[i] (dst may be src), the longest prefix of
// whole vectors in assembly when kern has it.
func expSlice(kern kernel, dst, src []float64) {
	src = src[:len(dst)]
	done := expVector(kern, dst, src)
	for i := done; i < len(dst); i++ {
		dst[i] = exp1(src[i])
	}
}

// logSlice sets dst[i] = log src[i] (dst may be src), like expSlice.
func logSlice(kern kernel, dst, src []float64) {
	src = src[:len(dst)]
	done := logVector(kern, dst, src)
	for i := done; i < len(dst); i++ {
		dst[i] = log1(src[i])
	}
}

// Exp returns e^x as the softmaxes compute it: within 1 ulp of the
// correctly rounded result, and the same bits on every CPU and build
// (math.Exp's last bits depend on whether the CPU has FMA).
func Exp(x float64) float64 { return exp1(x) }

// Log returns the natural logarithm of x as the softmaxes compute it, the
// same bits on every CPU and build.
func Log(x float64) float64 { return log1(x) }
