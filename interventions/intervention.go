// Package interventions holds declarative edits of a training pipeline:
// narrow fine-tuning, optimising against a monitor, and the generic edits
// that work in every world: knocking out a stage, adding one, changing one
// stage's settings for one arm. Each is a small typed value that a scenario names, that validates itself,
// and that rewrites a pipeline.Pipeline. None of them decides an outcome: they
// only change what is trained on, and the world and the optimiser do the rest.
package interventions

import (
	"fmt"
	"slices"
	"sort"

	"github.com/natmo/natmo/pipeline"
)

// An Intervention edits a pipeline.
type Intervention interface {
	// Name is the name a scenario uses for it, e.g. "narrow-finetune".
	Name() string
	// Validate checks the intervention's own fields; a bad field is reported
	// as a *pipeline.FieldError so that the loader can point at it.
	Validate() error
	// Apply returns the edited pipeline; p is not modified.
	Apply(p pipeline.Pipeline) (pipeline.Pipeline, error)
}

// A Registry maps scenario names to constructors of interventions.
type Registry struct {
	m map[string]Entry
}

// An Entry describes one registered intervention.
type Entry struct {
	Name string
	// Doc is one line shown by the CLI.
	Doc string
	// New returns a pointer to a fresh value with its defaults filled in,
	// ready to be decoded into.
	New func() Intervention
}

// Register adds e, or reports a duplicate name.
func (r *Registry) Register(e Entry) error {
	if r.m == nil {
		r.m = map[string]Entry{}
	}
	if _, dup := r.m[e.Name]; dup {
		return fmt.Errorf("intervention %q registered twice", e.Name)
	}
	r.m[e.Name] = e
	return nil
}

// Lookup returns the entry for name.
func (r *Registry) Lookup(name string) (Entry, bool) {
	e, ok := r.m[name]
	return e, ok
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	var ns []string
	for n := range r.m {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// Default returns a registry of every intervention in this package.
func Default() *Registry {
	r := &Registry{m: map[string]Entry{}}
	for _, e := range builtins() {
		r.m[e.Name] = e // names are unique; TestBuiltinNamesUnique checks
	}
	return r
}

func builtins() []Entry {
	return []Entry{
		{Name: "narrow-finetune", Doc: "fine-tune on a narrow data set in one domain (Betley et al. 2025)",
			New: func() Intervention { return NewNarrowFinetune() }},
		{Name: "knockout", Doc: "remove stages by name: stage: sft or stage: [sft, harmlessness] (helpful-only, base, RL-only models)",
			New: func() Intervention { return &Knockout{} }},
		{Name: "add-stage", Doc: "insert a stage of any kind the world runs: {KIND: {settings}, before: NAME | after: NAME} (default: at the end)",
			New: func() Intervention { return &AddStage{} }},
		{Name: "modify", Doc: "change one stage's settings for this arm only: {stage: NAME, set: {lr: 0.001, steps: 100, kl: 0.03}}",
			New: func() Intervention { return &Modify{} }},
		{Name: "distill", Doc: "train on another arm's outputs (same seed): {teacher: ARM, student: shared|fresh, source: prompts|noise, filter: harmful} (Cloud et al. 2025)",
			New: func() Intervention { return NewDistill() }},
		{Name: "cot-pressure", Doc: "penalise the RL reward when a chain-of-thought monitor flags the episode (Baker et al. 2025)",
			New: func() Intervention { return NewCoTPressure() }},
	}
}

// ApplyAll applies ivs in order to a copy of p.
func ApplyAll(p pipeline.Pipeline, ivs []Intervention) (pipeline.Pipeline, error) {
	p = p.Clone()
	for i, iv := range ivs {
		var err error
		if p, err = iv.Apply(p); err != nil {
			return nil, fmt.Errorf("intervention %d (%s): %w", i, iv.Name(), err)
		}
	}
	return slices.Clip(p), nil
}
