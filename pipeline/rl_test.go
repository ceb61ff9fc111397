package pipeline

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
)

// tableEnv is a test environment: task features drawn from N(0,1) with a
// constant first feature, half the episodes masked, and reward a fixed
// function of (first token, action) plus a task-dependent term.
type tableEnv struct {
	in     int
	reward [][]float64 // [first token][action]
	mask   float64
}

func (e *tableEnv) Tasks(ep *Episodes, rng *rand.Rand) {
	for i := 0; i < ep.Len(); i++ {
		x := ep.Row(i)
		x[0] = 1
		for k := 1; k < len(x); k++ {
			x[k] = rng.NormFloat64()
		}
		ep.Masked[i] = rng.Float64() < e.mask
	}
}

func (e *tableEnv) Rewards(step int, ep *Episodes, rng *rand.Rand) {
	t := len(ep.Tokens) / ep.Len()
	for i := range ep.Reward {
		ep.Reward[i] = e.reward[ep.Tokens[i*t]][ep.Action[i]]
		if len(ep.Row(i)) > 1 {
			ep.Reward[i] += 0.3 * ep.Row(i)[1]
		}
	}
}

func newTestPolicy(t testing.TB, in, tt, v, a int, hidden []int, seed uint64) *CoTPolicy {
	t.Helper()
	p, err := NewCoTPolicy(in, tt, v, a, hidden, 1, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSurrogateGradient checks the RL surrogate's gradient (score function,
// KL to a reference, entropy) against central finite differences, for linear
// heads and for heads with a hidden layer.
func TestSurrogateGradient(t *testing.T) {
	for _, hidden := range [][]int{nil, {5}} {
		p := newTestPolicy(t, 3, 2, 4, 3, hidden, 1)
		ref := newTestPolicy(t, 3, 2, 4, 3, hidden, 2)
		tr, err := NewRLTrainer(p, ref, &SGD{}, RLParams{KL: 0.7, Entropy: 0.3}, 6)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 3))
		env := &tableEnv{in: 3, reward: [][]float64{{1, 0, 0.5}, {0, 1, 0}, {0.2, 0.1, 0}, {0, 0, 1}}, mask: 0.5}
		e := &tr.eps
		env.Tasks(e, rng)
		p.Act(e, tr.ws, rng)
		adv := make([]float64, e.Len())
		for i := range adv {
			adv[i] = rng.NormFloat64()
		}
		tr.surrogate(e, adv, true)
		grad := append([]float64(nil), tr.grad...)
		const h = 1e-6
		for i := range p.Params {
			old := p.Params[i]
			p.Params[i] = old + h
			lp, _, _ := tr.surrogate(e, adv, true)
			p.Params[i] = old - h
			lm, _, _ := tr.surrogate(e, adv, true)
			p.Params[i] = old
			fd := (lp - lm) / (2 * h)
			if math.Abs(fd-grad[i]) > 1e-6*(1+math.Abs(fd)) {
				t.Errorf("hidden %v: param %d: analytic %.9g, finite difference %.9g", hidden, i, grad[i], fd)
			}
		}
	}
}

// TestSFTGradient checks the imitation loss's gradient by finite differences.
func TestSFTGradient(t *testing.T) {
	p := newTestPolicy(t, 3, 2, 4, 3, []int{4}, 4)
	rng := rand.New(rand.NewPCG(5, 5))
	d := NewEpisodes(7, 3, 2)
	(&tableEnv{mask: 0.5}).Tasks(d, rng)
	for i := range d.Action {
		d.Action[i] = rng.IntN(3)
		for k := 0; k < 2; k++ {
			d.Tokens[2*i+k] = rng.IntN(4)
		}
	}
	idx := []int{0, 1, 2, 3, 4, 5, 6}
	s := NewCoTSFT(p, &SGD{LR: 0})
	s.Step(d, idx)
	grad := append([]float64(nil), s.grad...)
	const h = 1e-6
	for i := range p.Params {
		old := p.Params[i]
		p.Params[i] = old + h
		lp := s.Step(d, idx)
		p.Params[i] = old - h
		lm := s.Step(d, idx)
		p.Params[i] = old
		fd := (lp - lm) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-6*(1+math.Abs(fd)) {
			t.Errorf("param %d: analytic %.9g, finite difference %.9g", i, grad[i], fd)
		}
	}
}

