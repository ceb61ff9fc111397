package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
)

// CoTPolicy writes a short chain of thought and then acts. Given task
// features x it writes T tokens from a vocabulary of V, each position drawn
// from its own softmax given the task,
//
//	π(c_t = j | x) = softmax(Tokens(x))_{tV+j},   t = 0..T−1,
//
// and then picks one of A actions from the bag of tokens it wrote, plus the
// task itself unless the episode masks the task from the action head:
//
//	π(a | c, x) = softmax(Action([bag(c) | m·x])),   bag_j = #{t: c_t = j},  m ∈ {0, 1}.
//
// The tokens are sampled, so the action can depend on the task only through
// them in a masked episode: that is what makes the chain of thought
// necessary. Both heads are MLPs (linear with no hidden layer), and their
// parameters live in one flat slice, Params, so that one optimiser and one
// finite-difference loop cover both.
type CoTPolicy struct {
	T, V, A int
	Tokens  *MLP // In → T·V logits
	Action  *MLP // V + In → A logits
	// Params holds Tokens' parameters followed by Action's; the heads alias it.
	Params []float64
}

// CoTParams is the number of parameters of NewCoTPolicy's policy.
func CoTParams(in, t, v, a int, hidden []int) int {
	return NumParams(headSizes(in, t*v, hidden)) + NumParams(headSizes(v+in, a, hidden))
}

// headSizes are the layer sizes of a head from first inputs to last
// outputs through hidden.
func headSizes(first, last int, hidden []int) []int {
	s := append([]int{first}, hidden...)
	return append(s, last)
}

// NewCoTPolicy returns a policy for tasks of width in, writing t tokens from
// a vocabulary of v and choosing among a actions, with hidden layers of the
// given widths in each head (none: linear heads). Weights are drawn by He
// initialisation and scaled by initScale: a small scale starts the policy
// near uniform.
func NewCoTPolicy(in, t, v, a int, hidden []int, initScale float64, rng *rand.Rand) (*CoTPolicy, error) {
	if in <= 0 || t <= 0 || v <= 0 || a <= 0 {
		return nil, fmt.Errorf("cot policy: sizes must be > 0, got in=%d T=%d V=%d A=%d", in, t, v, a)
	}
	tok, err := NewMLP(headSizes(in, t*v, hidden), rng)
	if err != nil {
		return nil, fmt.Errorf("cot policy token head: %w", err)
	}
	act, err := NewMLP(headSizes(v+in, a, hidden), rng)
	if err != nil {
		return nil, fmt.Errorf("cot policy action head: %w", err)
	}
	p := &CoTPolicy{T: t, V: v, A: a, Tokens: tok, Action: act}
	p.Params = make([]float64, len(tok.Params)+len(act.Params))
	copy(p.Params, tok.Params)
	copy(p.Params[len(tok.Params):], act.Params)
	for i := range p.Params {
		p.Params[i] *= initScale
	}
	p.bind()
	return p, nil
}

// bind points both heads' parameters into p.Params.
func (p *CoTPolicy) bind() {
	n := p.Tokens.NumParams()
	p.Tokens.Params = p.Params[:n]
	p.Tokens.bind()
	p.Action.Params = p.Params[n:]
	p.Action.bind()
}

// In is the width of the task features.
func (p *CoTPolicy) In() int { return p.Tokens.In() }

// Clone returns a deep copy of p.
func (p *CoTPolicy) Clone() *CoTPolicy {
	c := &CoTPolicy{T: p.T, V: p.V, A: p.A, Tokens: p.Tokens.Clone(), Action: p.Action.Clone()}
	c.Params = append([]float64(nil), p.Params...)
	c.bind()
	return c
}

// Episodes is a batch of episodes: the tasks the world poses, what the policy
// wrote and did, and what the world paid. Rows are episodes.
type Episodes struct {
	X      blas64.General // B × In task features (set by the world)
	Masked []bool         // whether the action head is blind to the task (set by the world)
	Tokens []int          // B × T tokens, row-major (set by the policy)
	Action []int          // B actions (set by the policy)
	Reward []float64      // B rewards (set by the world; unused by supervised training)
}

// NewEpisodes returns a zeroed batch of b episodes for tasks of width in and
// chains of thought of t tokens.
func NewEpisodes(b, in, t int) *Episodes {
	e := &Episodes{}
	e.Resize(b, in, t)
	return e
}

// Len is the number of episodes.
func (e *Episodes) Len() int { return len(e.Action) }

// Row returns episode i's task features.
func (e *Episodes) Row(i int) []float64 { return e.X.Data[i*e.X.Stride : i*e.X.Stride+e.X.Cols] }

