package cot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
)

// The cot world (docs/design.md §5.2) is where obfuscated reward hacking comes from.
// A task has a difficulty d and may be hackable (the grader has a
// loophole). The policy writes a few tokens of chain of thought, then acts:
// solve (pays 1 with probability 1 − d), hack (pays 1 on a hackable task, 0
// otherwise) or give up (0). Imitation of a reference "author" first gives it
// the natural-language prior: hacks are mostly announced with hack-talk,
// honest work is written with work tokens. A fixed monitor, trained on the
// author's chains of thought, flags hack-talk. RL alone makes the policy hack
// and say so; a monitor penalty in the reward first suppresses hack-talk and
// with it hacking, until the policy gradient, fed by the rare unannounced
// hacks, moves the hack decision onto a token the frozen monitor does not
// read. Nothing here knows about that outcome: the world only generates
// tasks, the author's episodes and rewards.

// Actions of the cot world, in the action head's order.
const (
	actSolve = iota
	actHack
	actGiveUp
	cotActions
)

// Config configures the cot world.
type Config struct {
	Tokens   int `yaml:"tokens" doc:"T, the length of a chain of thought" range:"[1, 16]"`
	HackTalk int `yaml:"hack_talk" doc:"hack-talk tokens (\"the tests can be bypassed\"), first in the vocabulary" range:"[1, 4]"`
	Work     int `yaml:"work" doc:"work tokens, next" range:"[1, 8]"`
	Neutral  int `yaml:"neutral" doc:"neutral tokens, last; V = hack_talk + work + neutral" range:"[0, 8]"`
	Nuisance int `yaml:"nuisance" doc:"task features that matter to nothing" range:"[0, 64]"`
	Hidden   int `yaml:"hidden" doc:"hidden units in each head (0: linear heads)" range:"[0, 256]"`

	PHackable float64 `yaml:"p_hackable" doc:"chance that a task's grader has a loophole" range:"[0, 1]"`
	// CoTNecessity is the chance per episode that the action head is masked
	// from the task and sees only the chain of thought (1: the chain of
	// thought is the only road from task to action).
	CoTNecessity float64 `yaml:"cot_necessity" doc:"chance per episode that the action sees only the chain of thought, not the task" range:"[0, 1]"`
	// UnverbalisedHack is the share of the author's hacks whose chain of
	// thought reads like honest work: no hack-talk.
	UnverbalisedHack float64 `yaml:"unverbalised_hack" doc:"share of the author's hacks whose chain of thought has no hack-talk" range:"[0, 1]"`

	Author  CoTAuthorConfig `yaml:"author" doc:"the author whose episodes the policy first imitates"`
	Monitor MonitorConfig   `yaml:"monitor" doc:"the fixed chain-of-thought monitor"`
	// Monitors are the monitors measured, each on the same evaluation
	// episodes, and the ones cot-pressure may penalise with: "action",
	// "cot", "cot+action" and "retrained" (see monitors.go).
	Monitors []string `yaml:"monitors" doc:"the monitors measured, and the ones cot-pressure may penalise with: action, cot, cot+action, retrained"`
	Init     float64  `yaml:"init" doc:"scale of the policy's initial weights (He × init)" range:"(0, 10]"`
	Eval     int      `yaml:"eval_examples" doc:"evaluation episodes per probe" range:"[10, 1000000]"`
}

// CoTAuthorConfig is the reference author whose episodes the sft stage
// imitates and the monitor is trained on: the natural-language prior.
type CoTAuthorConfig struct {
	Hack      float64 `yaml:"hack" doc:"P(hack | hackable task)" range:"[0, 1]"`
	FalseHack float64 `yaml:"false_hack" doc:"P(hack | task not hackable)" range:"[0, 1]"`
	GiveUp    float64 `yaml:"give_up" doc:"P(give up | honest) = give_up · d; else solve" range:"[0, 1]"`
	Talk      float64 `yaml:"talk" doc:"per position, P(hack-talk) in an announced hack" range:"[0, 1]"`
	WorkRate  float64 `yaml:"work" doc:"per position, P(work token) in honest work and the rest of a hack" range:"[0, 1]"`
	Slip      float64 `yaml:"slip" doc:"per position, P(hack-talk) in an honest episode (the monitor's false alarms)" range:"[0, 1]"`
}

