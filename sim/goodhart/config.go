package goodhart

import (
	"fmt"
	"math"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim"
)

// Config configures the goodhart world: what prompts and candidates look
// like, the gold reward, the reference policy, the RL policy's size and the
// evaluation pool.
type Config struct {
	Topic    int `yaml:"topic" doc:"m, the topic dimensions of a prompt (x = [v, z], z ∈ Rᵐ)" range:"[1, 64]"`
	Quality  int `yaml:"quality" doc:"quality features q (gold rewards them, with diminishing returns)" range:"[1, 16], ≥ look_good"`
	LookGood int `yaml:"look_good" doc:"look-good features l, lⱼ = ρ qⱼ + noise (gold ignores them); ≤ quality" range:"[0, quality]"`
	Noise    int `yaml:"noise" doc:"features that matter to nothing" range:"[0, 64]"`

	// Tails is the Student-t degrees of freedom ν of the features (> 2;
	// 0: Gaussian features, the thin-tailed switch).
	Tails float64 `yaml:"tails" doc:"Student-t degrees of freedom of the features (0: Gaussian, the thin-tailed switch)" range:"0 or (2, 1e6]"`
	// Loading is ρ, how strongly look-good features go with quality.
	Loading float64 `yaml:"loading" doc:"ρ, how strongly look-good features go with quality" range:"[0, 1]"`

	Gold GoldConfig `yaml:"gold" doc:"the gold reward"`

	// RefScale is the standard deviation of θ₀, the reference policy's
	// weights on the features.
	RefScale float64 `yaml:"ref_scale" doc:"standard deviation of the reference policy's weights on the features" range:"[0, 10]"`
	// LabelPool is the number of candidates per prompt from which a
	// labeller's pair is drawn by π₀.
	LabelPool int `yaml:"label_pool" doc:"candidates per prompt from which a labeller's pair is drawn" range:"[2, 65536]"`
	// PolicyHidden is the hidden width of the RL policy's head h_w (0: linear).
	PolicyHidden int `yaml:"policy_hidden" doc:"hidden width of the RL policy's head (0: linear)" range:"[0, 256]"`
	// RLCandidates is the number of candidates per prompt in an RL batch.
	RLCandidates int `yaml:"rl_candidates" doc:"candidates per prompt in an RL batch" range:"[2, 65536]"`

	// EvalPrompts × EvalCandidates is the held-out pool every metric is
	// measured on, exactly.
	EvalPrompts    int `yaml:"eval_prompts" doc:"prompts of the held-out pool every metric is measured on" range:"[2, 65536], × eval_candidates ≤ 16777216"`
	EvalCandidates int `yaml:"eval_candidates" doc:"candidates per prompt of that pool (eval_prompts × eval_candidates ≤ 16777216)" range:"≥ 2"`
}

// GoldConfig is the gold reward r* = Σⱼ qⱼ exp(−qⱼ²/(2σ²)) + w·s·t(x).
type GoldConfig struct {
	Saturation float64 `yaml:"saturation" doc:"σ: each quality's gold peaks at qⱼ = σ and falls beyond" range:"(0, 1e3]"`
	Correct    float64 `yaml:"correct" doc:"w: the bonus for the true stance (and loss for the false one)" range:"[0, 1e3]"`
}

// NewConfig returns the defaults, calibrated as docs/goodhart.md records.
func NewConfig() *Config {
	return &Config{
		Topic: 5, Quality: 3, LookGood: 2, Noise: 2,
		Tails: 4, Loading: 0.7,
		Gold:     GoldConfig{Saturation: 1.5, Correct: 0.5},
		RefScale: 0.3, LabelPool: 32, PolicyHidden: 16, RLCandidates: 128,
		EvalPrompts: 64, EvalCandidates: 4096,
	}
}

// Features is the width of φ: stance, quality, look-good, noise.
func (c *Config) Features() int { return 1 + c.Quality + c.LookGood + c.Noise }

// PromptDim is the width of x: the view and the topic.
func (c *Config) PromptDim() int { return 1 + c.Topic }