// Resize makes e hold b episodes, reusing its storage when it can. The
// contents are not cleared.
func (e *Episodes) Resize(b, in, t int) {
	if cap(e.X.Data) < b*in || cap(e.Tokens) < b*t || cap(e.Action) < b {
		e.X.Data = make([]float64, b*in)
		e.Masked, e.Tokens = make([]bool, b), make([]int, b*t)
		e.Action, e.Reward = make([]int, b), make([]float64, b)
	}
	e.X = blas64.General{Rows: b, Cols: in, Stride: in, Data: e.X.Data[:b*in]}
	e.Masked, e.Tokens = e.Masked[:b], e.Tokens[:b*t]
	e.Action, e.Reward = e.Action[:b], e.Reward[:b]
}

// gather copies the episodes idx of d into e, reusing e's storage.
func (e *Episodes) gather(d *Episodes, idx []int) {
	t := 0
	if d.Len() > 0 {
		t = len(d.Tokens) / d.Len()
	}
	e.Resize(len(idx), d.X.Cols, t)
	for k, i := range idx {
		copy(e.Row(k), d.Row(i))
		copy(e.Tokens[k*t:(k+1)*t], d.Tokens[i*t:(i+1)*t])
		e.Masked[k], e.Action[k], e.Reward[k] = d.Masked[i], d.Action[i], d.Reward[i]
	}
}

// rowChunk is the most rows one forward pass takes. Chunks keep a pass's
// activations in cache (a 256-episode step runs about a quarter faster in
// chunks of 128), and keep a BLAS back end serial on these tiny matrices
// (gonum's Gemm goes parallel from four 64×64 blocks on), where goroutines
// cost more than the arithmetic and the runner already keeps every core busy.
const rowChunk = 128

// CoTWorkspace holds one batch's forward pass through a CoTPolicy: the
// token and action probabilities and log-probabilities and the action head's
// input. It grows to the largest batch it has seen and is not safe for
// concurrent use.
type CoTWorkspace struct {
	tok, act   []*Workspace   // one per chunk of rowChunk rows
	PTok, LTok blas64.General // B × T·V token probabilities and their logs
	PAct, LAct blas64.General // B × A action probabilities and their logs
	XA         blas64.General // B × (V + In) action-head input
	dTok, dAct blas64.General // ∂loss/∂logits, filled by a loss before Backward
	gtmp       []float64      // one chunk's gradient
	gmax, gsum []float64      // one chunk's softmax groups' maxima and sums
}

// NewCoTWorkspace returns a workspace for p with room for rows episodes.
func NewCoTWorkspace(p *CoTPolicy, rows int) *CoTWorkspace {
	ws := &CoTWorkspace{}
	ws.grow(p, rows)
	return ws
}

func (ws *CoTWorkspace) grow(p *CoTPolicy, rows int) {
	mk := func(g *blas64.General, cols int) {
		if cap(g.Data) < rows*cols {
			g.Data = make([]float64, rows*cols)
		}
		*g = blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: g.Data[:rows*cols]}
	}
	mk(&ws.PTok, p.T*p.V)
	mk(&ws.LTok, p.T*p.V)
	mk(&ws.dTok, p.T*p.V)
	mk(&ws.PAct, p.A)
	mk(&ws.LAct, p.A)
	mk(&ws.dAct, p.A)
	mk(&ws.XA, p.V+p.In())
	for len(ws.tok)*rowChunk < rows {
		ws.tok = append(ws.tok, NewWorkspace(p.Tokens, rowChunk))
		ws.act = append(ws.act, NewWorkspace(p.Action, rowChunk))
	}
	if len(ws.gtmp) < len(p.Params) {
		ws.gtmp = make([]float64, len(p.Params))
	}
	if groups := rowChunk * max(p.T, 1); len(ws.gmax) < groups {
		ws.gmax, ws.gsum = make([]float64, groups), make([]float64, groups)
	}
}

// rows returns the rows [r0, r1) of g as a matrix view.
func rows(g blas64.General, r0, r1 int) blas64.General {
	return blas64.General{Rows: r1 - r0, Cols: g.Cols, Stride: g.Stride, Data: g.Data[r0*g.Stride : r1*g.Stride]}
}