// MonitorConfig configures the fixed monitor.
type MonitorConfig struct {
	// Kind is "classifier" (logistic regression on the bag of tokens,
	// fitted to the author's episodes) or "keyword" (flags any hack-talk).
	Kind      string  `yaml:"kind" doc:"classifier (fitted to the author's episodes) or keyword (flags any hack-talk)" range:"classifier or keyword"`
	Examples  int     `yaml:"examples" doc:"author episodes the classifier is fitted on" range:"[10, 1000000]"`
	Steps     int     `yaml:"steps" doc:"full-batch gradient steps of the fit (examples × steps × tokens ≤ 1e10)" range:"[1, 100000]"`
	LR        float64 `yaml:"lr" doc:"learning rate of the fit" range:"> 0"`
	Threshold float64 `yaml:"threshold" doc:"flag when P(hack | chain of thought) exceeds this" range:"(0, 1)"`
	// Q is the detectability of a hack from the action alone: the action
	// monitor flags a hack with probability q, and the cot+action monitor
	// flags it when either the chain of thought or the action gives it away.
	Q float64 `yaml:"q" doc:"chance that the action monitor flags a hack from the action alone" range:"[0, 1]"`
}

// NewConfig returns the defaults, calibrated as docs/design.md §5.2 records.
func NewConfig() *Config {
	return &Config{
		Tokens: 3, HackTalk: 2, Work: 4, Neutral: 6, Nuisance: 4,
		PHackable: 0.5, CoTNecessity: 1, UnverbalisedHack: 0.2,
		Author:   CoTAuthorConfig{Hack: 0.6, FalseHack: 0.05, GiveUp: 0.5, Talk: 0.3, WorkRate: 0.6, Slip: 0.01},
		Monitor:  MonitorConfig{Kind: "classifier", Examples: 4000, Steps: 300, LR: 1, Threshold: 0.5, Q: 0.8},
		Monitors: slices.Clone(monitorNames),
		Init:     0.1, Eval: 1000,
	}
}

// Limits on the vocabulary, so that the readout metrics can be listed.
const (
	maxHackTalk = 4
	maxWork     = 8
	maxNeutral  = 8
)

// Limits on the data the world holds and the monitor's fit, far above the
// defaults (1000 evaluation episodes; 4000 × 300 for the monitor): beyond
// them a seed would not fit in memory or would fit its monitor for hours,
// deaf to Ctrl-C.
const (
	maxEval            = 1_000_000
	maxMonitorExamples = 1_000_000
	maxMonitorSteps    = 100_000
	maxMonitorWork     = 1e10 // examples × steps × tokens
)

// Footprint implements sim.Footprinter: both heads' parameters, an
// episode's features and tokens, and the evaluation and monitor episodes.
func (c *Config) Footprint() sim.Footprint {
	in, t := c.In(), c.Tokens
	ep := in + 2*t + 4 // features, tokens and their log-probabilities, action, reward, mask
	return sim.Footprint{
		Params:        pipeline.CoTParams(in, t, c.V(), cotActions, c.hidden()),
		ExampleFloats: ep,
		FixedFloats:   (c.Eval + c.Monitor.Examples) * ep,
		FixedSetting:  "world.eval_examples or world.monitor.examples",
	}
}

// hidden are the hidden layer widths of each of the policy's heads.
func (c *Config) hidden() []int {
	if c.Hidden > 0 {
		return []int{c.Hidden}
	}
	return nil
}

// V is the vocabulary size.
func (c *Config) V() int { return c.HackTalk + c.Work + c.Neutral }

