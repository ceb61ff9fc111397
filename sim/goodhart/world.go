package goodhart

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
)

// RMParams are an rm stage's own settings: the labellers and the proxy's
// size. The common keys say how it is fitted: examples is the number of
// comparisons, epochs the most passes over them (early stopping may stop
// sooner), batch, lr and optimizer.
type RMParams struct {
	Width    int     `yaml:"width" doc:"hidden units of the proxy (0: a linear proxy)" range:"[0, 1024]"`
	Bias     float64 `yaml:"bias" doc:"the labellers' bonus for a response that agrees with the user" range:"[-100, 100]"`
	Noise    float64 `yaml:"noise" doc:"τ of the labellers' Bradley–Terry noise" range:"(0, 100]"`
	Holdout  float64 `yaml:"holdout" doc:"share of comparisons held out for early stopping" range:"[0, 1)"`
	Patience int     `yaml:"patience" doc:"epochs without a better held-out loss before stopping" range:"≥ 1"`
	// Proxy is "learned" (fitted to the comparisons) or "gold" (the switch:
	// the proxy is the gold reward, as if fitted to infinite clean data).
	Proxy string `yaml:"proxy" doc:"learned (fitted to the comparisons) or gold (the switch: the proxy is the gold reward)" range:"learned or gold"`
}

// NewRMParams returns the rm stage's defaults.
func NewRMParams() *RMParams {
	return &RMParams{Width: 32, Noise: 1, Holdout: 0.1, Patience: 5, Proxy: "learned"}
}

// Validate checks the settings.
func (p *RMParams) Validate() error {
	fe := func(f, format string, a ...any) error {
		return &pipeline.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case p.Width < 0 || p.Width > 1024:
		return fe("width", "must be between 0 and 1024, got %d", p.Width)
	case !(math.Abs(p.Bias) <= 100):
		return fe("bias", "must be a number between -100 and 100, got %v", p.Bias)
	case !(p.Noise > 0 && p.Noise <= 100):
		return fe("noise", "must be in (0, 100], got %v", p.Noise)
	case !(p.Holdout >= 0 && p.Holdout < 1):
		return fe("holdout", "must be in [0, 1), got %v", p.Holdout)
	case p.Patience < 1:
		return fe("patience", "must be ≥ 1, got %d", p.Patience)
	case p.Proxy != "learned" && p.Proxy != "gold":
		return fe("proxy", "must be learned or gold, got %q", p.Proxy)
	}
	return nil
}

// BoNParams are a bon stage's own settings.
type BoNParams struct {
	// N is the largest n; the stage probes n = 1 (step 0), 2, 4, … and N.
	N int `yaml:"n" doc:"the largest n; the stage probes n = 1, 2, 4, … and n" range:"[1, 1048576]"`
}

// NewBoNParams returns the bon stage's defaults.
func NewBoNParams() *BoNParams { return &BoNParams{N: 1024} }

// Validate checks the settings.
func (p *BoNParams) Validate() error {
	if p.N < 1 || p.N > 1<<20 {
		return &pipeline.FieldError{Field: "n", Msg: fmt.Sprintf("must be between 1 and %d, got %d", 1<<20, p.N)}
	}
	return nil
}

// Kind describes the goodhart world to a registry.
func Kind() sim.Kind {
	return sim.Kind{
		Name:      "goodhart",
		Doc:       "reward-model over-optimisation by best-of-n and RL (Gao et al. 2022), and sycophancy from biased labellers (Sharma et al. 2023)",
		NewConfig: func() sim.Config { return NewConfig() },
		Metrics:   metrics(),
		Stages: []scenarios.StageKind{
			{Name: "rm", Doc: "fit the proxy reward model to labelled comparisons (examples: comparisons; width, bias, noise, holdout, patience, proxy: learned|gold)",
				Params: func() any { return NewRMParams() }},
			{Name: "bon", Doc: "best-of-n against the proxy from the reference policy, exactly; probes at n = 1 (step 0), 2, 4, … n (the step is n)",
				Params: func() any { return NewBoNParams() }},
			{Name: "rl", Doc: "exact policy gradient on the proxy with a KL penalty (kl) to the reference policy; batch: prompts per step"},
		},
	}
}

func metrics() []sim.Metric {
	return []sim.Metric{
		{Name: "proxy", Label: "proxy reward", Doc: "proxy reward E_π[r̂] on the evaluation pool (0 before an rm stage)"},
		{Name: "gold", Label: "gold reward", Doc: "gold reward E_π[r*] on the evaluation pool"},
		{Name: "proxy_gain", Label: "proxy reward gain", Doc: "proxy reward minus the reference policy's"},
		{Name: "gold_gain", Label: "gold reward gain", Doc: "gold reward minus the reference policy's"},
		{Name: "kl", Label: "KL to reference (nats)", Doc: "KL(π‖π₀) in nats: exact over the pool for RL, log n − (n−1)/n for best-of-n"},
		{Name: "d", Label: "√KL", Doc: "√KL, the distance Gao's forms are written in"},
		{Name: "sycophancy", Label: "P(agree | user wrong)", Doc: "P(agree with the user | the user is wrong)"},
		{Name: "agree", Label: "P(agree with the user)", Doc: "P(agree with the user)"},
		{Name: "correct", Label: "P(true stance)", Doc: "P(the response's stance is true)"},
		{Name: "rm_accuracy", Label: "reward-model accuracy", Doc: "share of pairs drawn from π₀ that the proxy orders as gold does"},
	}
}

