package pipeline

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
)

// TestSoftCrossEntropyGradient checks the soft loss's gradient in the
// logits against finite differences, that it is zero outside each row's
// candidates, and that a one-hot target gives CrossEntropy's loss.
func TestSoftCrossEntropyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	rows, cols := 5, 9
	mat := func() blas64.General {
		return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float64, rows*cols)}
	}
	z, q, dz, scratch := mat(), mat(), mat(), mat()
	for i := range z.Data {
		z.Data[i] = 3 * rng.NormFloat64()
	}
	lo, hi := []int{0, 3, 6, 0, 2}, []int{3, 6, 9, 9, 4}
	for r := range rows {
		s := 0.0
		for j := lo[r]; j < hi[r]; j++ {
			q.Data[r*cols+j] = rng.Float64()
			s += q.Data[r*cols+j]
		}
		for j := lo[r]; j < hi[r]; j++ {
			q.Data[r*cols+j] /= s
		}
	}
	SoftCrossEntropy(z, lo, hi, q, dz)
	checkGradient(t, "∂L/∂z", z.Data, dz.Data, func() float64 { return SoftCrossEntropy(z, lo, hi, q, scratch) }, 1e-7)
	for i := range z.Data {
		r, j := i/cols, i%cols
		if (j < lo[r] || j >= hi[r]) && dz.Data[i] != 0 {
			t.Errorf("row %d: gradient %g on non-candidate column %d", r, dz.Data[i], j)
		}
	}
	y := []int{1, 5, 6, 8, 2}
	clear(q.Data)
	for r := range rows {
		q.Data[r*cols+y[r]] = 1
	}
	if soft, hard := SoftCrossEntropy(z, lo, hi, q, scratch), CrossEntropy(z, lo, hi, y, dz); math.Abs(soft-hard) > 1e-12 {
		t.Errorf("one-hot soft loss %.15g, hard loss %.15g: want equal", soft, hard)
	}
}

// TestSoftTrainerMatches trains a student (Trainer.RunSoft) toward a fixed teacher's soft
// outputs on its inputs and checks that the loss falls to near the
// targets' entropy.
func TestSoftTrainerMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	teacher, err := NewMLP([]int{4, 8, 3}, rng)
	if err != nil {
		t.Fatal(err)
	}
	student, err := NewMLP([]int{4, 8, 3}, rng)
	if err != nil {
		t.Fatal(err)
	}
	n := 200
	d := NewSoftDataset(n, 4, 3)
	for i := range d.X.Data {
		d.X.Data[i] = rng.NormFloat64()
	}
	for i := range n {
		d.Lo[i], d.Hi[i] = 0, 3
	}
	z := teacher.Forward(d.X, NewWorkspace(teacher, n))
	MaskedSoftmax(z, d.Lo, d.Hi, d.Q)
	entropy := 0.0
	for _, p := range d.Q.Data {
		if p > 0 {
			entropy -= p * math.Log(p) / float64(n)
		}
	}
	scratch := blas64.General{Rows: n, Cols: 3, Stride: 3, Data: make([]float64, 3*n)}
	gap := func() float64 {
		return SoftCrossEntropy(student.Forward(d.X, NewWorkspace(student, n)), d.Lo, d.Hi, d.Q, scratch) - entropy
	}
	before := gap()
	tr := NewTrainer(student, NewAdam(1e-2, len(student.Params)))
	if err := tr.RunSoft(context.Background(), d, Stage{Steps: 600, Batch: 32}, rand.New(rand.NewPCG(6, 6)), 0, nil); err != nil {
		t.Fatal(err)
	}
	after := gap()
	t.Logf("KL to the teacher: %.4f → %.4f nats", before, after)
	if !(after < before/10) {
		t.Errorf("KL to the teacher %.4f → %.4f: want a tenth or less", before, after)
	}
}
