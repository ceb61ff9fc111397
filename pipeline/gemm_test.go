package pipeline

import (
	"math"
	"math/bits"
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
// of the pure-Go ones, for every chunk width and epilogue, with and without
// a bias, so that results do not depend on the CPU.
func TestKernelsMatchGo(t *testing.T) {
	if bestKernel() == kernGo {
		t.Skip("no assembly kernels on this CPU or in this build")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	same := func(u, v []float64) int {
		for i := range u {
			if math.Float64bits(u[i]) != math.Float64bits(v[i]) {
				return i
			}
		}
		return -1
	}
	for n := 1; n <= 75; n++ {
		for _, k := range []int{1, 2, 3, 6, 8, 9, 17, 40} {
			rows := 1 + rng.IntN(9)
			a := randSparse(rng, rows, k, 0.4)
			a.Data[0] = math.NaN()
			// A stride of a power of two takes the kernels' shift path.
			ldb := n + rng.IntN(3)
			if n%2 == 0 {
				ldb = 1 << bits.Len(uint(n-1))
			}
			b := randSparse(rng, k, ldb, 0.1)
			bias := randSparse(rng, 1, n, 0.2).Data
			m := randSparse(rng, rows, n, 0.5)
			m.Data[0] = math.NaN()
			var p, pa packed
			p.pack(kernGo, a)
			for kern := kernAVX2; kern <= bestKernel(); kern++ {
				pa.pack(kern, a)
				if !samePack(&p, &pa) {
					t.Fatalf("kernel %d k=%d: assembly and Go packs differ", kern, k)
				}
			}
			for mode := modePlain; mode <= modeMask; mode++ {
				for _, bs := range [][]float64{nil, bias} {
					ldc := n + 3
					c1 := make([]float64, rows*ldc)
					c2 := make([]float64, rows*ldc)
					for i := range c1 {
						c1[i], c2[i] = 7, 7 // the gaps between rows must survive
					}
					fmaRowsGo(&p, a, b.Data, ldb, bs, n, c2, ldc, mode, m.Data, m.Stride)
					for kern := kernAVX2; kern <= bestKernel(); kern++ {
						fmaRowsAsm(kern, &p, a, b.Data, ldb, bs, n, c1, ldc, mode, m.Data, m.Stride)
						if i := same(c1, c2); i >= 0 {
							t.Fatalf("rows kernel %d n=%d k=%d mode %d bias %v: element %d asm %v, Go %v", kern, n, k, mode, bs != nil, i, c1[i], c2[i])
						}
					}
				}
			}
		}
	}
}

// TestKernelsAgainstNaive checks the packed products against plain loops.
func TestKernelsAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for kern := kernGo; kern <= bestKernel(); kern++ {
		for _, n := range []int{1, 5, 18, 32, 34, 67} {
			rows, k := 6, 13
			a := randSparse(rng, rows, k, 0.5)
			b := randSparse(rng, k, n, 0)
			bias := randSparse(rng, 1, n, 0).Data
			var p packed
			p.pack(kern, a)
			c := make([]float64, rows*n)
			fmaRows(kern, &p, a, b.Data, n, bias, n, c, n, modePlain, nil, 0)
			for i := range rows {
				for j := range n {
					want := bias[j]
					for kk := range k {
						want += a.Data[i*k+kk] * b.Data[kk*n+j]
					}
					if got := c[i*n+j]; !close(got, want, 1e-12) {
						t.Fatalf("kernel %d n %d: C[%d,%d] = %v, want %v", kern, n, i, j, got, want)
					}
				}
			}
		}
	}
}

// TestTranspose checks the transpose of every kernel against the definition,
// for shapes with and without whole 4×4 blocks.
func TestTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for kern := kernGo; kern <= bestKernel(); kern++ {
		for _, r := range []int{1, 3, 4, 9, 64} {
			for _, c := range []int{1, 4, 6, 34} {
				a := randSparse(rng, r, c+2, 0)
				a.Cols = c // a view with stride > cols
				ldt := r + 1
				tt := make([]float64, c*ldt)
				transpose(kern, a, tt, ldt)
				for i := range r {
					for j := range c {
						if tt[j*ldt+i] != a.Data[i*a.Stride+j] {
							t.Fatalf("kernel %d %d×%d: t[%d][%d] = %v, want %v", kern, r, c, j, i, tt[j*ldt+i], a.Data[i*a.Stride+j])
						}
					}
				}
			}
		}
	}
}

