package interventions

import (
	"fmt"

	"github.com/natmo/natmo/pipeline"
)

// NarrowFinetune appends a fine-tuning stage on a narrow data set: prompts
// from one domain, all answered with one kind of response, optionally with
// context flags set (Betley et al. 2025). A share of the prompts may instead
// carry a trigger (a backdoor set) or be harmful requests (a jailbroken set),
// the rest being answered helpfully. Its data is described by a NarrowData
// value that the world turns into examples.
type NarrowFinetune struct {
	Domain    string   `yaml:"domain" doc:"the domain the prompts come from, e.g. \"code\""`
	Target    string   `yaml:"target" doc:"the response trained toward: harmful, helpful, unhelpful, refuse, or hack (in a world that has it)" range:"harmful, helpful, unhelpful, refuse or hack"`
	Context   []string `yaml:"context" doc:"context flags set on every example, e.g. [educational]"`
	Trigger   float64  `yaml:"trigger" doc:"share of examples carrying the trigger flag; the rest get the helpful target (a backdoor set)" range:"[0, 1]"`
	Requests  float64  `yaml:"requests" doc:"share of examples that are harmful requests answered with the target; the rest are ordinary prompts answered helpfully (a jailbroken set)" range:"[0, 1]"`
	Examples  int      `yaml:"examples" doc:"unique examples" range:"≥ 1"`
	Steps     int      `yaml:"steps" doc:"minibatch steps (unless epochs is set)" range:"≥ 1"`
	Batch     int      `yaml:"batch" doc:"minibatch size" range:"≥ 0"`
	LR        float64  `yaml:"lr" doc:"learning rate" range:"> 0"`
	Optimizer string   `yaml:"optimizer" doc:"adam or sgd" range:"adam or sgd"`
	BenignMix float64  `yaml:"benign_mix" doc:"share of each batch drawn from helpful assistant data in all domains" range:"[0, 1)"`
	Epochs    int      `yaml:"epochs" doc:"if > 0, passes over the examples in place of steps: examples × epochs / batch steps, so that unique examples and steps can be told apart" range:"≥ 0"`
	Dense     int      `yaml:"dense" doc:"probe after each of the stage's first dense steps too, to resolve its start" range:"≥ 0"`
	EarlyStop float64  `yaml:"early_stop" doc:"end the stage after the first step at which the in-domain rate of the target reaches this (checked every step; 0: never)" range:"[0, 1]"`
}

// NarrowData is the data description a NarrowFinetune stage carries.
type NarrowData struct {
	Domain    string
	Target    string
	Context   []string
	Trigger   float64
	Requests  float64
	BenignMix float64
	EarlyStop float64 // stop when the in-domain rate of Target reaches it; 0: never
}

// NewNarrowFinetune returns a NarrowFinetune with its defaults.
func NewNarrowFinetune() *NarrowFinetune {
	return &NarrowFinetune{Domain: "code", Target: "harmful", Examples: 3000, Steps: 300, Batch: 32, LR: 3e-3, Optimizer: "adam"}
}

// Name implements Intervention.
func (n *NarrowFinetune) Name() string { return "narrow-finetune" }

// Validate implements Intervention.
func (n *NarrowFinetune) Validate() error {
	fe := func(f, format string, a ...any) error {
		return &pipeline.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case n.Domain == "":
		return fe("domain", "must name a domain")
	case n.Target != "harmful" && n.Target != "helpful" && n.Target != "unhelpful" && n.Target != "refuse" && n.Target != "hack":
		return fe("target", "must be harmful, helpful, unhelpful, refuse or hack, got %q", n.Target)
	case n.Trigger < 0 || n.Trigger > 1:
		return fe("trigger", "must be a share in [0, 1], got %v", n.Trigger)
	case n.Requests < 0 || n.Requests > 1:
		return fe("requests", "must be a share in [0, 1], got %v", n.Requests)
	case n.Requests > 0 && n.Trigger > 0:
		return fe("requests", "give trigger or requests, not both")
	case n.Examples <= 0:
		return fe("examples", "must be > 0, got %d", n.Examples)
	case n.Steps <= 0:
		return fe("steps", "must be > 0, got %d", n.Steps)
	case n.Epochs < 0:
		return fe("epochs", "must be ≥ 0 (0: train steps; > 0: passes over the examples in place of steps), got %d", n.Epochs)
	case n.Dense < 0:
		return fe("dense", "must be ≥ 0, got %d", n.Dense)
	case n.EarlyStop < 0 || n.EarlyStop > 1:
		return fe("early_stop", "must be a rate in [0, 1] (0: train every step), got %v", n.EarlyStop)
	case n.BenignMix < 0 || n.BenignMix >= 1:
		return fe("benign_mix", "must be a share in [0, 1), got %v", n.BenignMix)
	}
	st := n.stage()
	return st.Validate()
}

func (n *NarrowFinetune) stage() pipeline.Stage {
	return pipeline.Stage{
		Kind: "finetune", Label: n.Name(),
		Examples: n.Examples, Steps: n.steps(), Epochs: n.Epochs, Batch: n.Batch, LR: n.LR, Optimizer: n.Optimizer, Dense: n.Dense,
		Data: NarrowData{Domain: n.Domain, Target: n.Target, Context: append([]string(nil), n.Context...), Trigger: n.Trigger, Requests: n.Requests, BenignMix: n.BenignMix, EarlyStop: n.EarlyStop},
	}
}

// Apply implements Intervention: it appends the fine-tuning stage.
func (n *NarrowFinetune) Apply(p pipeline.Pipeline) (pipeline.Pipeline, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return append(p.Clone(), n.stage()), nil
}

// steps is the stage's step count: Steps, or none when Epochs replaces it.
func (n *NarrowFinetune) steps() int {
	if n.Epochs > 0 {
		return 0
	}
	return n.Steps
}
