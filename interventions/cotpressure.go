package interventions

import (
	"fmt"

	"github.com/natmo/natmo/pipeline"
)

// CoTPressure puts a chain-of-thought monitor's verdict into the RL reward
// (Baker et al. 2025): from step From of every rl stage, an episode the
// monitor flags loses Weight. It only sets numbers on the rl stages; what the
// policy does about the penalty is left to the policy gradient.
type CoTPressure struct {
	Weight float64 `yaml:"weight" doc:"penalty for a flagged episode, in units of the task reward" range:"[0, 1e6]"`
	From   int     `yaml:"from" doc:"first RL step (1-based) that pays the penalty; 0 = from the start" range:"≥ 0"`
	// Monitor is the monitor whose flag is penalised: "cot" reads only the
	// chain of thought; "action" flags a hack from the action alone, with the
	// world's detectability q; "cot+action" flags what either would.
	Monitor string `yaml:"monitor" doc:"the monitor whose flag is penalised: cot (the chain of thought), action (the action alone) or cot+action (either)"`
}

// CoTPressureData is the monitor penalty an rl stage carries in its Data.
// A world that runs RL against a monitor reads it; nil Data means no penalty.
type CoTPressureData struct {
	Weight  float64
	From    int
	Monitor string // "cot", "action" or "cot+action"
}

// Monitor names accepted by CoTPressure.
const (
	MonitorCoT       = "cot"
	MonitorAction    = "action"
	MonitorCoTAction = "cot+action"
)

// NewCoTPressure returns a CoTPressure with its defaults: weight 1 from the
// first step, against the chain-of-thought monitor.
func NewCoTPressure() *CoTPressure {
	return &CoTPressure{Weight: 1, Monitor: MonitorCoT}
}

// Name implements Intervention.
func (c *CoTPressure) Name() string { return "cot-pressure" }

// Validate implements Intervention.
func (c *CoTPressure) Validate() error {
	switch {
	case !(c.Weight >= 0) || c.Weight > 1e6:
		return &pipeline.FieldError{Field: "weight", Msg: fmt.Sprintf("must be a number ≥ 0, got %v", c.Weight)}
	case c.From < 0:
		return &pipeline.FieldError{Field: "from", Msg: fmt.Sprintf("must be ≥ 0, got %d", c.From)}
	case c.Monitor != MonitorCoT && c.Monitor != MonitorAction && c.Monitor != MonitorCoTAction:
		return &pipeline.FieldError{Field: "monitor", Msg: fmt.Sprintf("must be %q, %q or %q, got %q", MonitorCoT, MonitorAction, MonitorCoTAction, c.Monitor)}
	}
	return nil
}

// Apply implements Intervention: every rl stage of p gets the penalty.
func (c *CoTPressure) Apply(p pipeline.Pipeline) (pipeline.Pipeline, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	q := p.Clone()
	n := 0
	for i := range q {
		if q[i].Kind != "rl" {
			continue
		}
		if q[i].Data != nil {
			if _, ok := q[i].Data.(CoTPressureData); !ok {
				return nil, fmt.Errorf("rl stage %d already carries %T data", i, q[i].Data)
			}
		}
		q[i].Data = CoTPressureData{Weight: c.Weight, From: c.From, Monitor: c.Monitor}
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("the pipeline has no rl stage to put monitor pressure on")
	}
	return q, nil
}
