package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
)

// gradCase is a small random supervised problem for gradient checks.
type gradCase struct {
	m      *MLP
	x      blas64.General
	lo, hi []int
	y      []int
}

func newGradCase(t testing.TB, sizes []int, rows, cands int, seed uint64) gradCase {
	rng := rand.New(rand.NewPCG(seed, 1))
	m, err := NewMLP(sizes, rng)
	if err != nil {
		t.Fatal(err)
	}
	// Random biases too, so that their gradients are tested away from zero.
	for _, l := range m.layers {
		for i := range l.B {
			l.B[i] = 0.1 * rng.NormFloat64()
		}
	}
	in, out := sizes[0], sizes[len(sizes)-1]
	c := gradCase{m: m, x: blas64.General{Rows: rows, Cols: in, Stride: in, Data: make([]float64, rows*in)},
		lo: make([]int, rows), hi: make([]int, rows), y: make([]int, rows)}
	for i := range c.x.Data {
		c.x.Data[i] = rng.NormFloat64()
	}
	for r := range rows {
		g := rng.IntN(out / cands)
		c.lo[r], c.hi[r] = g*cands, (g+1)*cands
		c.y[r] = c.lo[r] + rng.IntN(cands)
	}
	return c
}

func (c gradCase) loss(ws *Workspace) float64 {
	z := c.m.Forward(c.x, ws)
	return CrossEntropy(z, c.lo, c.hi, c.y, ws.DLogits())
}

// TestMLPGradient checks every parameter's gradient, and the input gradient,
// against central finite differences, for one and two hidden layers.
func TestMLPGradient(t *testing.T) {
	for _, sizes := range [][]int{{5, 7, 6}, {6, 8, 5, 9}, {4, 3, 3, 3, 6}} {
		c := newGradCase(t, sizes, 7, 3, uint64(len(sizes)))
		ws := NewWorkspace(c.m, 7)
		grad := make([]float64, len(c.m.Params))
		dx := blas64.General{Rows: 7, Cols: sizes[0], Stride: sizes[0], Data: make([]float64, 7*sizes[0])}
		c.loss(ws)
		c.m.Backward(c.x, ws, grad, dx)
		loss := func() float64 { return c.loss(ws) }
		checkGradient(t, fmt.Sprintf("sizes %v: ∂L/∂θ", sizes), c.m.Params, grad, loss, 1e-6)
		checkGradient(t, fmt.Sprintf("sizes %v: ∂L/∂x", sizes), c.x.Data, dx.Data, loss, 1e-6)
	}
}

// checkGradient compares grad, the analytic gradient of loss in xs, with
// central finite differences, (L(x+h) − L(x−h)) / 2h, to relative tolerance
// tol; xs is restored.
func checkGradient(t *testing.T, label string, xs, grad []float64, loss func() float64, tol float64) {
	t.Helper()
	const h = 1e-6
	for i := range xs {
		old := xs[i]
		xs[i] = old + h
		up := loss()
		xs[i] = old - h
		down := loss()
		xs[i] = old
		if num := (up - down) / (2 * h); !close(grad[i], num, tol) {
			t.Errorf("%s[%d] = %.9g, finite difference %.9g", label, i, grad[i], num)
		}
	}
}

// TestCrossEntropyGradient checks the loss's gradient in the logits, and that
// it is zero outside each row's candidates.
func TestCrossEntropyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	rows, cols := 5, 9
	z := blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float64, rows*cols)}
	dz := blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float64, rows*cols)}
	scratch := blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float64, rows*cols)}
	for i := range z.Data {
		z.Data[i] = 3 * rng.NormFloat64()
	}
	lo, hi, y := []int{0, 3, 6, 0, 2}, []int{3, 6, 9, 9, 4}, []int{1, 5, 6, 8, 2}
	CrossEntropy(z, lo, hi, y, dz)
	checkGradient(t, "∂L/∂z", z.Data, dz.Data, func() float64 { return CrossEntropy(z, lo, hi, y, scratch) }, 1e-7)
	for i := range z.Data {
		r, j := i/cols, i%cols
		if (j < lo[r] || j >= hi[r]) && dz.Data[i] != 0 {
			t.Errorf("row %d: gradient %g on non-candidate column %d", r, dz.Data[i], j)
		}
	}
}

// TestMaskedSoftmax checks that probabilities sum to one over the candidates
// and are invariant to a shift of the logits (stability with huge logits).
func TestMaskedSoftmax(t *testing.T) {
	z := blas64.General{Rows: 3, Cols: 6, Stride: 6, Data: []float64{
		1, 2, 3, 1000, 1001, 1002,
		1, 2, 3, 1000, 1001, 1002,
		-5, 0, 5, 900, -900, 0}}
	p := blas64.General{Rows: 3, Cols: 6, Stride: 6, Data: make([]float64, 18)}
	MaskedSoftmax(z, []int{0, 3, 3}, []int{3, 6, 6}, p)
	want := []float64{0.09003057317038046, 0.24472847105479767, 0.6652409557748219}
	for j, w := range want {
		if !close(p.Data[j], w, 1e-12) || !close(p.Data[6+3+j], w, 1e-12) {
			t.Errorf("p[%d] = %g and %g, want %g (shift invariance)", j, p.Data[j], p.Data[9+j], w)
		}
		if p.Data[3+j] != 0 || p.Data[6+j] != 0 {
			t.Errorf("non-candidate column has probability %g, %g", p.Data[3+j], p.Data[6+j])
		}
	}
	if s := p.Data[15] + p.Data[16] + p.Data[17]; !close(s, 1, 1e-12) || math.IsNaN(s) {
		t.Errorf("row 3: candidates sum to %g", s)
	}
}