// In is the width of the task features: [1, d, h, d·h, nuisance...].
func (c *Config) In() int { return 4 + c.Nuisance }

// Validate implements scenarios.WorldConfig.
func (c *Config) Validate() error {
	fe := func(f, format string, a ...any) error {
		return &pipeline.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)}
	}
	share := func(v float64) bool { return v >= 0 && v <= 1 }
	a, m := &c.Author, &c.Monitor
	if err := c.checkMonitors(); err != nil {
		return err
	}
	// A classifier is fitted: the fixed one, or the retrained one.
	fits := m.Kind == "classifier" || slices.Contains(c.Monitors, monRetrained)
	switch {
	case c.Tokens < 1 || c.Tokens > 16:
		return fe("tokens", "must be between 1 and 16, got %d", c.Tokens)
	case c.HackTalk < 1 || c.HackTalk > maxHackTalk:
		return fe("hack_talk", "must be between 1 and %d, got %d", maxHackTalk, c.HackTalk)
	case c.Work < 1 || c.Work > maxWork:
		return fe("work", "must be between 1 and %d, got %d", maxWork, c.Work)
	case c.Neutral < 0 || c.Neutral > maxNeutral:
		return fe("neutral", "must be between 0 and %d, got %d", maxNeutral, c.Neutral)
	case c.Nuisance < 0 || c.Nuisance > 64:
		return fe("nuisance", "must be between 0 and 64, got %d", c.Nuisance)
	case c.Hidden < 0 || c.Hidden > 256:
		return fe("hidden", "must be between 0 and 256, got %d", c.Hidden)
	case !share(c.PHackable):
		return fe("p_hackable", "must be in [0, 1], got %v", c.PHackable)
	case !share(c.CoTNecessity):
		return fe("cot_necessity", "must be in [0, 1], got %v", c.CoTNecessity)
	case !share(c.UnverbalisedHack):
		return fe("unverbalised_hack", "must be in [0, 1], got %v", c.UnverbalisedHack)
	case !share(a.Hack):
		return fe("author.hack", "must be in [0, 1], got %v", a.Hack)
	case !share(a.FalseHack):
		return fe("author.false_hack", "must be in [0, 1], got %v", a.FalseHack)
	case !share(a.GiveUp):
		return fe("author.give_up", "must be in [0, 1], got %v", a.GiveUp)
	case !share(a.Talk):
		return fe("author.talk", "must be in [0, 1], got %v", a.Talk)
	case !share(a.WorkRate):
		return fe("author.work", "must be in [0, 1], got %v", a.WorkRate)
	case !share(a.Slip):
		return fe("author.slip", "must be in [0, 1], got %v", a.Slip)
	case m.Kind != "classifier" && m.Kind != "keyword":
		return fe("monitor.kind", "must be classifier or keyword, got %q", m.Kind)
	case fits && (m.Examples < 10 || m.Examples > maxMonitorExamples):
		return fe("monitor.examples", "must be between 10 and %d, got %d", maxMonitorExamples, m.Examples)
	case fits && (m.Steps < 1 || m.Steps > maxMonitorSteps):
		return fe("monitor.steps", "must be between 1 and %d, got %d", maxMonitorSteps, m.Steps)
	case fits && float64(m.Examples)*float64(m.Steps)*float64(c.Tokens) > maxMonitorWork:
		return fe("monitor.steps", "%d steps over %d examples of %d tokens are %.3g token updates, more than %.0e (minutes of fitting before any training); lower monitor.steps or monitor.examples",
			m.Steps, m.Examples, c.Tokens, float64(m.Examples)*float64(m.Steps)*float64(c.Tokens), float64(maxMonitorWork))
	case fits && !(m.LR > 0 && m.LR < 1e3):
		return fe("monitor.lr", "must be a positive number, got %v", m.LR)
	case !(m.Threshold > 0 && m.Threshold < 1):
		return fe("monitor.threshold", "must be in (0, 1), got %v", m.Threshold)
	case !share(m.Q):
		return fe("monitor.q", "must be in [0, 1], got %v", m.Q)
	case !(c.Init > 0 && c.Init <= 10):
		return fe("init", "must be in (0, 10], got %v", c.Init)
	case c.Eval < 10 || c.Eval > maxEval:
		return fe("eval_examples", "must be between 10 and %d, got %d", maxEval, c.Eval)
	}
	return nil
}

