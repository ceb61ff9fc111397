package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
)

// randSparse returns an r × c matrix with a share zero of exact zeros (and
// some negative zeros), the rest normal.
func randSparse(rng *rand.Rand, r, c int, zero float64) blas64.General {
	g := blas64.General{Rows: r, Cols: c, Stride: c, Data: make([]float64, r*c)}
	for i := range g.Data {
		switch u := rng.Float64(); {
		case u < zero/2:
			g.Data[i] = 0
		case u < zero:
			g.Data[i] = math.Copysign(0, -1)
		default:
			g.Data[i] = rng.NormFloat64()
		}
	}
	return g
}

// TestKernelsMatchGo checks that the assembly kernels give exactly the bits
// of the pure-Go ones, for every chunk width and epilogue, so that results do
// not depend on the CPU.
func TestKernelsMatchGo(t *testing.T) {
	if !haveAVX2() {
		t.Skip("no assembly kernels on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 75; n++ {
		for _, k := range []int{1, 2, 3, 6, 17, 40} {
			rows := 1 + rng.IntN(9)
			a := randSparse(rng, rows, k, 0.4)
			b := randSparse(rng, k+1, n, 0.1)
			m := randSparse(rng, rows, n, 0.5)
			m.Data[0] = math.NaN()
			var p packed
			p.pack(false, a, n, true)
			var pa packed
			pa.pack(true, a, n, true)
			if !samePack(&p, &pa) {
				t.Fatalf("n=%d k=%d: assembly and Go packs differ", n, k)
			}
			for mode := modePlain; mode <= modeMask; mode++ {
				ldc := n + 3
				c1 := make([]float64, rows*ldc)
				c2 := make([]float64, rows*ldc)
				for i := range c1 {
					c1[i], c2[i] = 7, 7 // the gaps between rows must survive
				}
				fmaRowsAsm(&p, b.Data, n, c1, ldc, mode, m.Data, m.Stride)
				fmaRowsGo(&p, b.Data, n, c2, ldc, mode, m.Data, m.Stride)
				for i := range c1 {
					if math.Float64bits(c1[i]) != math.Float64bits(c2[i]) {
						t.Fatalf("rows n=%d k=%d mode %d: element %d asm %v, Go %v", n, k, mode, i, c1[i], c2[i])
					}
				}
			}
			// Scatter: C is (k+1) × n with stride n, D is rows × n.
			d := randSparse(rng, rows, n+2, 0.3)
			c1 := make([]float64, (k+1)*n)
			for i := range c1 {
				c1[i] = rng.NormFloat64()
			}
			c2 := append([]float64(nil), c1...)
			fmaScatterAsm(&p, d.Data, d.Stride, n, c1)
			fmaScatterGo(&p, d.Data, d.Stride, n, c2)
			for i := range c1 {
				if math.Float64bits(c1[i]) != math.Float64bits(c2[i]) {
					t.Fatalf("scatter n=%d k=%d: element %d asm %v, Go %v", n, k, i, c1[i], c2[i])
				}
			}
		}
	}
}

// TestKernelsAgainstNaive checks the packed products against plain loops.
func TestKernelsAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, asm := range []bool{false, haveAVX2()} {
		for _, n := range []int{1, 5, 18, 32, 34, 67} {
			rows, k := 6, 13
			a := randSparse(rng, rows, k, 0.5)
			b := randSparse(rng, k+1, n, 0)
			var p packed
			p.pack(asm, a, n, true)
			c := make([]float64, rows*n)
			fmaRows(asm, &p, b.Data, n, c, n, modePlain, nil, 0)
			for i := range rows {
				for j := range n {
					want := b.Data[k*n+j]
					for kk := range k {
						want += a.Data[i*k+kk] * b.Data[kk*n+j]
					}
					if got := c[i*n+j]; !close(got, want, 1e-12) {
						t.Fatalf("asm %v n %d: C[%d,%d] = %v, want %v", asm, n, i, j, got, want)
					}
				}
			}
			// ∂W = aᵀd and ∂b = Σ d into a (k+1) × n matrix.
			d := randSparse(rng, rows, n, 0.2)
			g := make([]float64, (k+1)*n)
			fmaScatter(asm, &p, d.Data, n, n, g)
			for kk := range k + 1 {
				for j := range n {
					want := 0.0
					for r := range rows {
						av := 1.0
						if kk < k {
							av = a.Data[r*k+kk]
						}
						want += av * d.Data[r*n+j]
					}
					if got := g[kk*n+j]; !close(got, want, 1e-12) {
						t.Fatalf("asm %v n %d: ∂W[%d,%d] = %v, want %v", asm, n, kk, j, got, want)
					}
				}
			}
		}
	}
}