// TestAdamStep checks one Adam step against the formula: the first step
// moves every parameter by lr·sign(g) (bias correction makes m̂/√v̂ = g/|g|).
func TestAdamStep(t *testing.T) {
	p := []float64{1, -2, 3}
	a := NewAdam(0.1, 3)
	a.Step(p, []float64{0.5, -4, 1e-3})
	want := []float64{0.9, -1.9, 2.9}
	for i := range p {
		if !close(p[i], want[i], 1e-6) {
			t.Errorf("θ[%d] = %g, want %g", i, p[i], want[i])
		}
	}
}

// TestTrainerLearns checks that supervised training reduces the loss on a
// learnable problem, and that it does so identically when repeated.
func TestTrainerLearns(t *testing.T) {
	train := func() (first, last float64, params []float64) {
		rng := rand.New(rand.NewPCG(5, 5))
		m, _ := NewMLP([]int{4, 16, 6}, rng)
		d := NewDataset(256, 4)
		for i := range d.Len() {
			row := d.Row(i)
			for j := range row {
				row[j] = rng.NormFloat64()
			}
			g := i % 2
			d.Lo[i], d.Hi[i] = 3*g, 3*g+3
			k := 0
			if row[0] > 0 {
				k = 1
			}
			if row[1] > 1 {
				k = 2
			}
			d.Y[i] = d.Lo[i] + k
		}
		tr := NewTrainer(m, NewAdam(1e-2, len(m.Params)))
		all := make([]int, d.Len())
		for i := range all {
			all[i] = i
		}
		first = tr.Step(d, all)
		for range 300 {
			tr.Step(d, all)
		}
		last = tr.Step(d, all)
		return first, last, m.Params
	}
	f, l, p1 := train()
	if !(l < 0.3*f) {
		t.Errorf("loss %g → %g: want a fall below 30%%", f, l)
	}
	_, _, p2 := train()
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Fatalf("training is not deterministic: θ[%d] %v vs %v", i, p1[i], p2[i])
		}
	}
}

// TestTrainerDiverges checks that an absurd learning rate is reported as
// divergence rather than trained through.
func TestTrainerDiverges(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	m, _ := NewMLP([]int{3, 8, 3}, rng)
	d := NewDataset(64, 3)
	for i := range d.Len() {
		for j := range d.Row(i) {
			d.Row(i)[j] = 10 * rng.NormFloat64()
		}
		d.Lo[i], d.Hi[i], d.Y[i] = 0, 3, i%3
	}
	st := Stage{Kind: "sft", Steps: 200, Batch: 16, LR: 1e6}
	err := NewTrainer(m, &SGD{LR: st.LR}).Run(t.Context(), d, st, rng, 0, nil)
	de, ok := err.(*DivergedError)
	if !ok {
		t.Fatalf("err = %v, want *DivergedError", err)
	}
	if de.Step < 1 || de.Step > 200 {
		t.Errorf("diverged at step %d", de.Step)
	}
}

// TestStepAllocs checks that a training step allocates nothing once warm.
func TestStepAllocs(t *testing.T) {
	c := newGradCase(t, []int{34, 32, 32, 18}, 64, 3, 9)
	d := &Dataset{X: c.x, Lo: c.lo, Hi: c.hi, Y: c.y}
	tr := NewTrainer(c.m, NewAdam(1e-3, len(c.m.Params)))
	idx := make([]int, 64)
	for i := range idx {
		idx[i] = i
	}
	tr.Step(d, idx)
	if a := testing.AllocsPerRun(20, func() { tr.Step(d, idx) }); a != 0 {
		t.Errorf("a training step allocates %v times, want 0", a)
	}
}

func close(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*(1+math.Max(math.Abs(a), math.Abs(b)))
}

// TestAdamVectorBits checks that the SIMD Adam update gives every element
// the bits of the scalar loop, over many steps and odd lengths.
func TestAdamVectorBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for _, n := range []int{1, 3, 4, 7, 64, 1027} {
		p1 := make([]float64, n)
		g := make([]float64, n)
		for i := range p1 {
			p1[i] = rng.NormFloat64()
		}
		p2 := append([]float64(nil), p1...)
		a := NewAdam(3e-3, n)
		m, v := make([]float64, n), make([]float64, n)
		for step := 1; step <= 50; step++ {
			for i := range g {
				g[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4))
			}
			a.Step(p1, g)
			b1, b2 := a.Beta1, a.Beta2 // variables: 1 - 0.9 as a constant rounds differently
			k := adamConsts{b1: b1, b2: b2, omb1: 1 - b1, omb2: 1 - b2,
				c1: 1 / (1 - math.Pow(b1, float64(step))), c2: 1 / (1 - math.Pow(b2, float64(step))), lr: a.LR, eps: a.Eps}
			adamScalar(p2, g, m, v, &k)
		}
		for i := range p1 {
			if math.Float64bits(p1[i]) != math.Float64bits(p2[i]) {
				t.Fatalf("n %d: θ[%d] = %v (Step) vs %v (scalar loop)", n, i, p1[i], p2[i])
			}
		}
	}
}