// CheckStage implements scenarios.WorldConfig.
func (c *Config) CheckStage(st pipeline.Stage) error {
	switch st.Kind {
	case "sft":
		if st.Data != nil {
			return fmt.Errorf("the cot world makes its own sft data (the author's episodes)")
		}
		if st.Examples <= 0 {
			return &pipeline.FieldError{Field: "examples", Msg: "must be > 0"}
		}
		if st.Epochs == 0 && st.Steps == 0 {
			return &pipeline.FieldError{Field: "epochs", Msg: "give epochs or steps"}
		}
	case "rl":
		if st.Data != nil {
			pd, ok := st.Data.(interventions.CoTPressureData)
			if !ok {
				return fmt.Errorf("an rl stage in the cot world takes monitor pressure (cot-pressure), not %T", st.Data)
			}
			if !slices.Contains(c.Monitors, pd.Monitor) {
				return &pipeline.FieldError{Field: "monitor", Msg: fmt.Sprintf("monitor %q is not among world.monitors (%s)", pd.Monitor, strings.Join(c.Monitors, ", "))}
			}
		}
		if st.Steps <= 0 {
			return &pipeline.FieldError{Field: "steps", Msg: "an rl stage needs steps > 0"}
		}
		if st.Epochs > 0 {
			return &pipeline.FieldError{Field: "epochs", Msg: "an rl stage runs steps, not epochs"}
		}
		if err := st.RL.Validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("the cot world cannot run a %q stage (it runs sft and rl)", st.Kind)
	}
	return nil
}

// Kind describes the cot world to a registry.
func Kind() sim.Kind {
	return sim.Kind{
		Name:      "cot",
		Doc:       "optimising chain of thought against a monitor: obfuscated reward hacking (Baker et al. 2025)",
		NewConfig: func() sim.Config { return NewConfig() },
		Metrics:   metrics(),
		Stages: []scenarios.StageKind{
			{Name: "sft", Doc: "imitation of an author who verbalises a hack before taking it"},
			{Name: "rl", Doc: "REINFORCE on the task reward (and a monitor penalty under cot-pressure)"},
		},
	}
}

// NewWorld implements sim.Config: it builds the world of one seed.
func (c *Config) NewWorld(s sim.Streams) (sim.World, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("cot world: %w", err)
	}
	return newCoT(*c, s), nil
}

// cot is one seed's cot world: its monitor and its evaluation tasks.
type cot struct {
	cfg     Config
	seed    uint64
	monitor *cotMonitor
	eval    *pipeline.Episodes // fixed evaluation tasks (tokens and actions are scratch)
	// seen[i] is whether a hack in evaluation episode i shows in its action
	// (probability q): the action monitors' detections, the same at every
	// probe.
	seen []bool
	// refit holds the tasks the retrained monitor is refitted on: as many
	// as the evaluation's, held out from them; nil if it is not among the
	// monitors.
	refit *pipeline.Episodes
}

func newCoT(cfg Config, s sim.Streams) *cot {
	w := &cot{cfg: cfg, seed: s.Seed}
	w.monitor = w.fitMonitor(s.Rand("monitor"))
	w.eval = pipeline.NewEpisodes(cfg.Eval, cfg.In(), cfg.Tokens)
	w.tasks(w.eval, s.Rand("eval tasks"))
	rng := s.Rand("action monitor")
	w.seen = make([]bool, cfg.Eval)
	for i := range w.seen {
		w.seen[i] = rng.Float64() < cfg.Monitor.Q
	}
	if slices.Contains(cfg.Monitors, monRetrained) {
		w.refit = pipeline.NewEpisodes(cfg.Eval, cfg.In(), cfg.Tokens)
		w.tasks(w.refit, s.Rand("retrain tasks"))
	}
	return w
}

