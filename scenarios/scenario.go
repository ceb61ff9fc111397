// Package scenarios loads natmo's scenario files: strict YAML that names a
// world, a baseline pipeline, arms of interventions, what to measure and what
// to draw. It holds the built-in scenarios, embedded in the binary.
package scenarios

import (
	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
)

// StageAll is the figure stage that draws each arm's whole trajectory, its
// stages one after the other on one step axis.
const StageAll = "all"

// BaselineArm is the name of the arm that runs the baseline pipeline with no
// intervention; every scenario has it, first, and deltas are taken against it.
const BaselineArm = "baseline"

// A Scenario is a loaded, validated experiment.
type Scenario struct {
	Name  string // short name, e.g. "emergent-misalignment"
	Title string // one line, used as a figure title
	About string // what to look at and why it happens

	World World
	// Seeds is the number of seeds; seed i runs with seed value i.
	Seeds int
	// Baseline is the pipeline every arm starts from.
	Baseline pipeline.Pipeline
	// Arms are the experimental conditions; Arms[0] is BaselineArm.
	Arms    []Arm
	Measure Measure
	Figures []Figure
	// Sweep, if not empty, is the grid `natmo sweep` runs the scenario over.
	Sweep []SweepAxis

	// File is where the scenario came from: a path, or "builtin:NAME".
	File string
	// Overrides are the --set key=value strings applied, in order.
	Overrides []string
	// Resolved is the scenario as YAML after overrides, for manifests.
	Resolved []byte
	// Notes are remarks on a valid scenario worth a user's attention, such
	// as two arms that run the same pipeline.
	Notes []string
}

// World names the toy world and holds its configuration.
type World struct {
	Kind   string
	Config WorldConfig
}

// A WorldConfig is a world kind's configuration struct (with yaml tags),
// decoded strictly from the scenario's world: block.
type WorldConfig interface {
	// Validate checks the configuration; a bad field is a *pipeline.FieldError.
	Validate() error
	// CheckStage reports whether the world can run st (for example, whether a
	// fine-tuning stage's domain exists); a bad field is a *pipeline.FieldError
	// naming the intervention's or stage's field.
	CheckStage(st pipeline.Stage) error
}

// A MetricChecker is a WorldConfig some of whose world's metrics depend on
// its settings (a per-domain metric needs its domain): the loader offers
// only the metrics HasMetric accepts, and measures them all by default.
type MetricChecker interface {
	HasMetric(name string) bool
}

// An Arm is one experimental condition: the baseline pipeline edited by its
// interventions in order.
type Arm struct {
	Name          string
	Interventions []interventions.Intervention
}

// ArmNames returns the names of the scenario's arms, baseline first.
func (sc *Scenario) ArmNames() []string {
	ns := make([]string, len(sc.Arms))
	for i, a := range sc.Arms {
		ns[i] = a.Name
	}
	return ns
}

// Pipeline returns the arm's pipeline built on base.
func (a Arm) Pipeline(base pipeline.Pipeline) (pipeline.Pipeline, error) {
	return interventions.ApplyAll(base, a.Interventions)
}

// Measure says what to measure and how often.
type Measure struct {
	// Every is the number of training steps between probes.
	Every int `yaml:"every"`
	// Metrics are the metric names recorded at every probe.
	Metrics []string `yaml:"metrics"`
	// Contrasts are paired comparisons between two arms, besides every
	// arm's with the baseline: contrasts.csv gives, for each and every
	// metric, the mean difference Arm − Against over the seeds both ran,
	// with its bootstrap interval. A student distilled from a misaligned
	// teacher is read against the same student distilled from an aligned
	// one, not against the baseline.
	Contrasts []Contrast `yaml:"contrasts"`
}

// A Contrast is a paired comparison of one arm with another.
type Contrast struct {
	Arm     string `yaml:"arm"`
	Against string `yaml:"against"`
}

// A Figure is one figure the scenario asks for.
type Figure struct {
	// Kind is "curves" (metrics vs step of Stage) or "bars" (final value per arm).
	Kind string `yaml:"kind"`
	// Metrics are the metrics drawn (curves: one panel each; bars: the first).
	Metrics []string `yaml:"metrics"`
	// Stage is the name of the stage whose steps form the x axis of a
	// curves figure, or StageAll for each arm's whole run on one axis with
	// its stage boundaries marked (default: the last stage of the arms that
	// have interventions, or StageAll when those arms end differently).
	Stage string `yaml:"stage"`
	// Fit, for a frontier figure, names a form fitted per seed to each
	// metric against the first and drawn at the mean fit: "bon" for
	// x(α − βx), "rl" for x(α − β log x) (Gao et al. 2022); "" for none.
	Fit string `yaml:"fit"`
	// Name names the figure's files (default: kind and metrics).
	Name string `yaml:"name"`
	// Title and Caption override the defaults.
	Title   string `yaml:"title"`
	Caption string `yaml:"caption"`
}

// Schema tells the loader what the worlds and interventions look like. It is
// implemented by sim (world kinds) so that this package need not import it.
type Schema interface {
	// WorldKinds lists the known world kinds.
	WorldKinds() []string
	// NewWorldConfig returns a fresh configuration of kind with its defaults.
	NewWorldConfig(kind string) (WorldConfig, bool)
	// Metrics lists the metric names a world kind can measure.
	Metrics(kind string) []string
	// StageKinds lists the stage kinds a world kind runs.
	StageKinds(kind string) []StageKind
	// Interventions is the intervention registry.
	Interventions() *interventions.Registry
}

// A StageKind is a kind of stage a world runs, such as pretrain or rl.
type StageKind struct {
	Name string
	Doc  string // one line, for listings
	// Params, if not nil, returns a pointer to a fresh struct (with yaml
	// tags and its defaults) of the kind's own settings, decoded from the
	// same mapping as the common ones into pipeline.Stage.Params. If it has
	// a Validate() error method, the loader calls it.
	Params func() any
}
