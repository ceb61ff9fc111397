package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// MLP is a multilayer perceptron with ReLU hidden layers and a linear output:
//
//	h₀ = x,   hₗ = relu(hₗ₋₁ Wₗ + bₗ)  (l = 1..L),   z = h_L W_out + b_out.
//
// All parameters live in one flat slice, Params, so that copying a model,
// an optimiser step and a finite-difference test are each a loop over one
// slice. Rows of a batch are examples (row-major, as gonum stores them).
type MLP struct {
	// Sizes are the layer widths: input, hidden..., output.
	Sizes []int
	// Params holds every weight and bias; the layer views below alias it.
	Params []float64
	layers []dense
}

// dense is one affine layer's view into the flat parameter slice.
type dense struct {
	W blas64.General // in × out
	B []float64      // out
	// WB is W followed by B in Params, as a gradient sees them.
	WB []float64
}

// NewMLP returns an MLP with the given layer sizes (at least input and output),
// its weights drawn by He initialisation, N(0, 2/fan_in), and zero biases.
func NewMLP(sizes []int, rng *rand.Rand) (*MLP, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("mlp: need at least input and output sizes, got %v", sizes)
	}
	for i, s := range sizes {
		if s <= 0 {
			return nil, fmt.Errorf("mlp: layer %d has size %d, want > 0", i, s)
		}
	}
	m := &MLP{Sizes: append([]int(nil), sizes...)}
	m.Params = make([]float64, m.NumParams())
	m.bind()
	for _, l := range m.layers {
		sd := math.Sqrt(2 / float64(l.W.Rows))
		for i := range l.W.Data {
			l.W.Data[i] = rng.NormFloat64() * sd
		}
	}
	return m, nil
}

// NumParams is the number of parameters of an MLP of these sizes.
func (m *MLP) NumParams() int { return NumParams(m.Sizes) }

// NumParams is the number of parameters of an MLP of layer sizes sizes
// (inputs, hidden layers, outputs): a weight matrix and a bias per layer.
func NumParams(sizes []int) int {
	n := 0
	for i := 1; i < len(sizes); i++ {
		n += sizes[i-1]*sizes[i] + sizes[i]
	}
	return n
}

// bind points the layer views into Params.
func (m *MLP) bind() {
	m.layers = m.layers[:0]
	off := 0
	for i := 1; i < len(m.Sizes); i++ {
		in, out := m.Sizes[i-1], m.Sizes[i]
		w := blas64.General{Rows: in, Cols: out, Stride: out, Data: m.Params[off : off+in*out]}
		off += in * out
		m.layers = append(m.layers, dense{W: w, B: m.Params[off : off+out], WB: m.Params[off-in*out : off+out]})
		off += out
	}
}

// Clone returns a deep copy of m.
func (m *MLP) Clone() *MLP {
	c := &MLP{Sizes: append([]int(nil), m.Sizes...), Params: append([]float64(nil), m.Params...)}
	c.bind()
	return c
}

// In and Out are the input and output widths.
func (m *MLP) In() int  { return m.Sizes[0] }
func (m *MLP) Out() int { return m.Sizes[len(m.Sizes)-1] }

// Workspace holds the activations of one forward pass and the buffers of the
// backward pass, so that a training step allocates nothing. A Workspace grows
// to the largest batch it has seen and is not safe for concurrent use.
type Workspace struct {
	sizes []int
	post  []blas64.General // h_l = relu(a_l) for hidden layers; the last is the logits
	delta []blas64.General // ∂loss/∂a_l
	// Scratch of the packed kernels: the packed rows of a product's left
	// factor, a transposed layer input with a row of ones ([hᵀ; 1ᵀ], for
	// [∂W; ∂b]) and a transposed weight matrix (W_lᵀ, for δ_{l-1}).
	pk packed
	at []float64
	wt []float64
	// kern is the instruction set of the packed kernels (all give the same bits).
	kern kernel
	// blasMin is the size (rows·in·out multiply-adds) from which a layer's
	// products go through blas64 rather than the packed kernels.
	blasMin int
}

