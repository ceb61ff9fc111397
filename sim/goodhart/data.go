package goodhart

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Truth is the part of a world that one seed fixes: the direction u whose
// side a topic falls on decides the true stance, and the reference
// policy's weights θ₀.
type Truth struct {
	cfg   Config
	U     []float64 // unit vector in topic space: t(x) = sign(z·u)
	Theta []float64 // θ₀, the reference policy's weights on φ
}

// NewTruth draws a seed's truth from rng.
func NewTruth(cfg Config, rng *rand.Rand) *Truth {
	t := &Truth{cfg: cfg, U: make([]float64, cfg.Topic), Theta: make([]float64, cfg.Features())}
	norm := 0.0
	for i := range t.U {
		t.U[i] = rng.NormFloat64()
		norm += t.U[i] * t.U[i]
	}
	for i := range t.U {
		t.U[i] /= math.Sqrt(norm)
	}
	for i := range t.Theta {
		t.Theta[i] = cfg.RefScale * rng.NormFloat64()
	}
	return t
}

// A Pool is P prompts with K candidate responses each. Row i·K + k of
// Inputs is candidate k of prompt i as the proxy and the policy read it,
// [x, φ].
type Pool struct {
	P, K, In  int
	Inputs    []float64 // (P·K) × In
	Gold      []float64 // r*(x, y), P·K
	RefLogit  []float64 // θ₀·φ, P·K
	Agree     []bool    // stance = the user's view, P·K
	UserWrong []bool    // the user's view is false, P

	// The reference policy π₀ on the pool, made once by keepRef for a pool
	// that is measured many times: log Σₖ exp(θ₀·φ) per prompt, and π₀.
	lse, ref []float64
}

// keepRef computes, once, what every measurement of the pool needs of the
// reference policy. Call it before the pool is shared between goroutines.
func (p *Pool) keepRef() {
	p.lse, p.ref = make([]float64, p.P), make([]float64, p.P*p.K)
	for i := range p.P {
		lo := i * p.K
		p.lse[i] = logSumExp(p.RefLogit[lo : lo+p.K])
		softmaxInto(p.RefLogit[lo:lo+p.K], p.ref[lo:lo+p.K])
	}
}

// refLSE is log Σₖ exp(θ₀·φ) over prompt i's candidates.
func (p *Pool) refLSE(i int) float64 {
	if p.lse != nil {
		return p.lse[i]
	}
	return logSumExp(p.RefLogit[i*p.K : (i+1)*p.K])
}

// refProb returns π₀ over prompt i's candidates: the kept copy, or
// computed into scratch (len K).
func (p *Pool) refProb(i int, scratch []float64) []float64 {
	if p.ref != nil {
		return p.ref[i*p.K : (i+1)*p.K]
	}
	softmaxInto(p.RefLogit[i*p.K:(i+1)*p.K], scratch)
	return scratch
}

// Input returns row r of the pool's inputs.
func (p *Pool) Input(r int) []float64 { return p.Inputs[r*p.In : (r+1)*p.In] }

// Layout of φ within an input row [x, φ].
func (t *Truth) stanceCol() int   { return t.cfg.PromptDim() }
func (t *Truth) qualityCol() int  { return t.cfg.PromptDim() + 1 }
func (t *Truth) lookGoodCol() int { return t.qualityCol() + t.cfg.Quality }

// NewPool draws P prompts with K candidates each from rng.
func (t *Truth) NewPool(P, K int, rng *rand.Rand) *Pool {
	c := &t.cfg
	in := c.In()
	p := &Pool{
		P: P, K: K, In: in,
		Inputs: make([]float64, P*K*in), Gold: make([]float64, P*K), RefLogit: make([]float64, P*K),
		Agree: make([]bool, P*K), UserWrong: make([]bool, P),
	}
	heavy := t.sampler(rng)
	dx := c.PromptDim()
	x := make([]float64, dx)
	rho := c.Loading
	rest := math.Sqrt(1 - rho*rho)
	for i := range P {
		x[0] = sign(rng.Float64() - 0.5) // the user's view
		zu := 0.0
		for j := 1; j < dx; j++ {
			x[j] = rng.NormFloat64()
			zu += x[j] * t.U[j-1]
		}
		truth := sign(zu)
		p.UserWrong[i] = x[0] != truth
		for k := range K {
			r := i*K + k
			row := p.Inputs[r*in : (r+1)*in]
			copy(row, x)
			phi := row[dx:]
			phi[0] = sign(rng.Float64() - 0.5) // a: agrees (+1) or disagrees (−1) with the user
			q := phi[1 : 1+c.Quality]
			for j := range q {
				q[j] = heavy()
			}
			l := phi[1+c.Quality : 1+c.Quality+c.LookGood]
			for j := range l {
				l[j] = rho*q[j] + rest*heavy()
			}
			for j := 1 + c.Quality + c.LookGood; j < len(phi); j++ {
				phi[j] = heavy()
			}
			p.Gold[r] = t.gold(phi, x[0]*truth)
			p.Agree[r] = phi[0] == 1
			lg := 0.0
			for j, v := range phi {
				lg += t.Theta[j] * v
			}
			p.RefLogit[r] = lg
		}
	}
	return p
}

// gold is r* = Σⱼ qⱼ exp(−qⱼ²/(2σ²)) + w·a·v·t(x) for features φ = [a, q,
// ...] when the user is right (vt = v·t(x) = 1) or wrong (−1): the stance
// is s = a·v, and agreeing is correct exactly when the user is.
func (t *Truth) gold(phi []float64, vt float64) float64 {
	c := &t.cfg
	s2 := 2 * c.Gold.Saturation * c.Gold.Saturation
	r := c.Gold.Correct * phi[0] * vt
	for _, q := range phi[1 : 1+c.Quality] {
		r += q * math.Exp(-q*q/s2)
	}
	return r
}

// sampler returns a draw of one heavy-tailed feature with unit variance:
// Student-t with ν degrees of freedom, or a standard normal for ν = 0. For
// a whole ν (up to 16) the draw is z/√(χ²_ν/ν) with χ²_ν a sum of ν squared
// normals, else gonum's sampler.
func (t *Truth) sampler(rng *rand.Rand) func() float64 {
	nu := t.cfg.Tails
	if nu == 0 {
		return rng.NormFloat64
	}
	scale := tScale(nu)
	if k := int(nu); float64(k) == nu && k <= 16 {
		return func() float64 {
			z := rng.NormFloat64()
			c := 0.0
			for range k {
				e := rng.NormFloat64()
				c += e * e
			}
			return scale * z / math.Sqrt(c/nu)
		}
	}
	st := distuv.StudentsT{Mu: 0, Sigma: scale, Nu: nu, Src: rng}
	return st.Rand
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}