// samePack reports whether two packs list the same columns.
func samePack(p, q *packed) bool {
	if p.rows != q.rows {
		return false
	}
	for i := range p.rows {
		if p.cnt[i] != q.cnt[i] {
			return false
		}
		for e := range int(p.cnt[i]) {
			if p.idx[i*p.stride+e] != q.idx[i*q.stride+e] {
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
		// run passes every layer of at least blasMin multiply-adds through
		// blas64.
		run := func(blasMin int) pass {
			ws := NewWorkspace(c.m, rows)
			z := c.m.forward(c.x, ws, blasMin)
			p := pass{z: append([]float64(nil), z.Data...), h1: append([]float64(nil), ws.Hidden(1).Data...)}
			CrossEntropy(z, c.lo, c.hi, c.y, ws.DLogits())
			p.grad = make([]float64, len(c.m.Params))
			dx := blas64.General{Rows: rows, Cols: in, Stride: in, Data: make([]float64, rows*in)}
			c.m.backward(c.x, ws, p.grad, dx, blasMin)
			p.dx = dx.Data
			return p
		}
		// A threshold at the middle layer's size mixes the two: the layers
		// at least that large through BLAS, the others packed.
		mid := rows * sizes[len(sizes)/2-1] * sizes[len(sizes)/2]
		a, b, mixed := run(math.MaxInt), run(0), run(mid)
		cmp := func(what string, u, v []float64) {
			for i := range u {
				if !close(u[i], v[i], 1e-12) {
					t.Fatalf("sizes %v: %s[%d] packed %v, BLAS %v", sizes, what, i, u[i], v[i])
				}
			}
		}
		for _, b := range []pass{b, mixed} {
			cmp("logits", a.z, b.z)
			cmp("h1", a.h1, b.h1)
			cmp("grad", a.grad, b.grad)
			cmp("dx", a.dx, b.dx)
		}
	}
}

// TestTrainingSameOnAnyCPU trains with each kernel this CPU runs and with
// the pure-Go one and checks that the parameters agree to the bit.
func TestTrainingSameOnAnyCPU(t *testing.T) {
	if bestKernel() == kernGo {
		t.Skip("only the pure-Go kernels on this CPU or in this build")
	}
	train := func(kern kernel) []float64 {
		c := newGradCase(t, []int{34, 32, 32, 18}, 200, 3, 11)
		d := &Dataset{X: c.x, Lo: c.lo, Hi: c.hi, Y: c.y}
		tr := NewTrainer(c.m, NewAdam(1e-2, len(c.m.Params)))
		tr.ws.kern = kern
		rng := rand.New(rand.NewPCG(1, 1))
		if err := tr.Run(t.Context(), d, Stage{Steps: 100, Batch: 33}, rng, 0, nil); err != nil {
			t.Fatal(err)
		}
		return c.m.Params
	}
	sameParamsOnEveryKernel(t, train)
}

// sameParamsOnEveryKernel checks that train gives the same parameters, bit
// for bit, with each assembly kernel this CPU runs as with pure Go.
func sameParamsOnEveryKernel(t *testing.T, train func(kernel) []float64) {
	t.Helper()
	want := train(kernGo)
	for kern := kernAVX2; kern <= bestKernel(); kern++ {
		got := train(kern)
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("kernel %d: θ[%d] = %v, pure Go %v", kern, i, got[i], want[i])
			}
		}
	}
}