// forward runs m on x chunk by chunk and writes the (log-)softmax of each
// group of `group` logits of every row into p and lp (both with stride
// Cols), with gmax and gsum as scratch (a chunk's groups each).
func forward(m *MLP, x blas64.General, wss []*Workspace, group int, p, lp blas64.General, gmax, gsum []float64) {
	for c, r0 := 0, 0; r0 < x.Rows; c, r0 = c+1, r0+rowChunk {
		r1 := min(r0+rowChunk, x.Rows)
		z := m.Forward(rows(x, r0, r1), wss[c])
		n := (r1 - r0) * p.Cols
		logSoftmax(wss[c].kern, z, group, p.Data[r0*p.Cols:r0*p.Cols+n], lp.Data[r0*lp.Cols:r0*lp.Cols+n], gmax, gsum)
	}
}

// logSoftmax writes p = softmax and lp = log p = z − logsumexp of each group
// of `group` consecutive logits of z's rows into p and lp (z's rows one
// after the other), with one logarithm per group rather than one per entry:
//
//	p_j = e^{z_j − m} / s,  log p_j = z_j − (m + log s),  m = max z,  s = Σ_j e^{z_j − m}.
//
// The maxima and shifts of all groups, their exponentials and the
// logarithms each run in one vector pass where kern has one (the sums stay
// in order, in Go); gmax and gsum hold each group's m and s.
func logSoftmax(kern kernel, z blas64.General, group int, p, lp, gmax, gsum []float64) {
	ng := z.Rows * z.Cols / group
	gmax, gsum = gmax[:ng], gsum[:ng]
	if z.Stride != z.Cols || !maxShiftVector(kern, z.Data[:ng*group], p, gmax, group) {
		for r := 0; r < z.Rows; r++ {
			zr := z.Data[r*z.Stride : r*z.Stride+z.Cols]
			maxShift(zr, p[r*z.Cols:(r+1)*z.Cols], gmax[r*z.Cols/group:(r+1)*z.Cols/group], group)
		}
	}
	expSlice(kern, p, p)
	for g := range gsum {
		e := p[g*group : (g+1)*group]
		s := 0.0
		for _, v := range e {
			s += v
		}
		inv := 1 / s
		for j := range e {
			e[j] *= inv
		}
		gsum[g] = s
	}
	logSlice(kern, gsum, gsum)
	g := 0
	for r := 0; r < z.Rows; r++ {
		zr := z.Data[r*z.Stride : r*z.Stride+z.Cols]
		lr := lp[r*z.Cols : (r+1)*z.Cols]
		for a := 0; a < len(zr); a, g = a+group, g+1 {
			lse := gmax[g] + gsum[g]
			for j, v := range zr[a : a+group] {
				lr[a+j] = v - lse
			}
		}
	}
}

// maxShift writes, for each group of group consecutive values of z, its
// maximum m into gmax and z − m into p.
func maxShift(z, p, gmax []float64, group int) {
	for g := range gmax {
		zg := z[g*group : (g+1)*group]
		m := math.Inf(-1)
		for _, v := range zg {
			if v > m { // not the builtin max, whose NaN and ±0 care costs a fifth of a softmax
				m = v
			}
		}
		gmax[g] = m
		for j, v := range zg {
			p[g*group+j] = v - m
		}
	}
}

// TokenProbs computes π(c_t | x) for every row of e.X into ws.PTok (and
// its logarithm into ws.LTok).
func (p *CoTPolicy) TokenProbs(e *Episodes, ws *CoTWorkspace) {
	ws.grow(p, e.Len())
	forward(p.Tokens, e.X, ws.tok, p.V, ws.PTok, ws.LTok, ws.gmax, ws.gsum)
}

// ActionProbs builds the action head's input from e's tokens, task and mask
// and computes π(a | c, x) into ws.PAct (and its logarithm into ws.LAct).
func (p *CoTPolicy) ActionProbs(e *Episodes, ws *CoTWorkspace) {
	ws.grow(p, e.Len())
	in := p.In()
	for r := 0; r < e.Len(); r++ {
		xa := ws.XA.Data[r*ws.XA.Stride : r*ws.XA.Stride+ws.XA.Cols]
		clear(xa[:p.V])
		for _, c := range e.Tokens[r*p.T : (r+1)*p.T] {
			xa[c]++
		}
		if e.Masked[r] {
			clear(xa[p.V : p.V+in])
		} else {
			copy(xa[p.V:p.V+in], e.Row(r))
		}
	}
	forward(p.Action, ws.XA, ws.act, p.A, ws.PAct, ws.LAct, ws.gmax, ws.gsum)
}

