package interventions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/natmo/natmo/pipeline"
)

// The generic edits below work in every world: they change which stages a
// pipeline has and how they are set, never what a stage does.

// StageNames is one stage name or a list of them; in a scenario,
// stage: sft or stage: [sft, harmlessness].
type StageNames []string

// UnmarshalYAML accepts a single name or a list.
func (s *StageNames) UnmarshalYAML(unmarshal func(any) error) error {
	var one string
	if err := unmarshal(&one); err == nil {
		*s = StageNames{one}
		return nil
	}
	var many []string
	if err := unmarshal(&many); err != nil {
		return fmt.Errorf("expected a stage name or a list of names")
	}
	*s = many
	return nil
}

// Knockout removes stages from the pipeline by name: the same pipeline
// without, say, its assistant sft (a helpful-only or base model).
type Knockout struct {
	Stage StageNames `yaml:"stage" doc:"the names of the stages to remove"`
}

// Name implements Intervention.
func (k *Knockout) Name() string { return "knockout" }

// Validate implements Intervention.
func (k *Knockout) Validate() error {
	if len(k.Stage) == 0 {
		return &pipeline.FieldError{Field: "stage", Msg: "must name a stage, e.g. stage: sft"}
	}
	for i, n := range k.Stage {
		if n == "" {
			return &pipeline.FieldError{Field: "stage", Msg: "a stage name is empty"}
		}
		if slices.Contains(k.Stage[:i], n) {
			return &pipeline.FieldError{Field: "stage", Msg: fmt.Sprintf("names %q twice", n)}
		}
	}
	return nil
}

// Apply implements Intervention: it removes the named stages. A name that is
// not in p, or removing every stage, is an error.
func (k *Knockout) Apply(p pipeline.Pipeline) (pipeline.Pipeline, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	names := p.Names()
	for _, n := range k.Stage {
		if !slices.Contains(names, n) {
			return nil, &UnknownStageError{"stage", n, names}
		}
	}
	var q pipeline.Pipeline
	for i, st := range p {
		if !slices.Contains(k.Stage, names[i]) {
			q = append(q, st)
		}
	}
	if len(q) == 0 {
		return nil, &pipeline.FieldError{Field: "stage", Msg: fmt.Sprintf("would remove every stage (%s); expected at least one to remain", strings.Join(names, ", "))}
	}
	return q, nil
}

// An UnknownStageError is an edit that names a stage the pipeline so far
// does not have. The loader places it at the edit's field and suggests the
// nearest of Stages.
type UnknownStageError struct {
	Field  string   // the edit's key that names it: stage, before or after
	Name   string   // the name given
	Stages []string // the names of the pipeline's stages so far
}

func (e *UnknownStageError) Error() string { return e.FieldError().Error() }

// FieldError is e as a *pipeline.FieldError of its field.
func (e *UnknownStageError) FieldError() *pipeline.FieldError {
	return &pipeline.FieldError{Field: e.Field, Msg: fmt.Sprintf("the pipeline so far has no stage %q; its stages are %s", e.Name, strings.Join(e.Stages, ", "))}
}

// AddStage inserts a stage of any kind the world runs: before or after a
// named stage, or at the end (a safety stage after a harmful fine-tune).
// The scenario writes it as add-stage: {KIND: {settings}, after: NAME}; the
// loader decodes the stage with the world's schema.
type AddStage struct {
	Stage  pipeline.Stage `yaml:"-" key:"KIND" type:"mapping" doc:"the stage to insert, as in a baseline: KIND: {settings} (natmo explain KIND)"`
	Before string         `yaml:"before" doc:"insert before this stage"`
	After  string         `yaml:"after" doc:"insert after this stage"`
}

// Name implements Intervention.
func (a *AddStage) Name() string { return "add-stage" }

// Validate implements Intervention.
func (a *AddStage) Validate() error {
	switch {
	case a.Before != "" && a.After != "":
		return &pipeline.FieldError{Field: "after", Msg: "give before or after, not both"}
	case a.Stage.Kind == "":
		return &pipeline.FieldError{Field: "add-stage", Msg: "expected one key naming the stage kind, e.g. add-stage: {sft: {examples: 1000, epochs: 1, lr: 0.001}}"}
	}
	return a.Stage.Validate()
}

// Apply implements Intervention.
func (a *AddStage) Apply(p pipeline.Pipeline) (pipeline.Pipeline, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	at := len(p)
	names := p.Names()
	for _, ref := range []struct {
		field, name string
		off         int
	}{{"before", a.Before, 0}, {"after", a.After, 1}} {
		if ref.name == "" {
			continue
		}
		i := slices.Index(names, ref.name)
		if i < 0 {
			return nil, &UnknownStageError{ref.field, ref.name, names}
		}
		at = i + ref.off
	}
	q := slices.Insert(p.Clone(), at, a.Stage)
	if err := q.CheckNames(); err != nil {
		return nil, &pipeline.FieldError{Field: "name", Msg: err.Error()}
	}
	return q, nil
}

// A Setting is one key: value of a Modify, as written.
type Setting struct {
	Key   string
	Value any // int64, float64, string or bool
}

// Modify changes one stage's settings for this arm only: a learning rate, a
// KL coefficient, fewer steps (an early stop). Keys are checked against the
// stage kind's settings (pipeline.Stage.Settings).
type Modify struct {
	Stage string    `yaml:"stage" doc:"the name of the stage to change"`
	Set   []Setting `yaml:"-" key:"set" type:"mapping" doc:"the settings to change, {KEY: VALUE}, from the stage kind's (natmo explain KIND); the loader fills it"`
}

// Name implements Intervention.
func (m *Modify) Name() string { return "modify" }

// Validate implements Intervention.
func (m *Modify) Validate() error {
	switch {
	case m.Stage == "":
		return &pipeline.FieldError{Field: "stage", Msg: "must name a stage, e.g. stage: rl"}
	case len(m.Set) == 0:
		return &pipeline.FieldError{Field: "set", Msg: "expected at least one setting, e.g. set: {lr: 0.001}"}
	}
	return nil
}

// Apply implements Intervention.
func (m *Modify) Apply(p pipeline.Pipeline) (pipeline.Pipeline, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	names := p.Names()
	i := slices.Index(names, m.Stage)
	if i < 0 {
		return nil, &UnknownStageError{"stage", m.Stage, names}
	}
	q := p.Clone()
	for _, s := range m.Set {
		if err := q[i].Set(s.Key, s.Value); err != nil {
			return nil, err
		}
	}
	if err := q[i].Validate(); err != nil {
		return nil, err
	}
	if q[i].Kind == "rl" {
		if err := q[i].RL.Validate(); err != nil {
			return nil, err
		}
	}
	return q, nil
}