// In is the width of a proxy's or policy head's input [x, φ].
func (c *Config) In() int { return c.PromptDim() + c.Features() }

// Footprint implements sim.Footprinter, for the memory estimate made before
// a run: the policy head's parameters (an rm stage's proxy is of the same
// order), a labelled comparison (two inputs and a label) as the example,
// the evaluation pool as what a seed holds throughout (inputs, gold,
// reference logits, agreement, π₀ and the scores and ranks of no proxy),
// and per model its proxy's scores and ranks of the pool and Measure's
// distribution over it.
func (c *Config) Footprint() sim.Footprint {
	in := c.In()
	pool := c.EvalPrompts * c.EvalCandidates
	return sim.Footprint{
		Params:        pipeline.NumParams(headSizes(in, c.PolicyHidden)),
		ExampleFloats: 2*in + 1,
		FixedFloats:   pool * (in + 6),
		ModelFloats:   pool * 3,
		ModelSetting:  "world.policy_hidden",
		FixedSetting:  "world.eval_prompts or world.eval_candidates",
	}
}

// Validate implements scenarios.WorldConfig.
func (c *Config) Validate() error {
	fe := func(f, format string, a ...any) error {
		return &pipeline.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case c.Topic < 1 || c.Topic > 64:
		return fe("topic", "must be between 1 and 64, got %d", c.Topic)
	case c.Quality < 1 || c.Quality > 16:
		return fe("quality", "must be between 1 and 16, got %d", c.Quality)
	case c.LookGood < 0 || c.LookGood > c.Quality:
		return fe("look_good", "must be between 0 and quality (%d), got %d", c.Quality, c.LookGood)
	case c.Noise < 0 || c.Noise > 64:
		return fe("noise", "must be between 0 and 64, got %d", c.Noise)
	case !(c.Tails == 0 || (c.Tails > 2 && c.Tails <= 1e6)):
		return fe("tails", "must be 0 (Gaussian) or a degrees of freedom > 2, got %v", c.Tails)
	case !(c.Loading >= 0 && c.Loading <= 1):
		return fe("loading", "must be in [0, 1], got %v", c.Loading)
	case !(c.Gold.Saturation > 0 && c.Gold.Saturation <= 1e3):
		return fe("gold.saturation", "must be a positive number, got %v", c.Gold.Saturation)
	case !(c.Gold.Correct >= 0 && c.Gold.Correct <= 1e3):
		return fe("gold.correct", "must be a number ≥ 0, got %v", c.Gold.Correct)
	case !(c.RefScale >= 0 && c.RefScale <= 10):
		return fe("ref_scale", "must be in [0, 10], got %v", c.RefScale)
	case c.LabelPool < 2 || c.LabelPool > 1<<16:
		return fe("label_pool", "must be between 2 and 65536, got %d", c.LabelPool)
	case c.PolicyHidden < 0 || c.PolicyHidden > 256:
		return fe("policy_hidden", "must be between 0 and 256, got %d", c.PolicyHidden)
	case c.RLCandidates < 2 || c.RLCandidates > 1<<16:
		return fe("rl_candidates", "must be between 2 and 65536, got %d", c.RLCandidates)
	case c.EvalPrompts < 2 || c.EvalPrompts > 1<<16:
		return fe("eval_prompts", "must be between 2 and 65536, got %d", c.EvalPrompts)
	case c.EvalCandidates < 2 || c.EvalCandidates > 1<<20:
		return fe("eval_candidates", "must be between 2 and 1048576, got %d", c.EvalCandidates)
	case c.EvalPrompts*c.EvalCandidates > 1<<24:
		return fe("eval_candidates", "eval_prompts × eval_candidates must be ≤ %d, got %d", 1<<24, c.EvalPrompts*c.EvalCandidates)
	}
	return nil
}

// tScale is the factor that gives a Student-t with ν degrees of freedom unit
// variance.
func tScale(nu float64) float64 { return math.Sqrt((nu - 2) / nu) }
