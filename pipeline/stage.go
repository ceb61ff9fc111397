package pipeline

import (
	"fmt"
	"slices"
	"strconv"
)

// A Stage is one declared step of a training pipeline: what kind of training,
// on how much data, with which optimiser. It says nothing of how the data is
// made; the world that runs the stage reads Kind and Data to generate it.
type Stage struct {
	// Kind is the stage kind, one the world runs: "pretrain", "sft",
	// "finetune", "rl", ...
	Kind string `yaml:"-" json:"kind"`
	// Name, if set, is the stage's name in place of the one Pipeline.Names
	// gives it (its kind, numbered on repeats). Names key the stage's random
	// streams, its records and the edits that refer to it.
	Name string `yaml:"name" json:"name,omitempty" doc:"the stage's name in records and edits (default: its kind, kind.2 on a repeat)"`
	// Label says where the stage came from (the baseline or an intervention's
	// name); it is shown in results and never changes what the stage does.
	Label string `yaml:"-" json:"label"`

	Examples  int     `yaml:"examples" json:"examples,omitempty" doc:"unique examples generated" range:"[0, 10000000]"`
	Epochs    int     `yaml:"epochs" json:"epochs,omitempty" doc:"passes over them (or use Steps; at most 100000)" range:"≥ 0"`
	Steps     int     `yaml:"steps" json:"steps,omitempty" doc:"minibatch steps, sampled with replacement" range:"[0, 100000000]"`
	Batch     int     `yaml:"batch" json:"batch,omitempty" doc:"minibatch size" range:"[0, 65536]"`
	LR        float64 `yaml:"lr" json:"lr,omitempty" doc:"learning rate (none in a stage computed rather than trained, which sets no training settings)" range:"> 0"`
	Optimizer string  `yaml:"optimizer" json:"optimizer,omitempty" doc:"adam or sgd" range:"adam or sgd"`
	// Every, if > 0, is this stage's probe interval in steps, in place of the
	// scenario's measure.every (say, coarse probes in a long pretraining).
	Every int `yaml:"every" json:"every,omitempty" doc:"probe every this many steps in this stage (0: measure.every)" range:"[0, 100000000]"`
	// Dense, if > 0, adds a probe after every one of the stage's first Dense
	// steps, so that what happens at the start of a stage can be resolved
	// without probing the whole stage finely (supervised stages).
	Dense int `yaml:"dense" json:"dense,omitempty" doc:"probe after each of the stage's first this many steps too (supervised stages)" range:"[0, 100000000]"`

	// RL holds the knobs of an "rl" stage.
	RL RLParams `yaml:",inline" json:"rl,omitempty"`

	// Params holds the settings of the stage kind's own (a pointer to a
	// world-defined struct, such as best-of-n's n), or nil.
	Params any `yaml:"-" json:"params,omitempty"`

	// Data describes the stage's data for the world (a world-specific value,
	// such as an intervention's narrow data set); nil means the world's default
	// data for Kind.
	Data any `yaml:"-" json:"data,omitempty"`
}

// A Pipeline is an ordered list of stages.
type Pipeline []Stage

// Clone returns a copy of p that can be edited without changing p.
func (p Pipeline) Clone() Pipeline { return append(Pipeline(nil), p...) }

// Names returns the name of each stage of p: its Name if set, else its kind,
// numbered from the second stage of that kind on ("sft", "finetune",
// "finetune.2"). The number counts the stages of the kind before it, named or
// not, so a name says where a stage sits among its kind.
func (p Pipeline) Names() []string {
	seen := map[string]int{}
	names := make([]string, len(p))
	for i, st := range p {
		seen[st.Kind]++
		switch k := seen[st.Kind]; {
		case st.Name != "":
			names[i] = st.Name
		case k > 1:
			names[i] = st.Kind + "." + strconv.Itoa(k)
		default:
			names[i] = st.Kind
		}
	}
	return names
}

