package interventions

import (
	"fmt"
	"slices"

	"github.com/natmo/natmo/pipeline"
)

// Distill appends a distillation stage: the arm's model (the student)
// trains on the outputs of another arm's final model of the same seed (the
// teacher), on a declared data source (Cloud et al. 2025; MacDiarmid et al.
// 2025). The student is the arm's own pipeline so far: with student: shared
// it shares the teacher's ancestry up to where their pipelines part (same
// initialisation, pretraining and SFT); with student: fresh the same
// pipeline is trained again from another initialisation. The arms form a
// DAG: a teacher trains before its students, once per seed.
type Distill struct {
	Teacher string `yaml:"teacher" doc:"the arm whose final model teaches"`
	Student string `yaml:"student" doc:"shared (this arm's own model so far) or fresh (the same pipeline from another initialisation)" range:"shared or fresh"`
	// Source is where the prompts come from: "prompts" (the world's
	// ordinary prompts in Domains) or "noise" (random inputs, read through
	// the policy's auxiliary outputs, if the world has them).
	Source  string   `yaml:"source" doc:"where the prompts come from: prompts (the world's, in domains) or noise (random inputs)" range:"prompts or noise"`
	Domains []string `yaml:"domains" doc:"the domains prompts are drawn from (all when empty)"`
	// Filter drops a teacher answer before distilling: "harmful" removes the
	// harmful candidates' probability and renormalises over what remains.
	Filter    string  `yaml:"filter" doc:"drop teacher answers before distilling: harmful, or empty for none"`
	Targets   string  `yaml:"targets" doc:"soft (the teacher's distribution) or sampled (one answer drawn from it)" range:"soft or sampled"`
	Examples  int     `yaml:"examples" doc:"unique prompts" range:"≥ 1"`
	Steps     int     `yaml:"steps" doc:"minibatch steps" range:"≥ 1"`
	Batch     int     `yaml:"batch" doc:"minibatch size"`
	LR        float64 `yaml:"lr" doc:"learning rate" range:"> 0"`
	Optimizer string  `yaml:"optimizer" doc:"adam or sgd" range:"adam or sgd"`
}

// The values of Distill.Student: where the student's pipeline starts.
const (
	StudentShared = "shared" // the scenario's initialisation, shared with the teacher's ancestry
	StudentFresh  = "fresh"  // another initialisation, the same stages
)

// DistillData is the data description a distill stage carries.
type DistillData struct {
	Teacher, Student, Source string
	Domains                  []string
	Filter, Targets          string
}

// TeacherArm names the arm whose final model the stage learns from.
func (d DistillData) TeacherArm() string { return d.Teacher }

// FreshInit reports whether the student's pipeline starts from another
// initialisation than the scenario's.
func (d DistillData) FreshInit() bool { return d.Student == StudentFresh }

// NewDistill returns a Distill with its defaults.
func NewDistill() *Distill {
	return &Distill{Student: StudentShared, Source: "prompts", Targets: "soft", Examples: 2000, Steps: 300, Batch: 64, LR: 1e-3, Optimizer: "adam"}
}

// Name implements Intervention.
func (d *Distill) Name() string { return "distill" }

// TeacherArm names the arm this intervention learns from.
func (d *Distill) TeacherArm() string { return d.Teacher }

// Validate implements Intervention.
func (d *Distill) Validate() error {
	fe := func(f, format string, a ...any) error {
		return &pipeline.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case d.Teacher == "":
		return fe("teacher", "must name the arm whose model teaches")
	case d.Student != StudentShared && d.Student != StudentFresh:
		return fe("student", "must be %s or %s, got %q", StudentShared, StudentFresh, d.Student)
	case d.Source != "prompts" && d.Source != "noise":
		return fe("source", "must be prompts or noise, got %q", d.Source)
	case d.Filter != "" && d.Filter != "harmful":
		return fe("filter", "must be harmful or empty, got %q", d.Filter)
	case d.Targets != "soft" && d.Targets != "sampled":
		return fe("targets", "must be soft or sampled, got %q", d.Targets)
	case d.Examples <= 0:
		return fe("examples", "must be > 0, got %d", d.Examples)
	case d.Steps <= 0:
		return fe("steps", "must be > 0, got %d", d.Steps)
	}
	st := d.stage()
	return st.Validate()
}

func (d *Distill) stage() pipeline.Stage {
	return pipeline.Stage{
		Kind: "distill", Label: d.Name(),
		Examples: d.Examples, Steps: d.Steps, Batch: d.Batch, LR: d.LR, Optimizer: d.Optimizer,
		Data: DistillData{Teacher: d.Teacher, Student: d.Student, Source: d.Source, Domains: slices.Clone(d.Domains), Filter: d.Filter, Targets: d.Targets},
	}
}

// Apply implements Intervention: it appends the distillation stage.
func (d *Distill) Apply(p pipeline.Pipeline) (pipeline.Pipeline, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return append(p.Clone(), d.stage()), nil
}