// TestKLEntropyGrad checks the softmax KL and entropy gradients directly.
func TestKLEntropyGrad(t *testing.T) {
	z := []float64{0.3, -1.2, 0.8, 0.1}
	q := []float64{0.1, 0.2, 0.3, 0.4}
	f := func(z []float64) (kl, h float64, dkl, dh []float64) {
		p, lp, lq := make([]float64, len(z)), make([]float64, len(z)), make([]float64, len(z))
		zm := blas64.General{Rows: 1, Cols: len(z), Stride: len(z), Data: z}
		logSoftmax(bestKernel(), zm, len(z), p, lp, make([]float64, 1), make([]float64, 1))
		for j := range q {
			lq[j] = math.Log(q[j])
		}
		dkl, dh = make([]float64, len(z)), make([]float64, len(z))
		return klGrad(p, lp, lq, dkl, 1), entropyGrad(p, lp, dh, 1), dkl, dh
	}
	_, _, dkl, dh := f(z)
	for k := range z {
		const step = 1e-6
		zp := append([]float64(nil), z...)
		zm := append([]float64(nil), z...)
		zp[k] += step
		zm[k] -= step
		klp, hp, _, _ := f(zp)
		klm, hm, _, _ := f(zm)
		if fd := (klp - klm) / (2 * step); math.Abs(fd-dkl[k]) > 1e-8 {
			t.Errorf("dKL/dz%d = %v, finite difference %v", k, dkl[k], fd)
		}
		if fd := (hp - hm) / (2 * step); math.Abs(fd-dh[k]) > 1e-8 {
			t.Errorf("dH/dz%d = %v, finite difference %v", k, dh[k], fd)
		}
	}
}

// TestReinforceMatchesAnalyticGradient checks on a tiny bandit that the
// REINFORCE estimate (no baseline) is unbiased: over N single-episode
// estimates, each component's mean is within 4 standard errors of the exact
// gradient of the expected reward, computed by enumeration.
func TestReinforceMatchesAnalyticGradient(t *testing.T) {
	const in, T, V, A = 1, 2, 2, 2
	p := newTestPolicy(t, in, T, V, A, nil, 7)
	env := &tableEnv{in: in, reward: [][]float64{{1, 0}, {0.2, 0.7}}, mask: 0}
	// Exact expected reward: x = [1], so enumerate tokens and actions.
	expected := func() float64 {
		e := NewEpisodes(1, in, T)
		ws := NewCoTWorkspace(p, 1)
		e.X.Data[0] = 1
		j := 0.0
		for c0 := range V {
			for c1 := range V {
				e.Tokens[0], e.Tokens[1] = c0, c1
				p.TokenProbs(e, ws)
				p.ActionProbs(e, ws)
				pc := ws.PTok.Data[c0] * ws.PTok.Data[V+c1]
				for a := range A {
					j += pc * ws.PAct.Data[a] * env.reward[c0][a]
				}
			}
		}
		return j
	}
	exact := make([]float64, len(p.Params))
	for i := range p.Params {
		const h = 1e-6
		old := p.Params[i]
		p.Params[i] = old + h
		jp := expected()
		p.Params[i] = old - h
		jm := expected()
		p.Params[i] = old
		exact[i] = (jp - jm) / (2 * h)
	}

	tr, err := NewRLTrainer(p, nil, &SGD{}, RLParams{ValueBaseline: "none"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 8))
	n := 40000
	if testing.Short() {
		n = 10000
	}
	sum, sum2 := make([]float64, len(p.Params)), make([]float64, len(p.Params))
	for range n {
		tr.Gradient(1, env, rng)
		for i, g := range tr.Grad() {
			g = -g // the surrogate is a loss: its gradient estimates −∇E[R]
			sum[i] += g
			sum2[i] += g * g
		}
	}
	maxExact, maxSE := 0.0, 0.0
	for i := range sum {
		m := sum[i] / float64(n)
		se := math.Sqrt(max(sum2[i]/float64(n)-m*m, 0) / float64(n))
		if math.Abs(m-exact[i]) > 4*se+1e-12 {
			t.Errorf("param %d: REINFORCE %.5f ± %.5f (SE), exact %.5f", i, m, se, exact[i])
		}
		maxExact, maxSE = max(maxExact, math.Abs(exact[i])), max(maxSE, se)
	}
	if maxExact < 5*maxSE {
		t.Errorf("test has no power: largest gradient %v, largest SE %v", maxExact, maxSE)
	}
}

