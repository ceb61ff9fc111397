package misgeneralisation

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
)

// Kind returns the world kind "misgeneralisation".
func Kind() sim.Kind {
	ms := Metrics()
	labels := map[string]string{
		"train_reward": "reward, training levels", "test_object_rate": "P(reach object), test levels",
		"test_spurious_rate": "P(go to cue), test levels", "object_only_rate": "P(reach object), no cue",
		"object_preference": "object preference (0 cue, 1 object)", "decisiveness": "decisiveness of the choice",
		"goal_object": "prefers the object (0 or 1)",
	}
	sm := make([]sim.Metric, len(ms))
	for i, m := range ms {
		sm[i] = sim.Metric{Name: m.Name, Label: labels[m.Name], Doc: m.Doc}
	}
	return sim.Kind{
		Name:      "misgeneralisation",
		Doc:       "goal misgeneralisation: a capable agent pursuing a cue that stood in for the goal (Langosco et al. 2022)",
		NewConfig: func() sim.Config { return NewConfig() },
		Metrics:   sm,
		Stages: []scenarios.StageKind{
			{Name: "rl", Doc: "REINFORCE on reaching the object in training levels (randomise: share with the object off the cue; no_cue: share without the cue)",
				Params: func() any { return NewStageParams() }},
		},
	}
}

// NewWorld implements sim.Config: it builds the world of one seed, its
// object direction from s.Rand("world") and its evaluation levels from
// s.Rand("eval").
func (c *Config) NewWorld(s sim.Streams) (sim.World, error) {
	w, err := NewWorld(*c, s.Rand("world"), s.Rand("eval"))
	if err != nil {
		return nil, err
	}
	return simWorld{w}, nil
}

// simWorld adapts a World to sim.World.
type simWorld struct{ w *World }

// model adapts an Agent to sim.Model.
type model struct{ a *Agent }

func (m model) Clone() sim.Model { return model{m.a.Clone()} }

// NewModel implements sim.World.
func (s simWorld) NewModel(rng *rand.Rand) (sim.Model, error) {
	a, err := NewAgent(s.w.cfg, rng)
	if err != nil {
		return nil, err
	}
	return model{a}, nil
}

// Run implements sim.World: an rl stage, its training levels from the
// stage's stream "levels" and the agent's choices from "actions".
func (s simWorld) Run(ctx context.Context, m sim.Model, st pipeline.Stage, str sim.Streams, every int, probe pipeline.Probe) error {
	mm, ok := m.(model)
	if !ok {
		return fmt.Errorf("misgeneralisation world: model is %T", m)
	}
	p := NewStageParams()
	if st.Params != nil {
		sp, ok := st.Params.(*StageParams)
		if !ok {
			return fmt.Errorf("misgeneralisation world: stage settings are %T", st.Params)
		}
		p = sp
	}
	if err := s.w.Train(ctx, mm.a, st, p, str.Rand("levels"), str.Rand("actions"), every, probe); err != nil {
		return fmt.Errorf("misgeneralisation world rl: %w", err)
	}
	return nil
}

// Measure implements sim.World.
func (s simWorld) Measure(m sim.Model, metrics []string, out []float64) error {
	mm, ok := m.(model)
	if !ok {
		return fmt.Errorf("misgeneralisation world: model is %T", m)
	}
	return s.w.Measure(mm.a, metrics, out)
}
