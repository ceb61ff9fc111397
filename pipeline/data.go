package pipeline

import "gonum.org/v1/gonum/blas/blas64"

// A Dataset is a set of supervised examples: prompt features, the candidate
// responses each prompt allows, and the target response.
type Dataset struct {
	X      blas64.General // N × In prompt features
	Lo, Hi []int          // candidate output columns [Lo[i], Hi[i]) of example i
	Y      []int          // target output column of example i
}

// NewDataset returns a zeroed dataset of n examples of width in.
func NewDataset(n, in int) *Dataset {
	return &Dataset{
		X:  blas64.General{Rows: n, Cols: in, Stride: in, Data: make([]float64, n*in)},
		Lo: make([]int, n), Hi: make([]int, n), Y: make([]int, n),
	}
}

// Len is the number of examples.
func (d *Dataset) Len() int { return len(d.Y) }

// Row returns example i's features, to be filled or read.
func (d *Dataset) Row(i int) []float64 { return d.X.Data[i*d.X.Stride : i*d.X.Stride+d.X.Cols] }

// gather copies the examples idx of d into b, reusing b's storage.
func (b *Dataset) gather(d *Dataset, idx []int) {
	n, in := len(idx), d.X.Cols
	if cap(b.X.Data) < n*in {
		b.X.Data = make([]float64, n*in)
		b.Lo, b.Hi, b.Y = make([]int, n), make([]int, n), make([]int, n)
	}
	b.X = blas64.General{Rows: n, Cols: in, Stride: in, Data: b.X.Data[:n*in]}
	b.Lo, b.Hi, b.Y = b.Lo[:n], b.Hi[:n], b.Y[:n]
	for k, i := range idx {
		copy(b.Row(k), d.Row(i))
		b.Lo[k], b.Hi[k], b.Y[k] = d.Lo[i], d.Hi[i], d.Y[i]
	}
}