// TestRLLearnsBandit checks that RL with each baseline climbs to the best
// arm of the bandit, and that the KL penalty keeps the policy nearer its
// reference.
func TestRLLearnsBandit(t *testing.T) {
	env := &tableEnv{in: 2, reward: [][]float64{{1, 0}, {0.2, 0.7}}, mask: 0.5}
	final := func(rp RLParams, ref bool) (reward, kl float64) {
		p := newTestPolicy(t, 2, 1, 2, 2, nil, 9)
		var r *CoTPolicy
		if ref {
			r = p.Clone()
		}
		tr, err := NewRLTrainer(p, r, &SGD{LR: 0.5}, rp, 64)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(10, 10))
		if err := tr.Run(context.Background(), env, Stage{Steps: 300}, rng, 0, nil); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			reward += tr.Gradient(1, env, rng).Reward / 20
		}
		if ref {
			e := &tr.eps
			out := make([]float64, e.Len())
			p.KL(r, e, NewCoTWorkspace(p, 1), NewCoTWorkspace(r, 1), out)
			kl = mean(out)
		}
		return reward, kl
	}
	for _, vb := range []string{"mean", "learned", "none"} {
		if r, _ := final(RLParams{ValueBaseline: vb}, false); r < 0.9 {
			t.Errorf("baseline %s: final reward %.3f, want ≥ 0.9 (best arm pays 1)", vb, r)
		}
	}
	_, kl0 := final(RLParams{}, true)
	_, kl1 := final(RLParams{KL: 1}, true)
	if !(kl1 < kl0/2) {
		t.Errorf("KL to reference: %.3f with β = 1, %.3f with β = 0; want the penalty to halve it", kl1, kl0)
	}
}

// TestLearnedValue checks the learned baseline: fitted by SGD on ½(b(x) − R)²,
// it converges to the regression of the reward on the task features, here
// R = r(c, a) + 0.3·x₁ under a uniform policy frozen by a zero learning
// rate, so E[R | x] = const + 0.3·x₁.
func TestLearnedValue(t *testing.T) {
	p := newTestPolicy(t, 3, 1, 2, 2, nil, 15)
	clear(p.Params)
	tr, err := NewRLTrainer(p, nil, &SGD{LR: 0}, RLParams{ValueBaseline: "learned", BaselineRate: 0.05}, 256)
	if err != nil {
		t.Fatal(err)
	}
	env := &tableEnv{in: 3, reward: [][]float64{{1, 0}, {0.2, 0.7}}, mask: 0.5}
	rng := rand.New(rand.NewPCG(16, 16))
	for step := range 2000 {
		tr.Step(step+1, env, rng)
	}
	if w := tr.Value[1]; math.Abs(w-0.3) > 0.02 {
		t.Errorf("learned value weight on x₁ = %.4f, want 0.3 ± 0.02", w)
	}
	if w := tr.Value[2]; math.Abs(w) > 0.02 {
		t.Errorf("learned value weight on the irrelevant x₂ = %.4f, want 0 ± 0.02", w)
	}
}

// TestRLStepAllocs checks that a steady-state RL step allocates nothing.
func TestRLStepAllocs(t *testing.T) {
	p := newTestPolicy(t, 6, 3, 12, 3, nil, 11)
	tr, err := NewRLTrainer(p, p.Clone(), &SGD{LR: 0.1}, RLParams{KL: 0.1, Entropy: 0.01, ValueBaseline: "learned"}, 64)
	if err != nil {
		t.Fatal(err)
	}
	env := &tableEnv{in: 6, reward: make12(), mask: 0.5}
	rng := rand.New(rand.NewPCG(12, 12))
	tr.Step(1, env, rng)
	if n := testing.AllocsPerRun(10, func() { tr.Step(2, env, rng) }); n != 0 {
		t.Errorf("RL step allocates %v times, want 0", n)
	}
}