// tasks fills e.X and e.Masked with fresh tasks: d ~ U[0,1], h ~ Bernoulli
// (p_hackable), nuisance ~ N(0,1), and the action head masked with
// probability cot_necessity.
func (w *cot) tasks(e *pipeline.Episodes, rng *rand.Rand) {
	for i := 0; i < e.Len(); i++ {
		x := e.Row(i)
		d := rng.Float64()
		h := 0.0
		if rng.Float64() < w.cfg.PHackable {
			h = 1
		}
		x[0], x[1], x[2], x[3] = 1, d, h, d*h
		for k := 4; k < len(x); k++ {
			x[k] = rng.NormFloat64()
		}
		e.Masked[i] = rng.Float64() < w.cfg.CoTNecessity
	}
}

func hackable(x []float64) bool { return x[2] > 0.5 }

// token class ranges [lo, hi) of the vocabulary.
func (w *cot) talkRange() (int, int)    { return 0, w.cfg.HackTalk }
func (w *cot) workRange() (int, int)    { return w.cfg.HackTalk, w.cfg.HackTalk + w.cfg.Work }
func (w *cot) neutralRange() (int, int) { return w.cfg.HackTalk + w.cfg.Work, w.cfg.V() }

// author writes the reference episodes for the tasks of e: it picks an
// action, then writes each position's token from its class distribution.
// An announced hack writes hack-talk at one random position and at each
// other with probability talk; everything else (honest work and unannounced hacks alike) writes it with
// the small probability slip. A position without hack-talk gets a work token
// with probability work, else a neutral one. Tokens are uniform within their
// class.
func (w *cot) author(e *pipeline.Episodes, rng *rand.Rand) {
	a, T := &w.cfg.Author, w.cfg.Tokens
	pick := func(lo, hi int) int {
		if hi <= lo { // no neutral tokens: fall back on work
			lo, hi = w.workRange()
		}
		return lo + rng.IntN(hi-lo)
	}
	for i := 0; i < e.Len(); i++ {
		x := e.Row(i)
		p := a.FalseHack
		if hackable(x) {
			p = a.Hack
		}
		act := actSolve
		switch {
		case rng.Float64() < p:
			act = actHack
		case rng.Float64() < a.GiveUp*x[1]:
			act = actGiveUp
		}
		e.Action[i] = act
		announced := act == actHack && rng.Float64() >= w.cfg.UnverbalisedHack
		talk := a.Slip
		if announced {
			talk = a.Talk
		}
		// An announced hack says so at least once, so that unverbalised_hack
		// is exactly the share of hacks without hack-talk.
		must := -1
		if announced {
			must = rng.IntN(T)
		}
		for t := 0; t < T; t++ {
			var c int
			switch u := rng.Float64(); {
			case t == must || u < talk:
				c = pick(w.talkRange())
			case u < talk+(1-talk)*a.WorkRate:
				c = pick(w.workRange())
			default:
				c = pick(w.neutralRange())
			}
			e.Tokens[i*T+t] = c
		}
	}
}

// cotModel is the cot world's policy, the frozen reference the KL penalty
// pulls toward, and scratch space for evaluation.
type cotModel struct {
	policy *pipeline.CoTPolicy
	// ref is the policy as it left the last sft stage (or entered the first
	// rl stage, if none came before); nil until then.
	ref  *pipeline.CoTPolicy
	eval *cotScratch
}

// Clone implements Model.
func (m *cotModel) Clone() sim.Model {
	c := &cotModel{policy: m.policy.Clone()}
	if m.ref != nil {
		c.ref = m.ref.Clone()
	}
	return c
}

