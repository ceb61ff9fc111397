package pipeline

import "fmt"

// RLParams are the knobs of an "rl" stage (REINFORCE with a baseline).
type RLParams struct {
	KL      float64 `yaml:"kl" json:"kl,omitempty" doc:"coefficient β of the KL penalty to the frozen reference policy" range:"[0, 1e6]"`
	Entropy float64 `yaml:"entropy" json:"entropy,omitempty" doc:"coefficient α of the entropy bonus" range:"[0, 1e6]"`
	// ValueBaseline is "mean" (a running mean of the reward, the default),
	// "batch" (the mean reward of the step's own batch), "learned" (a
	// linear value of the task features) or "none".
	ValueBaseline string `yaml:"value_baseline" json:"value_baseline,omitempty" doc:"mean (a running mean of the reward), batch (the batch's mean reward), learned (a linear value) or none; empty: mean" range:"mean, batch, learned or none"`
	// BaselineRate is the baseline's learning rate ρ (default 0.1): the
	// running mean moves by ρ·(mean reward − b) per step.
	BaselineRate float64 `yaml:"baseline_rate" json:"baseline_rate,omitempty" doc:"the running-mean baseline's learning rate (0: 0.1)" range:"[0, 1]"`
}

// DefaultBaselineRate is the baseline's learning rate when none is given.
const DefaultBaselineRate = 0.1

// Validate checks the RL knobs and returns a *FieldError for the first bad one.
func (p RLParams) Validate() error {
	switch {
	case !(p.KL >= 0) || p.KL > 1e6:
		return &FieldError{"kl", fmt.Sprintf("must be a number ≥ 0, got %v", p.KL)}
	case !(p.Entropy >= 0) || p.Entropy > 1e6:
		return &FieldError{"entropy", fmt.Sprintf("must be a number ≥ 0, got %v", p.Entropy)}
	case p.ValueBaseline != "" && p.ValueBaseline != "mean" && p.ValueBaseline != "batch" && p.ValueBaseline != "learned" && p.ValueBaseline != "none":
		return &FieldError{"value_baseline", fmt.Sprintf("must be mean, batch, learned or none, got %q", p.ValueBaseline)}
	case !(p.BaselineRate >= 0) || p.BaselineRate > 1:
		return &FieldError{"baseline_rate", fmt.Sprintf("must be in (0, 1] (0: default %v), got %v", DefaultBaselineRate, p.BaselineRate)}
	}
	return nil
}