// NewWorkspace returns a workspace for m with room for rows examples.
func NewWorkspace(m *MLP, rows int) *Workspace {
	ws := &Workspace{sizes: append([]int(nil), m.Sizes...), kern: bestKernel(), blasMin: blasMinMACs}
	big := 0
	for l := 1; l < len(m.Sizes); l++ {
		big = max(big, m.Sizes[l-1]*m.Sizes[l])
	}
	ws.wt = make([]float64, big)
	ws.grow(rows)
	return ws
}

func (ws *Workspace) grow(rows int) {
	if len(ws.post) > 0 && rows <= cap(ws.post[0].Data)/ws.post[0].Cols {
		for l := range ws.post {
			ws.post[l].Rows, ws.post[l].Data = rows, ws.post[l].Data[:rows*ws.post[l].Cols]
			ws.delta[l].Rows, ws.delta[l].Data = rows, ws.delta[l].Data[:rows*ws.delta[l].Cols]
		}
		return
	}
	n := len(ws.sizes) - 1
	ws.post, ws.delta = make([]blas64.General, n), make([]blas64.General, n)
	for l := 0; l < n; l++ {
		out := ws.sizes[l+1]
		mk := func() blas64.General {
			return blas64.General{Rows: rows, Cols: out, Stride: out, Data: make([]float64, rows*out)}
		}
		ws.post[l], ws.delta[l] = mk(), mk()
	}
	wide := slices.Max(ws.sizes)
	ws.at = make([]float64, (wide+1)*rows)
	ws.pk.reserve(max(rows*(wide+packPad), (wide+1)*(rows+packPad)), max(rows, wide+1))
}

// DLogits returns the buffer, shaped like the last logits, into which a loss
// writes ∂loss/∂z before Backward.
func (ws *Workspace) DLogits() blas64.General { return ws.delta[len(ws.delta)-1] }

// Hidden returns the activations of hidden layer l (1-based) from the last
// Forward call: rows × Sizes[l].
func (ws *Workspace) Hidden(l int) blas64.General { return ws.post[l-1] }

// Forward computes the logits for the rows of x (rows × In) and returns them
// as a view into ws, valid until the next call with ws.
func (m *MLP) Forward(x blas64.General, ws *Workspace) blas64.General {
	ws.grow(x.Rows)
	return m.forward(x, ws, ws.blasMin)
}

// forward runs the layers: a layer whose product has at least blasMin
// multiply-adds (rows·in·out) goes through blas64.Gemm, the others through
// the packed kernels of gemm.go.
func (m *MLP) forward(x blas64.General, ws *Workspace, blasMin int) blas64.General {
	h := x
	last := len(m.layers) - 1
	for l, ly := range m.layers {
		out := ws.post[l]
		if x.Rows*ly.W.Rows*ly.W.Cols >= blasMin {
			forwardLayerBLAS(h, ly, out, l < last)
		} else {
			p := &ws.pk
			p.pack(ws.kern, h)
			mode := modeReLU
			if l == last {
				mode = modePlain
			}
			fmaRows(ws.kern, p, h, ly.W.Data, ly.W.Stride, ly.B, out.Cols, out.Data, out.Stride, mode, nil, 0)
		}
		h = out
	}
	return ws.post[last]
}

// Backward writes into grad (len NumParams) the gradient of a loss with
// respect to the parameters, given ∂loss/∂z in ws.DLogits() for the rows of
// the last Forward(x, ws):
//
//	∂W_l = h_{l-1}ᵀ δ_l,   ∂b_l = Σ_rows δ_l,   δ_{l-1} = (δ_l W_lᵀ) ⊙ [a_{l-1} > 0].
//
// If dx has rows (rows × In) it receives ∂loss/∂x.
func (m *MLP) Backward(x blas64.General, ws *Workspace, grad []float64, dx blas64.General) {
	m.backward(x, ws, grad, dx, ws.blasMin)
}