// CheckStage implements scenarios.WorldConfig.
func (c *Config) CheckStage(st pipeline.Stage) error {
	if st.Data != nil {
		return fmt.Errorf("the goodhart world makes its own data; a %s stage takes no intervention data (%T)", st.Kind, st.Data)
	}
	fe := func(f, msg string) error { return &pipeline.FieldError{Field: f, Msg: msg} }
	switch st.Kind {
	case "rm":
		p, err := rmParams(st)
		if err != nil {
			return err
		}
		if p.Proxy == "learned" {
			switch {
			case st.Examples < 10:
				return fe("examples", fmt.Sprintf("the number of comparisons must be ≥ 10, got %d", st.Examples))
			case st.Epochs < 1:
				return fe("epochs", "an rm stage needs epochs ≥ 1 (the most passes; early stopping may stop sooner)")
			case st.Steps > 0:
				return fe("steps", "an rm stage runs epochs, not steps")
			}
		}
	case "bon":
		if _, err := bonParams(st); err != nil {
			return err
		}
		if st.Steps > 0 || st.Epochs > 0 || st.Examples > 0 || st.Batch > 0 || st.LR != 0 || st.Optimizer != "" {
			return fmt.Errorf("a bon stage takes only n: it is computed exactly, not trained (no examples, epochs, steps, batch, lr or optimizer)")
		}
	case "rl":
		switch {
		case st.Steps <= 0:
			return fe("steps", "an rl stage needs steps > 0")
		case st.Epochs > 0:
			return fe("epochs", "an rl stage runs steps, not epochs")
		case st.RL.Entropy != 0:
			return fe("entropy", "the goodhart world's rl has no entropy bonus (its KL penalty keeps the policy spread)")
		case st.RL.ValueBaseline != "" || st.RL.BaselineRate != 0:
			return fe("value_baseline", "the goodhart world's rl takes the exact gradient over each prompt's candidates and needs no baseline")
		}
		if err := st.RL.Validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("the goodhart world cannot run a %q stage (it runs rm, bon and rl)", st.Kind)
	}
	return nil
}

func rmParams(st pipeline.Stage) (*RMParams, error) {
	if st.Params == nil {
		return NewRMParams(), nil
	}
	p, ok := st.Params.(*RMParams)
	if !ok {
		return nil, fmt.Errorf("rm stage: settings of type %T, want *goodhart.RMParams", st.Params)
	}
	return p, p.Validate()
}

func bonParams(st pipeline.Stage) (*BoNParams, error) {
	if st.Params == nil {
		return NewBoNParams(), nil
	}
	p, ok := st.Params.(*BoNParams)
	if !ok {
		return nil, fmt.Errorf("bon stage: settings of type %T, want *goodhart.BoNParams", st.Params)
	}
	return p, p.Validate()
}

// NewWorld implements sim.Config: it builds the world of one seed.
func (c *Config) NewWorld(s sim.Streams) (sim.World, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("goodhart world: %w", err)
	}
	w := &world{cfg: *c}
	w.truth = NewTruth(w.cfg, s.Rand("world"))
	w.eval = w.truth.NewPool(c.EvalPrompts, c.EvalCandidates, s.Rand("eval"))
	w.eval.keepRef()
	w.zero = make([]float64, w.eval.P*w.eval.K)
	w.ref = Measure(&Policy{}, w.eval, w.zero, nil, make([]float64, len(w.zero)))
	w.zeroOrder = Rank(w.eval, w.zero)
	return w, nil
}

// world is one seed's goodhart world: its truth and evaluation pool.
type world struct {
	cfg       Config
	truth     *Truth
	eval      *Pool
	zero      []float64 // the scores of no proxy yet
	zeroOrder []int
	ref       Measures // the reference policy's, under no proxy
}

// model is the goodhart world's policy and the proxy it is optimised against.
type model struct {
	proxy  *Proxy // nil until an rm stage: r̂ ≡ 0
	policy *Policy
	// scores are the proxy's scores of the evaluation pool (nil: not yet
	// computed), shared read-only between clones; pairAcc is its rm_accuracy
	// and refProxy the reference policy's proxy reward.
	scores   []float64
	order    []int // Rank of scores
	pairAcc  float64
	refProxy float64
	trained  bool      // an rl stage has moved the policy's head
	dist     []float64 // scratch of Measure: the policy's distribution over the pool (not shared)
}

// Clone implements sim.Model.
func (m *model) Clone() sim.Model {
	c := *m
	c.dist = nil
	c.proxy = m.proxy.Clone()
	c.policy = m.policy.Clone()
	return &c
}

