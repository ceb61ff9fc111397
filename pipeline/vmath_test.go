package pipeline

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
)

// bigPrec is the precision of the reference exp and log: enough that
// rounding them to a double is the correctly rounded result.
const bigPrec = 200

// bigLn2 returns ln 2 = Σ_{k≥1} 1/(k·2ᵏ).
func bigLn2() *big.Float {
	s, term := new(big.Float).SetPrec(bigPrec), new(big.Float).SetPrec(bigPrec)
	for k := 1; k < 220; k++ {
		term.SetMantExp(big.NewFloat(1).SetPrec(bigPrec), -k)
		s.Add(s, term.Quo(term, big.NewFloat(float64(k))))
	}
	return s
}

// refExp returns e^x rounded to the nearest double: x = k·ln2 + r and
// e^r by its Taylor series, at bigPrec bits.
func refExp(x float64, ln2 *big.Float) float64 {
	k := math.Round(x / math.Ln2)
	r := new(big.Float).SetPrec(bigPrec).SetFloat64(x)
	r.Sub(r, new(big.Float).SetPrec(bigPrec).Mul(ln2, big.NewFloat(k)))
	sum, term := big.NewFloat(1).SetPrec(bigPrec), big.NewFloat(1).SetPrec(bigPrec)
	for n := 1; n < 60; n++ {
		term.Mul(term, r)
		term.Quo(term, big.NewFloat(float64(n)))
		sum.Add(sum, term)
	}
	f, _ := sum.SetMantExp(sum, int(k)).Float64()
	return f
}

// refLog returns log x rounded to the nearest double, for finite x > 0:
// x = m·2ᵉ and log m = 2 atanh((m−1)/(m+1)) by its series, at bigPrec bits.
func refLog(x float64, ln2 *big.Float) float64 {
	fr, e := math.Frexp(x) // fr ∈ [0.5, 1)
	if fr < math.Sqrt2/2 {
		fr, e = fr*2, e-1
	}
	m := new(big.Float).SetPrec(bigPrec).SetFloat64(fr)
	one := big.NewFloat(1).SetPrec(bigPrec)
	s := new(big.Float).SetPrec(bigPrec).Sub(m, one)
	s.Quo(s, new(big.Float).SetPrec(bigPrec).Add(m, one))
	s2 := new(big.Float).SetPrec(bigPrec).Mul(s, s)
	sum, pow := new(big.Float).SetPrec(bigPrec), new(big.Float).SetPrec(bigPrec).Set(s)
	for k := 0; k < 90; k++ {
		sum.Add(sum, new(big.Float).SetPrec(bigPrec).Quo(pow, big.NewFloat(float64(2*k+1))))
		pow.Mul(pow, s2)
	}
	sum.Mul(sum, big.NewFloat(2))
	sum.Add(sum, new(big.Float).SetPrec(bigPrec).Mul(ln2, big.NewFloat(float64(e))))
	f, _ := sum.Float64()
	return f
}

// ulps is the distance in units in the last place between two finite
// floats of one sign (or both zero).
func ulps(a, b float64) int64 {
	d := int64(math.Float64bits(a)) - int64(math.Float64bits(b))
	if d < 0 {
		d = -d
	}
	return d
}

// vmathInputs returns n inputs of every kind: uniform bit patterns (every
// magnitude, NaNs and infinities among them), uniform on [lo, hi], values
// near 0 and 1, subnormals, and the special values.
func vmathInputs(rng *rand.Rand, n int, lo, hi float64) []float64 {
	xs := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(),
		math.Float64frombits(0x7ff4000000000123), math.Float64frombits(0xfff8000000000000), // a signalling NaN, −NaN
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 0x1p-1022, 0x1p-1023, math.MaxFloat64, -math.MaxFloat64,
		709.782712893384, 709.7827128933841, 710, -708.3964185322641, -745.1332191019411, -745.1332191019412, -745.2, -746, -1000,
		math.Sqrt2 / 2, math.Nextafter(math.Sqrt2/2, 0), math.Sqrt2, math.Nextafter(1, 0), math.Nextafter(1, 2), math.Ln2 / 2, -math.Ln2 / 2}
	for len(xs) < n {
		switch len(xs) % 5 {
		case 0:
			xs = append(xs, math.Float64frombits(rng.Uint64()))
		case 1:
			xs = append(xs, lo+(hi-lo)*rng.Float64())
		case 2:
			xs = append(xs, math.Float64frombits(rng.Uint64N(1<<52))) // subnormal
		case 3:
			xs = append(xs, 1+(rng.Float64()-0.5)*math.Ldexp(1, -rng.IntN(50)))
		default:
			xs = append(xs, math.Ldexp(rng.Float64()-0.5, 2-rng.IntN(60)))
		}
	}
	return xs
}