// samePack reports whether two packs hold the same entries.
func samePack(p, q *packed) bool {
	if p.rows != q.rows {
		return false
	}
	for i := range p.rows {
		if p.cnt[i] != q.cnt[i] {
			return false
		}
		for e := i * p.stride; e < i*p.stride+int(p.cnt[i]); e++ {
			f := e - i*p.stride + i*q.stride
			if p.off[e] != q.off[f] || math.Float64bits(p.val[e]) != math.Float64bits(q.val[f]) {
				return false
			}
		}
	}
	return true
}

// TestPackedMatchesBLAS checks the packed kernels' forward and backward
// passes against the same passes through blas64.Gemm (gonum's own BLAS, or
// OpenBLAS under the openblas tag) to 1e-12: they differ only in the order
// of the sums.
func TestPackedMatchesBLAS(t *testing.T) {
	for _, sizes := range [][]int{{5, 7, 6}, {34, 32, 32, 18}, {48, 32, 32, 18}, {64, 256, 256, 18}, {4, 3, 3, 3, 6}} {
		c := newGradCase(t, sizes, 37, 3, 7)
		// ReLU zeros and one-hot blocks, as in the worlds' inputs.
		for r := range c.x.Rows {
			for k := range min(6, sizes[0]) {
				c.x.Data[r*c.x.Stride+k] = 0
			}
			c.x.Data[r*c.x.Stride+r%min(6, sizes[0])] = 1
		}
		rows, in := c.x.Rows, sizes[0]
		type pass struct {
			z, h1, grad, dx []float64
		}
		run := func(blas bool) pass {
			ws := NewWorkspace(c.m, rows)
			var z blas64.General
			if blas {
				z = c.m.forward(c.x, ws, 0)
			} else {
				z = c.m.forward(c.x, ws, math.MaxInt)
			}
			p := pass{z: append([]float64(nil), z.Data...), h1: append([]float64(nil), ws.Hidden(1).Data...)}
			CrossEntropy(z, c.lo, c.hi, c.y, ws.DLogits())
			p.grad = make([]float64, len(c.m.Params))
			dx := blas64.General{Rows: rows, Cols: in, Stride: in, Data: make([]float64, rows*in)}
			if blas {
				c.m.backward(c.x, ws, p.grad, dx, 0)
			} else {
				c.m.backward(c.x, ws, p.grad, dx, math.MaxInt)
			}
			p.dx = dx.Data
			return p
		}
		a, b := run(false), run(true)
		cmp := func(what string, u, v []float64) {
			for i := range u {
				if !close(u[i], v[i], 1e-12) {
					t.Fatalf("sizes %v: %s[%d] packed %v, BLAS %v", sizes, what, i, u[i], v[i])
				}
			}
		}
		cmp("logits", a.z, b.z)
		cmp("h1", a.h1, b.h1)
		cmp("grad", a.grad, b.grad)
		cmp("dx", a.dx, b.dx)
	}
}

// TestTrainingSameOnAnyCPU trains with the assembly kernels and with the
// pure-Go ones and checks that the parameters agree to the bit.
func TestTrainingSameOnAnyCPU(t *testing.T) {
	if !haveAVX2() {
		t.Skip("only the pure-Go kernels on this CPU or in this build")
	}
	train := func(asm bool) []float64 {
		c := newGradCase(t, []int{34, 32, 32, 18}, 200, 3, 11)
		d := &Dataset{X: c.x, Lo: c.lo, Hi: c.hi, Y: c.y}
		tr := NewTrainer(c.m, NewAdam(1e-2, len(c.m.Params)))
		tr.ws.asm = asm
		rng := rand.New(rand.NewPCG(1, 1))
		if err := tr.Run(t.Context(), d, Stage{Steps: 100, Batch: 32}, rng, 0, nil); err != nil {
			t.Fatal(err)
		}
		return c.m.Params
	}
	a, g := train(true), train(false)
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(g[i]) {
			t.Fatalf("θ[%d]: assembly %v, pure Go %v", i, a[i], g[i])
		}
	}
}
