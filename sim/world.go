// Package sim runs natmo's scenarios: it trains every (seed, arm) of a
// scenario on a worker pool, sharing the arms' common prefixes of stages,
// probes the metrics, and writes the results. The toy worlds live in
// packages of their own under sim (one folder a world); this package defines
// what a world is (World, Kind) and holds a Registry of them, but names none.
package sim

import (
	"context"
	"fmt"
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
	// `every` steps and after the last step. s gives the stage's random
	// streams, keyed by the stage's name.
	Run(ctx context.Context, m Model, st pipeline.Stage, s Streams, every int, probe pipeline.Probe) error
	// Measure writes into out the value of each named metric on m.
	Measure(m Model, metrics []string, out []float64) error
}

// A PartialWorld is a World some of whose metrics can have no value at a
// probe: a rate whose condition never occurred, such as a monitor's recall
// when the policy never hacks. The runner records such a value as missing —
// no record in metrics.csv, so no summary row or figure point comes from it
// — never as a number standing in for it.
type PartialWorld interface {
	World
	// MeasurePartial is Measure that also sets ok[i] to whether metrics[i]
	// has a value; out[i] means nothing where ok[i] is false.
	MeasurePartial(m Model, metrics []string, out []float64, ok []bool) error
}

// A Config is a world's configuration that can build the world: a
// scenario's world config (scenarios.WorldConfig) that a world package
// defines implements it, so the runner needs no registry to run a loaded
// scenario.
type Config interface {
	scenarios.WorldConfig
	// NewWorld builds the world for one seed; s.Rand("world") is its own
	// stream (s.Stage is "").
	NewWorld(s Streams) (World, error)
}

// A Metric is a measurement a world offers.
type Metric struct {
	Name string
	// Doc says in a sentence what the metric measures.
	Doc string
	// Label names it on a figure's axis and in a report, in a few words
	// ("P(harmful), other domains"); empty means Name.
	Label string
}

// Labels returns the label of every metric of the registry's world kinds,
// by metric name (a metric's name is its label where it has none).
func (r *Registry) Labels() map[string]string {
	out := map[string]string{}
	for _, n := range r.Names() {
		for _, m := range r.kinds[n].Metrics {
			if m.Label != "" {
				out[m.Name] = m.Label
			}
		}
	}
	return out
}

// A Kind describes a world kind to the loader and to listings.
type Kind struct {
	Name string
	Doc  string
	// NewConfig returns a configuration with its defaults filled in.
	NewConfig func() Config
	Metrics   []Metric
	// Stages are the stage kinds the world runs.
	Stages []scenarios.StageKind
}

// A Registry holds world kinds by name, and the interventions scenarios may
// use on them. The zero value is empty; sim/worlds assembles the built-in one.
type Registry struct {
	kinds map[string]Kind
	ivs   *interventions.Registry
}

// NewRegistry returns a registry of the given interventions and no worlds.
func NewRegistry(ivs *interventions.Registry) *Registry {
	return &Registry{kinds: map[string]Kind{}, ivs: ivs}
}

// Register adds k, or reports a duplicate or incomplete kind.
func (r *Registry) Register(k Kind) error {
	if r.kinds == nil {
		r.kinds = map[string]Kind{}
	}
	switch {
	case k.Name == "" || k.NewConfig == nil:
		return fmt.Errorf("world kind %q: a kind needs a name and NewConfig", k.Name)
	case r.kinds[k.Name].Name != "":
		return fmt.Errorf("world kind %q registered twice", k.Name)
	}
	r.kinds[k.Name] = k
	return nil
}

// Lookup returns the kind called name.
func (r *Registry) Lookup(name string) (Kind, bool) {
	k, ok := r.kinds[name]
	return k, ok
}

// Names returns the registered kinds' names, sorted.
func (r *Registry) Names() []string {
	var ns []string
	for n := range r.kinds {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// Interventions returns the intervention registry.
func (r *Registry) Interventions() *interventions.Registry { return r.ivs }

// Schema returns the scenario schema of the registry's worlds and
// interventions, for scenarios.Load.
func (r *Registry) Schema() scenarios.Schema { return schema{r} }

// schema implements scenarios.Schema over a Registry.
type schema struct{ r *Registry }

func (s schema) WorldKinds() []string { return s.r.Names() }

func (s schema) NewWorldConfig(kind string) (scenarios.WorldConfig, bool) {
	k, ok := s.r.kinds[kind]
	if !ok {
		return nil, false
	}
	return k.NewConfig(), true
}

func (s schema) Metrics(kind string) []string {
	var ns []string
	for _, m := range s.r.kinds[kind].Metrics {
		ns = append(ns, m.Name)
	}
	return ns
}

func (s schema) StageKinds(kind string) []scenarios.StageKind {
	return s.r.kinds[kind].Stages
}

func (s schema) Interventions() *interventions.Registry {
	if s.r.ivs == nil {
		return &interventions.Registry{}
	}
	return s.r.ivs
}