// NewModel implements sim.World: the reference policy with an untrained
// head, and no proxy yet.
func (w *world) NewModel(rng *rand.Rand) (sim.Model, error) {
	h, err := NewHead(w.cfg.In(), w.cfg.PolicyHidden, rng)
	if err != nil {
		return nil, err
	}
	return &model{policy: &Policy{Head: h}}, nil
}

// setProxy makes p the model's proxy and scores the evaluation pool with it.
func (w *world) setProxy(m *model, p *Proxy) {
	m.proxy = p
	m.scores = make([]float64, len(w.zero))
	p.Score(w.eval, m.scores)
	m.order = Rank(w.eval, m.scores)
	m.pairAcc = PairAccuracy(w.eval, m.scores)
	m.refProxy = Measure(&Policy{}, w.eval, m.scores, m.order, make([]float64, len(w.zero))).Proxy
}

// Run implements sim.World.
func (w *world) Run(ctx context.Context, sm sim.Model, st pipeline.Stage, s sim.Streams, every int, probe pipeline.Probe) error {
	m, ok := sm.(*model)
	if !ok {
		return fmt.Errorf("goodhart world: model of type %T", sm)
	}
	if err := w.cfg.CheckStage(st); err != nil {
		return fmt.Errorf("goodhart world: %s stage: %w", st.Kind, err)
	}
	call := func(step int) error {
		if probe == nil {
			return nil
		}
		return probe(step)
	}
	switch st.Kind {
	case "rm":
		p, _ := rmParams(st)
		if err := call(0); err != nil {
			return err
		}
		if p.Proxy == "gold" {
			w.setProxy(m, &Proxy{})
			return call(1)
		}
		c, err := w.truth.Compare(Labeller{Noise: p.Noise, Bias: p.Bias}, st.Examples, s.Rand("labels"))
		if err != nil {
			return fmt.Errorf("rm stage: %w", err)
		}
		fit := ProxyFit{Hidden: p.Width, Epochs: st.Epochs, Batch: st.Batch, LR: st.LR, Optimizer: st.Optimizer, Holdout: p.Holdout, Patience: p.Patience}
		if fit.Batch <= 0 {
			fit.Batch = 64
		}
		px, fs, err := FitProxy(ctx, c, fit, s.Rand("fit"))
		if err != nil {
			return fmt.Errorf("rm stage: %w", err)
		}
		w.setProxy(m, px)
		return call(fs.Epochs)
	case "bon":
		p, _ := bonParams(st)
		if m.trained {
			return fmt.Errorf("bon stage: best-of-n draws from the reference policy, but an rl stage has trained the policy; put bon before rl or in its own arm")
		}
		m.policy.N = 1
		if err := call(0); err != nil {
			return err
		}
		for n := 2; ; n *= 2 {
			if err := ctx.Err(); err != nil {
				return err
			}
			m.policy.N = min(n, p.N)
			if m.policy.N == 1 {
				return nil
			}
			if err := call(m.policy.N); err != nil {
				return err
			}
			if n >= p.N {
				return nil
			}
		}
	case "rl":
		if m.policy.N > 1 {
			return fmt.Errorf("rl stage: the policy is best-of-%d; rl trains the reference policy's head, so put it in an arm without bon", m.policy.N)
		}
		proxy := m.proxy
		if proxy == nil {
			return fmt.Errorf("rl stage: no proxy to optimise; put an rm stage first")
		}
		batch := st.Batch
		if batch <= 0 {
			batch = 16
		}
		m.trained = true
		return w.truth.TrainRL(ctx, m.policy, proxy, RLRun{Steps: st.Steps, Batch: batch, LR: st.LR, Optimizer: st.Optimizer, KL: st.RL.KL}, s.Rand("prompts"), every, probe)
	}
	return fmt.Errorf("goodhart world: unknown stage kind %q", st.Kind)
}

// Measure implements sim.World.
func (w *world) Measure(sm sim.Model, names []string, out []float64) error {
	m, ok := sm.(*model)
	if !ok {
		return fmt.Errorf("goodhart world: model of type %T", sm)
	}
	scores, order, refProxy := w.zero, w.zeroOrder, 0.0
	if m.scores != nil {
		scores, order, refProxy = m.scores, m.order, m.refProxy
	}
	if len(m.dist) != len(scores) {
		m.dist = make([]float64, len(scores))
	}
	ms := Measure(m.policy, w.eval, scores, order, m.dist)
	for i, n := range names {
		var v float64
		switch n {
		case "proxy":
			v = ms.Proxy
		case "gold":
			v = ms.Gold
		case "proxy_gain":
			v = ms.Proxy - refProxy
		case "gold_gain":
			v = ms.Gold - w.ref.Gold
		case "kl":
			v = ms.KL
		case "d":
			v = ms.D
		case "sycophancy":
			v = ms.Sycophancy
		case "agree":
			v = ms.Agree
		case "correct":
			v = ms.Correct
		case "rm_accuracy":
			v = 0.5
			if m.scores != nil {
				v = m.pairAcc
			}
		default:
			return fmt.Errorf("goodhart world: unknown metric %q", n)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("goodhart world: metric %s is %v", n, v)
		}
		out[i] = v
	}
	return nil
}