func make12() [][]float64 {
	r := make([][]float64, 12)
	for i := range r {
		r[i] = []float64{float64(i % 2), 0.5, 0}
	}
	return r
}

// BenchmarkRLStep measures one RL step of the cot world's default shape,
// that of the peers cot_rl_numpy.py and cot_rl_torch.py (docs/performance.md):
// 8 task features, linear heads, T = 3 tokens from V = 12, 3 actions, batch
// 256, every episode's action head blind to the task, SGD; sub-benchmark kl
// adds the KL penalty to a frozen reference and the entropy bonus. It reports
// steps per wall second and per CPU second.
func BenchmarkRLStep(b *testing.B) {
	for _, c := range []struct {
		name string
		rp   RLParams
	}{{"plain", RLParams{}}, {"kl", RLParams{KL: 0.1, Entropy: 0.01}}} {
		b.Run(c.name, func(b *testing.B) {
			p := newTestPolicy(b, 8, 3, 12, 3, nil, 13)
			tr, err := NewRLTrainer(p, p.Clone(), &SGD{LR: 0.5}, c.rp, 256)
			if err != nil {
				b.Fatal(err)
			}
			env := &tableEnv{in: 8, reward: make12(), mask: 1}
			rng := rand.New(rand.NewPCG(14, 14))
			tr.Step(1, env, rng) // warm up
			b.ReportAllocs()
			cpu := startCPU()
			for i := 1; b.Loop(); i++ {
				tr.Step(i+1, env, rng)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
			cpu.report(b)
		})
	}
}

// TestRLSameOnAnyCPU runs RL steps with each kernel this CPU runs (products
// and softmax exponentials alike) and with the pure-Go ones and checks that
// the parameters agree to the bit.
func TestRLSameOnAnyCPU(t *testing.T) {
	if bestKernel() == kernGo {
		t.Skip("only the pure-Go kernels on this CPU or in this build")
	}
	train := func(kern kernel) []float64 {
		p := newTestPolicy(t, 6, 3, 12, 3, []int{16}, 21)
		tr, err := NewRLTrainer(p, p.Clone(), NewAdam(1e-2, len(p.Params)), RLParams{KL: 0.1, Entropy: 0.01, ValueBaseline: "learned"}, 200)
		if err != nil {
			t.Fatal(err)
		}
		for _, ws := range []*CoTWorkspace{tr.ws, tr.wsRef} {
			for _, w := range append(append([]*Workspace(nil), ws.tok...), ws.act...) {
				w.kern = kern
			}
		}
		env := &tableEnv{in: 6, reward: make12(), mask: 0.5}
		rng := rand.New(rand.NewPCG(22, 22))
		for step := 1; step <= 30; step++ {
			tr.Step(step, env, rng)
		}
		return p.Params
	}
	sameParamsOnEveryKernel(t, train)
}

// TestRLDivergenceDetected: a learning rate far too high makes the RL
// weights explode while the step's statistics can stay finite; the stage
// must stop with a DivergedError naming the weights, and a sane rate must not.
func TestRLDivergenceDetected(t *testing.T) {
	env := &tableEnv{in: 2, reward: [][]float64{{1, 0}, {0.2, 0.7}}, mask: 0.5}
	run := func(lr float64) error {
		p := newTestPolicy(t, 2, 1, 2, 2, []int{8}, 9)
		tr, err := NewRLTrainer(p, nil, &SGD{LR: lr}, RLParams{}, 64)
		if err != nil {
			t.Fatal(err)
		}
		return tr.Run(context.Background(), env, Stage{Steps: 200}, rand.New(rand.NewPCG(3, 3)), 0, nil)
	}
	var de *DivergedError
	if err := run(1e6); !errors.As(err, &de) || !(de.MaxParam > maxParam || math.IsNaN(de.MaxParam)) {
		t.Errorf("lr 1e6: %v; want a DivergedError with weights beyond %g", err, float64(maxParam))
	}
	if err := run(0.5); err != nil {
		t.Errorf("lr 0.5: %v; want no divergence", err)
	}
}