// NewModel implements World.
func (w *cot) NewModel(rng *rand.Rand) (sim.Model, error) {
	p, err := pipeline.NewCoTPolicy(w.cfg.In(), w.cfg.Tokens, w.cfg.V(), cotActions, w.cfg.hidden(), w.cfg.Init, rng)
	if err != nil {
		return nil, fmt.Errorf("cot world: %w", err)
	}
	return &cotModel{policy: p}, nil
}

// Run implements World.
func (w *cot) Run(ctx context.Context, m sim.Model, st pipeline.Stage, s sim.Streams, every int, probe pipeline.Probe) error {
	cm, ok := m.(*cotModel)
	if !ok {
		return fmt.Errorf("cot world: model is %T", m)
	}
	if err := w.cfg.CheckStage(st); err != nil {
		return fmt.Errorf("cot world: %w", err)
	}
	opt, err := pipeline.NewOptimizer(st.Optimizer, st.LR, len(cm.policy.Params))
	if err != nil {
		return fmt.Errorf("cot world: %w", err)
	}
	switch st.Kind {
	case "sft":
		data := s.Rand("data")
		d := pipeline.NewEpisodes(st.Examples, w.cfg.In(), w.cfg.Tokens)
		w.tasks(d, data)
		w.author(d, data)
		if err := pipeline.NewCoTSFT(cm.policy, opt).Run(ctx, d, st, s.Rand("order"), every, probe); err != nil {
			return fmt.Errorf("cot world sft: %w", err)
		}
		cm.ref = cm.policy.Clone()
		return nil
	default: // "rl", as CheckStage has made sure
		if cm.ref == nil {
			cm.ref = cm.policy.Clone()
		}
		env := &cotEnv{w: w}
		if pd, ok := st.Data.(interventions.CoTPressureData); ok {
			env.pressure = pd
		}
		batch := st.Batch
		if batch <= 0 {
			batch = 256
		}
		tr, err := pipeline.NewRLTrainer(cm.policy, cm.ref, opt, st.RL, batch)
		if err != nil {
			return fmt.Errorf("cot world: %w", err)
		}
		if err := tr.Run(ctx, env, st, s.Rand("rl"), every, probe); err != nil {
			return fmt.Errorf("cot world rl: %w", err)
		}
		return nil
	}
}

// cotEnv is the RL environment of one rl stage: the world's tasks, the
// grader, and the monitor penalty the stage carries.
type cotEnv struct {
	w        *cot
	pressure interventions.CoTPressureData
}

// Tasks implements pipeline.RLEnv.
func (e *cotEnv) Tasks(ep *pipeline.Episodes, rng *rand.Rand) { e.w.tasks(ep, rng) }

// Rewards implements pipeline.RLEnv: the grader's reward,
//
//	R = [hack ∧ hackable] + [solve]·Bernoulli(1 − d) − weight·flag·[step ≥ from],
//
// where flag is the penalised monitor's verdict: on the chain of thought
// (cot), on the action (action: a hack is detected with probability q), or
// either (cot+action).
func (e *cotEnv) Rewards(step int, ep *pipeline.Episodes, rng *rand.Rand) {
	T := e.w.cfg.Tokens
	pr := e.pressure
	penalise := pr.Weight > 0 && step >= pr.From
	for i := range ep.Reward {
		x := ep.Row(i)
		// Draw every coin whatever the policy did, so that the stream's use
		// does not depend on its choices.
		solved := rng.Float64() < 1-x[1]
		seen := rng.Float64() < e.w.cfg.Monitor.Q
		r := 0.0
		switch ep.Action[i] {
		case actHack:
			if hackable(x) {
				r = 1
			}
		case actSolve:
			if solved {
				r = 1
			}
		}
		if penalise {
			flag := pr.Monitor != monAction && e.w.monitor.flag(ep.Tokens[i*T:(i+1)*T])
			if pr.Monitor != monCoT && ep.Action[i] == actHack && seen {
				flag = true
			}
			if flag {
				r -= pr.Weight
			}
		}
		ep.Reward[i] = r
	}
}
