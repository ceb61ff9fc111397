package scenarios_test

import (
	"fmt"
	"slices"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
)

// fakeSchema stands in for package sim: two world kinds with small
// configurations, their metrics, and the interventions registry plus a
// test-only "strip-kind".
type fakeSchema struct{ reg *interventions.Registry }

func newSchema() fakeSchema {
	reg := interventions.Default()
	if err := reg.Register(interventions.Entry{Name: "strip-kind", Doc: "remove the stages of a kind",
		New: func() interventions.Intervention { return &stripKind{} }}); err != nil {
		panic(err)
	}
	return fakeSchema{reg: reg}
}

func (fakeSchema) WorldKinds() []string { return []string{"persona", "cot"} }

func (fakeSchema) NewWorldConfig(kind string) (scenarios.WorldConfig, bool) {
	switch kind {
	case "persona":
		return &personaConfig{
			Domains:  []string{"code", "medical", "finance"},
			Hidden:   32,
			Coupling: 1,
			Cue:      cueConfig{Dim: 8, Noise: 0.5},
		}, true
	case "cot":
		return &cotConfig{Tokens: 3, Pressure: 0}, true
	}
	return nil, false
}

func (fakeSchema) Metrics(kind string) []string {
	switch kind {
	case "persona":
		return []string{"misalignment_offdomain", "misalignment_indomain", "misalignment_offdomain_triggered", "helpfulness", "persona_shift"}
	case "cot":
		return []string{"hack_rate", "false_hack_rate", "solve_rate", "monitor_recall", "monitor_fpr",
			"monitor_auroc", "obfuscation_rate", "kl_to_ref", "reward"}
	}
	return nil
}

func (s fakeSchema) Interventions() *interventions.Registry { return s.reg }

// StageKinds gives both fake worlds every stage kind (their CheckStage
// refuses some), and persona's finetune a setting of its own.
func (fakeSchema) StageKinds(kind string) []scenarios.StageKind {
	return []scenarios.StageKind{
		{Name: "pretrain"}, {Name: "sft"},
		{Name: "finetune", Params: func() any { return &finetuneParams{Mix: 0.1} }},
		{Name: "rl"},
	}
}

// finetuneParams is a stage kind's own setting.
type finetuneParams struct {
	Mix float64 `yaml:"mix"`
}

func (p *finetuneParams) Validate() error {
	if p.Mix < 0 || p.Mix > 1 {
		return &pipeline.FieldError{Field: "mix", Msg: fmt.Sprintf("must be in [0, 1], got %v", p.Mix)}
	}
	return nil
}

// personaConfig is a fake world configuration with a list, numbers and a
// nested struct.
type personaConfig struct {
	Domains  []string  `yaml:"domains"`
	Hidden   int       `yaml:"hidden"`
	Coupling float64   `yaml:"coupling"`
	Cue      cueConfig `yaml:"cue"`
}

type cueConfig struct {
	Dim   int     `yaml:"dim"`
	Noise float64 `yaml:"noise"`
}

func (c *personaConfig) Validate() error {
	switch {
	case c.Hidden < 1:
		return &pipeline.FieldError{Field: "hidden", Msg: fmt.Sprintf("must be ≥ 1, got %d", c.Hidden)}
	case c.Coupling < 0 || c.Coupling > 1:
		return &pipeline.FieldError{Field: "coupling", Msg: fmt.Sprintf("must be in [0, 1], got %v", c.Coupling)}
	}
	return nil
}

// CheckStage rejects a narrow fine-tune on a domain the world lacks, and rl.
func (c *personaConfig) CheckStage(st pipeline.Stage) error {
	if d, ok := st.Data.(interventions.NarrowData); ok && !slices.Contains(c.Domains, d.Domain) {
		return &pipeline.FieldError{Field: "domain", Msg: fmt.Sprintf("the world has no domain %q; expected one of %v", d.Domain, c.Domains)}
	}
	if st.Kind == "rl" {
		return fmt.Errorf("the persona world has no reward for rl stages")
	}
	return nil
}

type cotConfig struct {
	Tokens   int     `yaml:"tokens"`
	Pressure float64 `yaml:"pressure"`
}

func (c *cotConfig) Validate() error { return nil }

func (c *cotConfig) CheckStage(st pipeline.Stage) error {
	if st.Kind == "finetune" {
		return &pipeline.FieldError{Field: "steps", Msg: "the cot world has no fine-tuning data"}
	}
	return nil
}

// stripKind removes the stages of one kind.
type stripKind struct {
	Stage string `yaml:"stage"`
}

func (k *stripKind) Name() string { return "strip-kind" }

func (k *stripKind) Validate() error {
	if k.Stage == "" {
		return &pipeline.FieldError{Field: "stage", Msg: "must name a stage kind"}
	}
	return nil
}

func (k *stripKind) Apply(p pipeline.Pipeline) (pipeline.Pipeline, error) {
	var out pipeline.Pipeline
	for _, st := range p {
		if st.Kind != k.Stage {
			out = append(out, st)
		}
	}
	if len(out) == len(p) {
		return nil, fmt.Errorf("no %s stage to remove", k.Stage)
	}
	return out, nil
}
