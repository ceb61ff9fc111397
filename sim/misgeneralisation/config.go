package misgeneralisation

import (
	"fmt"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim"
)

// Variants of the world: which two cues mark the object in training.
const (
	// VariantPosition gives each slot a one-bit position cue (the end of
	// the level, simple and salient) and a noisy object vector (the coin).
	VariantPosition = "position"
	// VariantTwoCue gives each slot a colour and a shape, both one-hot
	// codes of the same size: two equally simple cues.
	VariantTwoCue = "two-cue"
)

// Config configures the misgeneralisation world.
type Config struct {
	// Variant is "position" (a position cue and a noisy object) or
	// "two-cue" (colour and shape, equally simple).
	Variant string `yaml:"variant" doc:"position (a position cue and a noisy object) or two-cue (colour and shape, equally simple)" range:"position or two-cue"`
	// Slots is K, the locations of a level the agent chooses among.
	Slots int `yaml:"slots" doc:"K, the locations of a level the agent chooses among" range:"[2, 64]"`
	// ObjectDim is D, the width of the object vector (position variant).
	ObjectDim int `yaml:"object_dim" doc:"D, the width of the object vector (position variant)" range:"[1, 256]"`
	// ObjectNoise is σ: the object's vector is unit(p + σ·ε/√D), ε ~ N(0, I),
	// around one fixed direction p per world (position variant). The larger
	// σ, the harder the object is to tell from the distractors' random unit
	// vectors.
	ObjectNoise float64 `yaml:"object_noise" doc:"σ, how hard the object is to tell from the distractors (position variant)" range:"[0, 100]"`
	// Codes is the number of colours and of shapes (two-cue variant).
	Codes int `yaml:"codes" doc:"the number of colours and of shapes (two-cue variant)" range:"[2, 64]"`
	// Hidden is the width of the slot scorer's hidden layer (0: linear).
	Hidden int `yaml:"hidden" doc:"width of the slot scorer's hidden layer (0: linear)" range:"[0, 256]"`
	// Init scales the scorer's initial weights (He × init).
	Init float64 `yaml:"init" doc:"scale of the scorer's initial weights (He × init)" range:"(0, 10]"`
	// Eval is the number of levels of each evaluation set.
	Eval int `yaml:"eval_levels" doc:"levels of each evaluation set" range:"[10, 1000000]"`
}

// NewConfig returns the defaults, calibrated as docs/design.md records.
func NewConfig() *Config {
	return &Config{
		Variant: VariantPosition, Slots: 8, ObjectDim: 16, ObjectNoise: 1.4,
		Codes: 8, Hidden: 16, Init: 1, Eval: 1000,
	}
}

// Features is the width of a slot's feature vector: [cue, object] with the
// cue one bit and the object D wide (position), or a colour and a shape
// one-hot code of Codes each (two-cue).
func (c *Config) Features() int {
	if c.Variant == VariantTwoCue {
		return 2 * c.Codes
	}
	return 1 + c.ObjectDim
}

// Footprint implements sim.Footprinter, for the memory estimate made before
// a run: the slot scorer's parameters, a level (its slots' features, the
// object and the cue) as the example, and the three evaluation sets as
// what a seed holds throughout.
func (c *Config) Footprint() sim.Footprint {
	level := c.Slots*c.Features() + 2
	return sim.Footprint{Params: pipeline.NumParams(c.scorerSizes()), ExampleFloats: level, FixedFloats: 3 * c.Eval * level, FixedSetting: "world.eval_levels"}
}

// scorerSizes are the slot scorer's layer sizes: a slot's features, the
// hidden layer (if any), one score.
func (c *Config) scorerSizes() []int {
	if c.Hidden > 0 {
		return []int{c.Features(), c.Hidden, 1}
	}
	return []int{c.Features(), 1}
}

// Validate implements scenarios.WorldConfig.
func (c *Config) Validate() error {
	fe := func(f, format string, a ...any) error {
		return &pipeline.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case c.Variant != VariantPosition && c.Variant != VariantTwoCue:
		return fe("variant", "must be %s or %s, got %q", VariantPosition, VariantTwoCue, c.Variant)
	case c.Slots < 2 || c.Slots > 64:
		return fe("slots", "must be between 2 and 64, got %d", c.Slots)
	case c.ObjectDim < 1 || c.ObjectDim > 256:
		return fe("object_dim", "must be between 1 and 256, got %d", c.ObjectDim)
	case !(c.ObjectNoise >= 0 && c.ObjectNoise <= 100):
		return fe("object_noise", "must be in [0, 100], got %v", c.ObjectNoise)
	case c.Codes < 2 || c.Codes > 64:
		return fe("codes", "must be between 2 and 64, got %d", c.Codes)
	case c.Hidden < 0 || c.Hidden > 256:
		return fe("hidden", "must be between 0 and 256, got %d", c.Hidden)
	case !(c.Init > 0 && c.Init <= 10):
		return fe("init", "must be in (0, 10], got %v", c.Init)
	case c.Eval < 10 || c.Eval > 1_000_000:
		return fe("eval_levels", "must be between 10 and 1000000, got %d", c.Eval)
	}
	return nil
}

// CheckStage implements scenarios.WorldConfig: the world runs rl stages
// (REINFORCE on reaching the object) and nothing else.
func (c *Config) CheckStage(st pipeline.Stage) error {
	if st.Kind != "rl" {
		return fmt.Errorf("the misgeneralisation world cannot run a %q stage (it runs rl)", st.Kind)
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
	if st.RL.KL != 0 {
		return &pipeline.FieldError{Field: "kl", Msg: "the misgeneralisation world has no reference policy: kl must be 0"}
	}
	if st.RL.ValueBaseline == "learned" {
		return &pipeline.FieldError{Field: "value_baseline", Msg: "the misgeneralisation world takes mean or none"}
	}
	return nil
}