// TestVMathKernelsMatchGo checks that the AVX2 and AVX-512 loops give
// exactly exp1's and log1's bits, for every input kind and slice length.
func TestVMathKernelsMatchGo(t *testing.T) {
	if bestKernel() == kernGo {
		t.Skip("no assembly kernels on this CPU or in this build")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	xs := vmathInputs(rng, 1<<17, -800, 800)
	got := make([]float64, len(xs))
	for kern := kernAVX2; kern <= bestKernel(); kern++ {
		for _, f := range []struct {
			name  string
			slice func(kernel, []float64, []float64)
			one   func(float64) float64
		}{{"exp", expSlice, exp1}, {"log", logSlice, log1}} {
			for _, n := range []int{1, 3, 4, 5, 7, 8, 9, 15, 16, 17, len(xs)} {
				f.slice(kern, got[:n], xs[:n])
				for i, x := range xs[:n] {
					if w := f.one(x); math.Float64bits(got[i]) != math.Float64bits(w) {
						t.Fatalf("kernel %d %s(%v = %#x), n=%d: assembly %v (%#x), Go %v (%#x)", kern, f.name, x, math.Float64bits(x), n,
							got[i], math.Float64bits(got[i]), w, math.Float64bits(w))
					}
				}
			}
			// In place, as the softmaxes call it.
			cp := append([]float64(nil), xs...)
			f.slice(kern, cp, cp)
			for i, x := range xs {
				if w := f.one(x); math.Float64bits(cp[i]) != math.Float64bits(w) {
					t.Fatalf("kernel %d %s in place at %d: %v, want %v", kern, f.name, i, cp[i], w)
				}
			}
		}
	}
}

// TestExpAccuracy checks exp1 against the correctly rounded e^x over 3·2¹¹
// inputs of every kind (special values, overflow and underflow edges,
// subnormal results): within 1 ulp; and against math.Exp over 2²⁰ more:
// within 2 ulps, math.Exp being itself up to 1.4 ulps off (at
// x = 1.000000862371545 it gives 2.7182841726289557 for 2.71828417262895633…). (math.Exp on amd64 overflows early, from x ≈ 709.436 where e^x is
// 1.3e308; the comparison with it skips x > 709.43.)
func TestExpAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ln2 := bigLn2()
	xs := vmathInputs(rng, 1<<11, -746, 710)
	for range 1 << 9 {
		xs = append(xs, 709.7+0.1*rng.Float64(), -708.4-36.8*rng.Float64()) // overflow edge, subnormal results
	}
	checkAccuracy(t, "exp", exp1, xs, func(x float64) float64 {
		if x != x || math.Abs(x) > 1000 {
			return math.Exp(x)
		}
		return refExp(x, ln2)
	}, 1)
	var xs2 []float64
	for _, x := range vmathInputs(rng, 1<<20, -746, 710) {
		if !(x > 709.43) {
			xs2 = append(xs2, x)
		}
	}
	checkAccuracy(t, "exp against math.Exp", exp1, xs2, math.Exp, 2) // math.Exp is itself up to 1.4 ulp off
	for x, want := range map[float64]float64{0: 1, 1: math.E, -746: 0, 710: math.Inf(1), math.Inf(-1): 0, math.Inf(1): math.Inf(1),
		-745.1332191019411: math.SmallestNonzeroFloat64, 709.782712893384: 1.7976931348622732e308} {
		if got := exp1(x); got != want {
			t.Errorf("exp(%v) = %v, want %v", x, got, want)
		}
	}
	if nan := math.Float64frombits(0x7ff8000000000abc); math.Float64bits(exp1(nan)) != 0x7ff8000000000abc {
		t.Errorf("exp(NaN) does not return its NaN")
	}
}