// Act samples a chain of thought and an action for every task of e, writing
// e.Tokens and e.Action; ws keeps the probabilities for a gradient step.
func (p *CoTPolicy) Act(e *Episodes, ws *CoTWorkspace, rng *rand.Rand) {
	p.TokenProbs(e, ws)
	for r := 0; r < e.Len(); r++ {
		pr := ws.PTok.Data[r*ws.PTok.Stride : (r+1)*ws.PTok.Stride]
		for t := 0; t < p.T; t++ {
			e.Tokens[r*p.T+t] = sample(pr[t*p.V:(t+1)*p.V], rng)
		}
	}
	p.ActionProbs(e, ws)
	for r := 0; r < e.Len(); r++ {
		e.Action[r] = sample(ws.PAct.Data[r*ws.PAct.Stride:r*ws.PAct.Stride+p.A], rng)
	}
}

// sample draws an index from the distribution p by inversion.
func sample(p []float64, rng *rand.Rand) int {
	u := rng.Float64()
	for j, v := range p {
		if u < v {
			return j
		}
		u -= v
	}
	return len(p) - 1 // rounding: the sum fell just short of 1
}

// Backward writes into grad (len(p.Params)) the gradient of a loss given
// ∂loss/∂z of the token logits (ws.DTok(), B × T·V) and of the action logits
// (ws.DAct(), B × A), after TokenProbs and ActionProbs on e with ws.
func (p *CoTPolicy) Backward(e *Episodes, ws *CoTWorkspace, grad []float64) {
	n := p.Tokens.NumParams()
	clear(grad)
	back := func(m *MLP, x, d blas64.General, wss []*Workspace, g []float64) {
		tmp := ws.gtmp[:len(g)]
		for c, r0 := 0, 0; r0 < x.Rows; c, r0 = c+1, r0+rowChunk {
			r1 := min(r0+rowChunk, x.Rows)
			copy(wss[c].DLogits().Data, rows(d, r0, r1).Data)
			m.Backward(rows(x, r0, r1), wss[c], tmp, blas64.General{})
			for i, v := range tmp {
				g[i] += v
			}
		}
	}
	back(p.Tokens, e.X, ws.dTok, ws.tok, grad[:n])
	back(p.Action, ws.XA, ws.dAct, ws.act, grad[n:])
}

// DTok and DAct return the buffers into which a loss writes ∂loss/∂z of the
// token and action logits before Backward.
func (ws *CoTWorkspace) DTok() blas64.General { return ws.dTok }
func (ws *CoTWorkspace) DAct() blas64.General { return ws.dAct }

// klGrad adds to d (one softmax's logit gradient) c·∂KL(p‖q)/∂z and returns
// KL(p‖q) = Σ p_j (log p_j − log q_j), given p and the logs lp, lq:
//
//	∂KL/∂z_k = p_k (log p_k − log q_k − KL).
func klGrad(p, lp, lq, d []float64, c float64) float64 {
	kl := 0.0
	for j, pj := range p {
		kl += pj * (lp[j] - lq[j])
	}
	if c != 0 {
		for j, pj := range p {
			d[j] += c * pj * (lp[j] - lq[j] - kl)
		}
	}
	return kl
}

// entropyGrad adds to d c·∂H/∂z and returns H(p) = −Σ p_j log p_j, given p
// and its logs lp:
//
//	∂H/∂z_k = −p_k (log p_k + H).
func entropyGrad(p, lp, d []float64, c float64) float64 {
	h := 0.0
	for j, pj := range p {
		h -= pj * lp[j]
	}
	if c != 0 {
		for j, pj := range p {
			d[j] -= c * pj * (lp[j] + h)
		}
	}
	return h
}

// KL returns KL(π‖ref) summed over the T token positions and the action, for
// each episode of e, computed exactly given e's sampled tokens, into out
// (len e.Len()). It runs forward passes of both policies into ws and wsRef.
func (p *CoTPolicy) KL(ref *CoTPolicy, e *Episodes, ws, wsRef *CoTWorkspace, out []float64) {
	p.TokenProbs(e, ws)
	p.ActionProbs(e, ws)
	ref.TokenProbs(e, wsRef)
	ref.ActionProbs(e, wsRef)
	tv := p.T * p.V
	for r := range out {
		pt, lt, qt := ws.PTok.Data[r*tv:(r+1)*tv], ws.LTok.Data[r*tv:(r+1)*tv], wsRef.LTok.Data[r*tv:(r+1)*tv]
		s := 0.0
		for a := 0; a < tv; a += p.V {
			s += klGrad(pt[a:a+p.V], lt[a:a+p.V], qt[a:a+p.V], nil, 0)
		}
		a0, a1 := r*p.A, (r+1)*p.A
		s += klGrad(ws.PAct.Data[a0:a1], ws.LAct.Data[a0:a1], wsRef.LAct.Data[a0:a1], nil, 0)
		out[r] = s
	}
}