// backward is Backward with forward's choice of products per layer (the
// same blasMin).
func (m *MLP) backward(x blas64.General, ws *Workspace, grad []float64, dx blas64.General, blasMin int) {
	off := len(grad)
	for l := len(m.layers) - 1; l >= 0; l-- {
		ly := m.layers[l]
		d := ws.delta[l]
		in, out := ly.W.Rows, ly.W.Cols
		off -= len(ly.WB)
		gwb := grad[off : off+len(ly.WB)] // [∂W; ∂b]
		h, prev := x, dx
		if l > 0 {
			h, prev = ws.post[l-1], ws.delta[l-1]
		}
		if d.Rows*in*out >= blasMin {
			backwardLayerBLAS(h, ly, d, gwb, prev, l > 0)
			continue
		}
		// [∂W; ∂b] = [hᵀ; 1ᵀ] δ, a product over the columns of h.
		rows := d.Rows
		at := blas64.General{Rows: in + 1, Cols: rows, Stride: rows, Data: ws.at[:(in+1)*rows]}
		transpose(ws.kern, h, at.Data, rows)
		for i := range at.Data[in*rows:] {
			at.Data[in*rows+i] = 1
		}
		ws.pk.pack(ws.kern, at)
		fmaRows(ws.kern, &ws.pk, at, d.Data, d.Stride, nil, out, gwb, out, modePlain, nil, 0)
		if prev.Rows == 0 {
			continue
		}
		// δ_{l-1} = δ_l W_lᵀ, masked by h > 0 below the top layer.
		transpose(ws.kern, ly.W, ws.wt, in)
		ws.pk.pack(ws.kern, d)
		if l > 0 {
			fmaRows(ws.kern, &ws.pk, d, ws.wt, in, nil, in, prev.Data, prev.Stride, modeMask, h.Data, h.Stride)
		} else {
			fmaRows(ws.kern, &ws.pk, d, ws.wt, in, nil, in, prev.Data, prev.Stride, modePlain, nil, 0)
		}
	}
}

// forwardLayerBLAS sets a = h W + b through blas64.Gemm, then relu(a) if
// relu is set.
func forwardLayerBLAS(h blas64.General, ly dense, a blas64.General, relu bool) {
	for r := 0; r < a.Rows; r++ {
		copy(a.Data[r*a.Stride:r*a.Stride+a.Cols], ly.B)
	}
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, h, ly.W, 1, a)
	if relu {
		for i, v := range a.Data {
			a.Data[i] = max(v, 0) // no branch: the signs are random
		}
	}
}

// backwardLayerBLAS writes [∂W; ∂b] = [inᵀ δ; Σ_rows δ] into gwb and, if
// prev has rows, prev = δ Wᵀ, masked by in > 0 if mask is set, through
// blas64.Gemm.
func backwardLayerBLAS(in blas64.General, ly dense, d blas64.General, gwb []float64, prev blas64.General, mask bool) {
	nw := len(ly.W.Data)
	gw := blas64.General{Rows: ly.W.Rows, Cols: ly.W.Cols, Stride: ly.W.Stride, Data: gwb[:nw]}
	gb := gwb[nw:]
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, in, d, 0, gw)
	clear(gb)
	for r := 0; r < d.Rows; r++ {
		for j, v := range d.Data[r*d.Stride : r*d.Stride+d.Cols] {
			gb[j] += v
		}
	}
	if prev.Rows == 0 {
		return
	}
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, d, ly.W, 0, prev)
	if mask {
		for i, v := range in.Data[:in.Rows*in.Stride] {
			p := prev.Data[i]
			if v <= 0 {
				p = 0
			}
			prev.Data[i] = p
		}
	}
}