// TestLogAccuracy checks log1 against the correctly rounded log x over 2¹²
// inputs of every kind (subnormals among them), and against math.Log over
// 2²⁰ normal ones: within 1 ulp of both. (math.Log on amd64 is wrong for
// subnormal x: log(5e-324) = −709.09, not −744.44.)
func TestLogAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ln2 := bigLn2()
	checkAccuracy(t, "log", log1, vmathInputs(rng, 1<<12, 0, 1e6), func(x float64) float64 {
		if x != x || x <= 0 || x > math.MaxFloat64 {
			return math.Log(x)
		}
		return refLog(x, ln2)
	}, 1)
	var xs []float64
	for _, x := range vmathInputs(rng, 1<<20, 0, 1e6) {
		if !(x < 0x1p-1022) {
			xs = append(xs, x)
		}
	}
	checkAccuracy(t, "log against math.Log", log1, xs, math.Log, 1)
	for x, want := range map[float64]float64{1: 0, 0: math.Inf(-1), math.E: 1, 2: math.Ln2, math.Inf(1): math.Inf(1),
		math.SmallestNonzeroFloat64: -744.4400719213812, math.MaxFloat64: 709.782712893384} {
		if got := log1(x); got != want {
			t.Errorf("log(%v) = %v, want %v", x, got, want)
		}
	}
	if got := log1(math.Copysign(0, -1)); !math.IsInf(got, -1) {
		t.Errorf("log(−0) = %v, want −Inf", got)
	}
	for _, x := range []float64{-1, -math.SmallestNonzeroFloat64, math.Inf(-1)} {
		if got := log1(x); math.Float64bits(got) != logNaN {
			t.Errorf("log(%v) = %v, want math.NaN()", x, got)
		}
	}
	if nan := math.Float64frombits(0x7ff8000000000abc); math.Float64bits(log1(nan)) != 0x7ff8000000000abc {
		t.Errorf("log(NaN) does not return its NaN")
	}
}

// checkAccuracy fails if f is more than tol ulps from ref at any of xs, or
// differs from it where ref is NaN, infinite or zero.
func checkAccuracy(t *testing.T, name string, f func(float64) float64, xs []float64, ref func(float64) float64, tol int64) {
	t.Helper()
	worst, at := int64(0), 0.0
	for _, x := range xs {
		got, want := f(x), ref(x)
		switch {
		case math.IsNaN(want):
			if !math.IsNaN(got) {
				t.Fatalf("%s(%v) = %v, want NaN", name, x, got)
			}
		case math.IsInf(want, 0) || want == 0 || got == 0:
			if got != want {
				t.Fatalf("%s(%v) = %v, want %v", name, x, got, want)
			}
		default:
			if d := ulps(got, want); d > worst {
				worst, at = d, x
			}
		}
	}
	if worst > tol {
		t.Errorf("%s is %d ulps off at %v (%v against %v)", name, worst, at, f(at), ref(at))
	}
	t.Logf("%s: at most %d ulp off over %d inputs", name, worst, len(xs))
}

