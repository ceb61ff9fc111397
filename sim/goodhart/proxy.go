package goodhart

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/natmo/natmo/pipeline"
	"gonum.org/v1/gonum/blas/blas64"
)

// A Proxy is the reward model r̂(x, y): an MLP on [x, φ] with one output,
// or, with Net nil, the gold reward itself (the switch: a proxy fitted to
// infinite clean data).
type Proxy struct {
	Net *pipeline.MLP
}

// Clone returns a deep copy.
func (p *Proxy) Clone() *Proxy {
	if p == nil || p.Net == nil {
		return p
	}
	return &Proxy{Net: p.Net.Clone()}
}

// scoreChunk is the number of rows scored per forward pass.
const scoreChunk = 4096

// Score writes r̂ of every row of pool into out (len P·K).
func (p *Proxy) Score(pool *Pool, out []float64) {
	if p.Net == nil {
		copy(out, pool.Gold)
		return
	}
	forwardRows(p.Net, pool.Inputs, pool.In, out)
}

// forwardRows writes the single output of net on every row of inputs
// (rows × in, flat) into out, in chunks.
func forwardRows(net *pipeline.MLP, inputs []float64, in int, out []float64) {
	n := len(out)
	ws := pipeline.NewWorkspace(net, min(n, scoreChunk))
	for lo := 0; lo < n; lo += scoreChunk {
		hi := min(n, lo+scoreChunk)
		x := blas64.General{Rows: hi - lo, Cols: in, Stride: in, Data: inputs[lo*in : hi*in]}
		z := net.Forward(x, ws)
		for r := range hi - lo {
			out[lo+r] = z.Data[r*z.Stride]
		}
	}
}

// ProxyFit holds the settings of fitting a proxy to comparisons.
type ProxyFit struct {
	Hidden    int     // hidden width (0: a linear proxy)
	Epochs    int     // the most passes over the training comparisons
	Batch     int     // comparisons per step
	LR        float64 // learning rate
	Optimizer string  // adam or sgd
	Holdout   float64 // share of comparisons held out for early stopping
	Patience  int     // epochs without a better held-out loss before stopping
}

// FitStats report a proxy fit.
type FitStats struct {
	Epochs      int     // epochs run
	Best        int     // epoch whose weights were kept (0: the initial ones)
	HeldOutLoss float64 // the kept weights' Bradley–Terry loss on the held-out comparisons
	HeldOutAcc  float64 // their accuracy on the held-out labels
}

// FitProxy fits an MLP proxy to the comparisons c by the Bradley–Terry
// likelihood: with Δ = r̂(a) − r̂(b), the loss of a pair labelled y is
//
//	−y log σ(Δ) − (1−y) log σ(−Δ),   ∂/∂Δ = σ(Δ) − y.
//
// A share f.Holdout of the pairs is held out; after each epoch the
// held-out loss is measured and the best weights so far kept, and fitting
// stops after f.Patience epochs without improvement. probe, if not nil, is
// called with the proxy after each epoch's step count (steps so far).
func FitProxy(ctx context.Context, c *Comparisons, f ProxyFit, rng *rand.Rand) (*Proxy, FitStats, error) {
	var st FitStats
	sizes := []int{c.In, 1}
	if f.Hidden > 0 {
		sizes = []int{c.In, f.Hidden, 1}
	}
	net, err := pipeline.NewMLP(sizes, rng)
	if err != nil {
		return nil, st, fmt.Errorf("proxy: %w", err)
	}
	opt, err := pipeline.NewOptimizer(f.Optimizer, f.LR, len(net.Params))
	if err != nil {
		return nil, st, fmt.Errorf("proxy: %w", err)
	}
	nHold := int(math.Round(f.Holdout * float64(c.N)))
	nTrain := c.N - nHold
	if nTrain < 1 {
		return nil, st, fmt.Errorf("proxy: no comparisons left to train on (%d, holding out %d)", c.N, nHold)
	}
	perm := rng.Perm(c.N)
	train, hold := perm[:nTrain], perm[nTrain:]
	bs := min(max(f.Batch, 1), nTrain)
	b := newBTBatch(c.In, max(bs, len(hold)))
	ws := pipeline.NewWorkspace(net, 2*bs)
	grad := make([]float64, len(net.Params))

	best := append([]float64(nil), net.Params...)
	st.HeldOutLoss, st.HeldOutAcc = b.eval(net, c, hold)
	since, step := 0, 0
	for ep := 1; ep <= f.Epochs; ep++ {
		rng.Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
		for lo := 0; lo < nTrain; lo += bs {
			if err := ctx.Err(); err != nil {
				return nil, st, err
			}
			idx := train[lo:min(lo+bs, nTrain)]
			b.gather(c, idx)
			z := net.Forward(b.x, ws)
			dz := ws.DLogits()
			loss := b.loss(z, dz, true)
			net.Backward(b.x, ws, grad, blas64.General{})
			opt.Step(net.Params, grad)
			step++
			if err := pipeline.CheckDiverged(step, loss, nil); err != nil {
				return nil, st, fmt.Errorf("proxy: %w", err)
			}
		}
		if err := pipeline.CheckDiverged(step, 0, net.Params); err != nil {
			return nil, st, fmt.Errorf("proxy: %w", err)
		}
		st.Epochs = ep
		if len(hold) == 0 {
			copy(best, net.Params)
			st.Best = ep
			continue
		}
		loss, acc := b.eval(net, c, hold)
		if loss < st.HeldOutLoss {
			st.HeldOutLoss, st.HeldOutAcc, st.Best = loss, acc, ep
			copy(best, net.Params)
			since = 0
		} else if since++; since >= f.Patience {
			break
		}
	}
	copy(net.Params, best)
	return &Proxy{Net: net}, st, nil
}

