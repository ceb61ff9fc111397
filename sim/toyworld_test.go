package sim

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
)

// The runner's own tests run on a toy world, so that they depend on no
// real world: a model is a number w; each step of a "train" stage moves it
// toward a noisy target, w ← w + lr·(target + noise·ε − w); the metrics are
// w and w².

type toyConfig struct {
	Target float64 `yaml:"target"`
	Noise  float64 `yaml:"noise"`
	Fail   bool    `yaml:"fail"` // a stage of lr > 1 diverges (for failure tests)
	// FailSeed limits Fail to one seed (-1: every seed), so that a seed of
	// an arm fails and the arm's other seeds do not.
	FailSeed int `yaml:"fail_seed"`
}

func (c *toyConfig) Validate() error {
	if c.Noise < 0 {
		return &pipeline.FieldError{Field: "noise", Msg: "must be ≥ 0"}
	}
	return nil
}

func (c *toyConfig) CheckStage(st pipeline.Stage) error {
	if st.Steps <= 0 {
		return &pipeline.FieldError{Field: "steps", Msg: "must be > 0"}
	}
	return nil
}

func (c *toyConfig) NewWorld(s Streams) (World, error) {
	return &toyWorld{cfg: *c, offset: s.Rand("world").Float64(), seed: s.Seed}, nil
}

type toyWorld struct {
	cfg    toyConfig
	offset float64
	seed   uint64
}

type toyModel struct{ w float64 }

func (m *toyModel) Clone() Model { c := *m; return &c }

func (w *toyWorld) NewModel(rng *rand.Rand) (Model, error) {
	return &toyModel{w: rng.NormFloat64()}, nil
}

func (w *toyWorld) Run(ctx context.Context, m Model, st pipeline.Stage, s Streams, every int, probe pipeline.Probe) error {
	tm := m.(*toyModel)
	rng := s.Rand("data")
	if err := probe(0); err != nil {
		return err
	}
	for step := 1; step <= st.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		tm.w += st.LR * (w.cfg.Target + w.offset + w.cfg.Noise*rng.NormFloat64() - tm.w)
		if w.cfg.Fail && st.LR > 1 && (w.cfg.FailSeed < 0 || uint64(w.cfg.FailSeed) == w.seed) {
			return &pipeline.DivergedError{Step: step}
		}
		if step%every == 0 || step == st.Steps {
			if err := probe(step); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *toyWorld) Measure(m Model, metrics []string, out []float64) error {
	tm := m.(*toyModel)
	for i, name := range metrics {
		switch name {
		case "w":
			out[i] = tm.w
		case "w2":
			out[i] = tm.w * tm.w
		default:
			return fmt.Errorf("toy world has no metric %q", name)
		}
	}
	return nil
}

// toyRegistry holds the toy world under the kind "toy".
func toyRegistry() *Registry {
	r := NewRegistry(interventions.Default())
	if err := r.Register(Kind{
		Name:      "toy",
		Doc:       "a number pulled toward a noisy target",
		NewConfig: func() Config { return &toyConfig{Target: 1, Noise: 0.5, FailSeed: -1} },
		Metrics:   []Metric{{Name: "w", Doc: "the model's number"}, {Name: "w2", Doc: "its square"}},
		Stages:    []scenarios.StageKind{{Name: "train", Doc: "pull w toward the target"}},
	}); err != nil {
		panic(err)
	}
	return r
}

// toyScenario loads a scenario of the toy world.
func toyScenario(src string, overrides ...string) (*scenarios.Scenario, error) {
	return scenarios.Load("toy.yaml", []byte(src), overrides, toyRegistry().Schema())
}

// RunTeacher pulls the student's number toward the teacher's:
// w ← w + lr·(w_teacher − w).
func (w *toyWorld) RunTeacher(ctx context.Context, m, teacher Model, st pipeline.Stage, s Streams, every int, probe pipeline.Probe) error {
	tm, tt := m.(*toyModel), teacher.(*toyModel)
	if err := probe(0); err != nil {
		return err
	}
	for step := 1; step <= st.Steps; step++ {
		tm.w += st.LR * (tt.w - tm.w)
		if step%every == 0 || step == st.Steps {
			if err := probe(step); err != nil {
				return err
			}
		}
	}
	return nil
}
