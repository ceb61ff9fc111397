// Package sim holds natmo's toy worlds (the data and rewards they generate,
// their monitors, metrics and readouts) and the runner that trains every
// (seed, arm) of a scenario on a worker pool and writes the results.
package sim

import (
	"context"
	"math/rand/v2"
	"sort"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
)

// A Model is a world's trainable policy.
type Model interface {
	// Clone returns a deep copy, so that arms can fork a shared prefix.
	Clone() Model
}

// A World generates what a pipeline trains on and measures the result. One
// World value is built per seed; it must be safe to use from one goroutine
// at a time per Model (the runner never shares a Model between goroutines).
type World interface {
	// NewModel returns a freshly initialised policy.
	NewModel(rng *rand.Rand) (Model, error)
	// Run trains m through the stage st. It calls probe at step 0, every
	// `every` steps and after the last step.
	Run(ctx context.Context, m Model, st pipeline.Stage, s Streams, every int, probe pipeline.Probe) error
	// Measure writes into out the value of each named metric on m.
	Measure(m Model, metrics []string, out []float64) error
}

// A Metric is a measurement a world offers.
type Metric struct {
	Name string
	Doc  string
}

// A Kind is a registered world kind.
type Kind struct {
	Name string
	Doc  string
	// NewConfig returns a configuration with its defaults filled in.
	NewConfig func() scenarios.WorldConfig
	Metrics   []Metric
	// New builds the world for one seed; s.Rand("world") is its own stream.
	New func(cfg scenarios.WorldConfig, s Streams) (World, error)
}

// Kinds returns the built-in world kinds by name.
func Kinds() map[string]Kind {
	ks := map[string]Kind{}
	for _, k := range []Kind{personaKind(), cotKind()} {
		ks[k.Name] = k
	}
	return ks
}

// schema implements scenarios.Schema over the built-in kinds.
type schema struct {
	kinds map[string]Kind
	ivs   *interventions.Registry
}

// Schema returns the scenario schema of the built-in worlds and interventions.
func Schema() scenarios.Schema {
	return &schema{kinds: Kinds(), ivs: interventions.Default()}
}

func (s *schema) WorldKinds() []string {
	var ns []string
	for n := range s.kinds {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

func (s *schema) NewWorldConfig(kind string) (scenarios.WorldConfig, bool) {
	k, ok := s.kinds[kind]
	if !ok {
		return nil, false
	}
	return k.NewConfig(), true
}

func (s *schema) Metrics(kind string) []string {
	var ns []string
	for _, m := range s.kinds[kind].Metrics {
		ns = append(ns, m.Name)
	}
	return ns
}

func (s *schema) Interventions() *interventions.Registry { return s.ivs }