// btBatch holds a batch of pairs as one matrix: the a rows, then the b rows.
type btBatch struct {
	in int
	x  blas64.General
	y  []float64
	ws *pipeline.Workspace
}

func newBTBatch(in, rows int) *btBatch {
	return &btBatch{in: in, x: blas64.General{Cols: in, Stride: in, Data: make([]float64, 2*rows*in)}, y: make([]float64, rows)}
}

func (b *btBatch) gather(c *Comparisons, idx []int) {
	n := len(idx)
	b.x.Rows = 2 * n
	b.x.Data = b.x.Data[:cap(b.x.Data)][:2*n*b.in]
	b.y = b.y[:cap(b.y)][:n]
	for i, j := range idx {
		copy(b.x.Data[i*b.in:(i+1)*b.in], c.RowA(j))
		copy(b.x.Data[(n+i)*b.in:(n+i+1)*b.in], c.RowB(j))
		b.y[i] = c.Y[j]
	}
}

// loss returns the mean Bradley–Terry loss of the batch's pairs under the
// logits z, and, if grad, writes its gradient into dz.
func (b *btBatch) loss(z, dz blas64.General, grad bool) float64 {
	n := len(b.y)
	l := 0.0
	for i := range n {
		d := z.Data[i*z.Stride] - z.Data[(n+i)*z.Stride]
		// −y log σ(d) − (1−y) log σ(−d), via softplus(−d) = log(1 + e^{−d}).
		l += b.y[i]*softplus(-d) + (1-b.y[i])*softplus(d)
		if grad {
			g := (sigmoid(d) - b.y[i]) / float64(n)
			dz.Data[i*dz.Stride] = g
			dz.Data[(n+i)*dz.Stride] = -g
		}
	}
	return l / float64(n)
}

// eval returns the mean loss and label accuracy of net on the pairs idx.
func (b *btBatch) eval(net *pipeline.MLP, c *Comparisons, idx []int) (loss, acc float64) {
	if len(idx) == 0 {
		return 0, 0
	}
	b.gather(c, idx)
	if b.ws == nil {
		b.ws = pipeline.NewWorkspace(net, b.x.Rows)
	}
	z := net.Forward(b.x, b.ws)
	loss = b.loss(z, blas64.General{}, false)
	n := len(idx)
	for i := range n {
		d := z.Data[i*z.Stride] - z.Data[(n+i)*z.Stride]
		if (d > 0) == (b.y[i] == 1) {
			acc++
		}
	}
	return loss, acc / float64(n)
}

// softplus is log(1 + eᵛ), computed without overflow.
func softplus(v float64) float64 {
	if v > 0 {
		return v + math.Log1p(math.Exp(-v))
	}
	return math.Log1p(math.Exp(v))
}
