package pipeline

import "fmt"

// A Stage is one declared step of a training pipeline: what kind of training,
// on how much data, with which optimiser. It says nothing of how the data is
// made; the world that runs the stage reads Kind and Data to generate it.
type Stage struct {
	// Kind is the stage kind: "pretrain", "sft", "finetune" or "rl".
	Kind string `yaml:"-" json:"kind"`
	// Label says where the stage came from (the baseline or an intervention's
	// name); it is shown in results and never changes what the stage does.
	Label string `yaml:"-" json:"label"`

	Examples  int     `yaml:"examples" json:"examples,omitempty"`   // unique examples generated
	Epochs    int     `yaml:"epochs" json:"epochs,omitempty"`       // passes over them (or use Steps)
	Steps     int     `yaml:"steps" json:"steps,omitempty"`         // minibatch steps, sampled with replacement
	Batch     int     `yaml:"batch" json:"batch,omitempty"`         // minibatch size
	LR        float64 `yaml:"lr" json:"lr,omitempty"`               // learning rate
	Optimizer string  `yaml:"optimizer" json:"optimizer,omitempty"` // adam or sgd
	// Every, if > 0, is this stage's probe interval in steps, in place of the
	// scenario's measure.every (say, coarse probes in a long pretraining).
	Every int `yaml:"every" json:"every,omitempty"`

	// RL holds the knobs of an "rl" stage.
	RL RLParams `yaml:",inline" json:"rl,omitempty"`

	// Data describes the stage's data for the world (a world-specific value,
	// such as an intervention's narrow data set); nil means the world's default
	// data for Kind.
	Data any `yaml:"-" json:"data,omitempty"`
}

// A Pipeline is an ordered list of stages.
type Pipeline []Stage

// Clone returns a copy of p that can be edited without changing p.
func (p Pipeline) Clone() Pipeline { return append(Pipeline(nil), p...) }

// FieldError reports a bad value of a named field, so that a loader can point
// at the field's place in a file.
type FieldError struct {
	Field string // the field's key as written in a scenario, e.g. "lr"
	Msg   string // what was expected, e.g. "must be > 0"
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Msg) }

// Validate checks the stage's numbers and returns a *FieldError for the first
// bad one.
func (s *Stage) Validate() error {
	switch {
	case s.Examples < 0:
		return &FieldError{"examples", fmt.Sprintf("must be ≥ 0, got %d", s.Examples)}
	case s.Epochs < 0:
		return &FieldError{"epochs", fmt.Sprintf("must be ≥ 0, got %d", s.Epochs)}
	case s.Steps < 0:
		return &FieldError{"steps", fmt.Sprintf("must be ≥ 0, got %d", s.Steps)}
	case s.Epochs > 0 && s.Steps > 0:
		return &FieldError{"steps", "give epochs or steps, not both"}
	case s.Every < 0:
		return &FieldError{"every", fmt.Sprintf("must be ≥ 0 (0: the scenario's measure.every), got %d", s.Every)}
	case s.Batch < 0:
		return &FieldError{"batch", fmt.Sprintf("must be > 0, got %d", s.Batch)}
	case !(s.LR > 0) || s.LR > 1e9:
		return &FieldError{"lr", fmt.Sprintf("must be a positive number, got %v", s.LR)}
	case s.Optimizer != "" && s.Optimizer != "adam" && s.Optimizer != "sgd":
		return &FieldError{"optimizer", fmt.Sprintf("must be adam or sgd, got %q", s.Optimizer)}
	}
	return nil
}