// TestLogSoftmaxSameOnAnyKernel checks that the token softmax gives the
// same bits of p and log p with every kernel, for groups of every size
// and logits with ties, signed zeros, infinities and NaNs.
func TestLogSoftmaxSameOnAnyKernel(t *testing.T) {
	if bestKernel() == kernGo {
		t.Skip("no assembly kernels on this CPU or in this build")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 700, -700, 1e300, 3, 3}
	for _, group := range []int{1, 2, 3, 5, 7, 8, 9, 12, 16, 17, 24} {
		for _, rows := range []int{1, 3, 10} {
			cols := group * (1 + rng.IntN(3))
			z := blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float64, rows*cols)}
			for i := range z.Data {
				if rng.IntN(8) == 0 {
					z.Data[i] = special[rng.IntN(len(special))]
				} else {
					z.Data[i] = 5 * rng.NormFloat64()
				}
			}
			n, ng := rows*cols, rows*cols/group
			run := func(kern kernel) (p, lp []float64) {
				p, lp = make([]float64, n), make([]float64, n)
				logSoftmax(kern, z, group, p, lp, make([]float64, ng), make([]float64, ng))
				return p, lp
			}
			wp, wl := run(kernGo)
			for kern := kernAVX2; kern <= bestKernel(); kern++ {
				gp, gl := run(kern)
				for i := range wp {
					if math.Float64bits(gp[i]) != math.Float64bits(wp[i]) || math.Float64bits(gl[i]) != math.Float64bits(wl[i]) {
						t.Fatalf("kernel %d, group %d, entry %d (z %v): p %v, log p %v; pure Go %v, %v", kern, group, i, z.Data[i], gp[i], gl[i], wp[i], wl[i])
					}
				}
			}
		}
	}
}

// TestMaskedSoftmaxSameOnAnyKernel checks the masked softmax and the
// cross-entropy gradient bit for bit against pure Go, for candidate ranges
// of every width and place (the vector path packs them), and that the other
// columns are exactly 0.
func TestMaskedSoftmaxSameOnAnyKernel(t *testing.T) {
	if bestKernel() == kernGo {
		t.Skip("no assembly kernels on this CPU or in this build")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, cols := range []int{1, 3, 7, 18, 40} {
		for _, stride := range []int{cols, cols + 3} {
			rows := 1 + rng.IntN(70)
			z := blas64.General{Rows: rows, Cols: cols, Stride: stride, Data: make([]float64, rows*stride)}
			lo, hi, y := make([]int, rows), make([]int, rows), make([]int, rows)
			for r := range rows {
				lo[r] = rng.IntN(cols)
				hi[r] = lo[r] + 1 + rng.IntN(cols-lo[r])
				y[r] = lo[r] + rng.IntN(hi[r]-lo[r])
				for j := range cols {
					z.Data[r*stride+j] = 4 * rng.NormFloat64()
				}
			}
			run := func(kern kernel) (p, dz []float64, loss float64) {
				pm := blas64.General{Rows: rows, Cols: cols, Stride: stride, Data: make([]float64, rows*stride)}
				dm := blas64.General{Rows: rows, Cols: cols, Stride: stride, Data: make([]float64, rows*stride)}
				for i := range pm.Data {
					pm.Data[i], dm.Data[i] = 7, 7 // stale values the softmax must overwrite
				}
				maskedSoftmax(kern, z, lo, hi, pm)
				loss = crossEntropy(kern, z, lo, hi, y, dm)
				return pm.Data, dm.Data, loss
			}
			wp, wd, wl := run(kernGo)
			for r := range rows {
				for j := range cols {
					if v := wp[r*stride+j]; (j < lo[r] || j >= hi[r]) && v != 0 {
						t.Fatalf("cols %d: p[%d][%d] = %v outside the candidates [%d, %d)", cols, r, j, v, lo[r], hi[r])
					}
				}
			}
			for kern := kernAVX2; kern <= bestKernel(); kern++ {
				gp, gd, gl := run(kern)
				for r := range rows {
					for j := range cols {
						i := r*stride + j
						if math.Float64bits(gp[i]) != math.Float64bits(wp[i]) || math.Float64bits(gd[i]) != math.Float64bits(wd[i]) {
							t.Fatalf("kernel %d, cols %d stride %d, [%d][%d] (candidates [%d, %d)): p %v, dz %v; pure Go %v, %v", kern, cols, stride, r, j, lo[r], hi[r], gp[i], gd[i], wp[i], wd[i])
						}
					}
				}
				if math.Float64bits(gl) != math.Float64bits(wl) {
					t.Fatalf("kernel %d: loss %v, pure Go %v", kern, gl, wl)
				}
			}
		}
	}
}