// Index returns the position of the stage named name, or -1.
func (p Pipeline) Index(name string) int {
	return slices.Index(p.Names(), name)
}

// CheckNames reports the first name that two stages of p share.
func (p Pipeline) CheckNames() error {
	names := p.Names()
	for i, n := range names {
		if j := slices.Index(names[:i], n); j >= 0 {
			return fmt.Errorf("stages %d and %d are both named %q; expected unique names (give one a name:)", j+1, i+1, n)
		}
	}
	return nil
}

// FieldError reports a bad value of a named field, so that a loader can point
// at the field's place in a file.
type FieldError struct {
	Field string // the field's key as written in a scenario, e.g. "lr"
	Msg   string // what was expected, e.g. "must be > 0"
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Msg) }

// computed reports whether the stage sets none of the training settings
// (examples, epochs, steps, batch, lr, optimizer): a stage that is computed
// rather than trained, such as best-of-n sampling, needs no learning rate.
// The world's CheckStage still decides whether its kind may be one.
func (s *Stage) computed() bool {
	return s.Examples == 0 && s.Epochs == 0 && s.Steps == 0 && s.Batch == 0 && s.LR == 0 && s.Optimizer == ""
}

// Bounds on a stage's sizes: far above what the built-in scenarios use,
// and below what would exhaust a 24 GiB machine or train for days.
const (
	MaxExamples = 10_000_000  // unique examples of a stage
	MaxSteps    = 100_000_000 // steps of a stage, and its probe interval
	MaxEpochs   = 100_000     // epochs of a stage
	MaxBatch    = 65_536      // minibatch size
)

// CheckSizes checks the stage's sizes against the bounds: examples,
// epochs, steps, batch and every each between 0 and its maximum.
func (s *Stage) CheckSizes() error {
	for _, f := range []struct {
		key    string
		v, max int
	}{{"examples", s.Examples, MaxExamples}, {"epochs", s.Epochs, MaxEpochs}, {"steps", s.Steps, MaxSteps}, {"batch", s.Batch, MaxBatch}, {"every", s.Every, MaxSteps}, {"dense", s.Dense, MaxSteps}} {
		switch {
		case f.v < 0:
			return &FieldError{f.key, fmt.Sprintf("must be ≥ 0, got %d", f.v)}
		case f.v > f.max:
			return &FieldError{f.key, fmt.Sprintf("must be ≤ %d, got %d", f.max, f.v)}
		}
	}
	return nil
}

// Validate checks the stage's numbers and returns a *FieldError for the first
// bad one.
func (s *Stage) Validate() error {
	if err := s.CheckSizes(); err != nil {
		return err
	}
	switch {
	case s.Epochs > 0 && s.Steps > 0:
		return &FieldError{"steps", "give epochs or steps, not both"}
	case !(s.LR > 0 || s.LR == 0 && s.computed()) || s.LR > 1e9:
		return &FieldError{"lr", fmt.Sprintf("must be a positive number, got %v", s.LR)}
	case s.Optimizer != "" && s.Optimizer != "adam" && s.Optimizer != "sgd":
		return &FieldError{"optimizer", fmt.Sprintf("must be adam or sgd, got %q", s.Optimizer)}
	}
	return nil
}

// Probed reports whether a supervised stage probes after step s (1 ≤ s ≤
// total): every `every` steps, after each of its first Dense steps, and
// after the last.
func (s *Stage) Probed(step, every, total int) bool {
	return (every > 0 && step%every == 0) || step <= s.Dense || step == total
}

// TotalSteps is the number of minibatch steps a supervised stage takes over
// n examples: Steps, or Epochs passes in minibatches of Batch (default 32).
func (s *Stage) TotalSteps(n int) int {
	if s.Epochs == 0 {
		return s.Steps
	}
	bs := s.Batch
	if bs <= 0 {
		bs = 32
	}
	bs = max(min(bs, n), 1)
	return s.Epochs * ((n + bs - 1) / bs)
}
