package sim

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/natmo/natmo/scenarios"
)

// A Footprinter is a world configuration that can say how large its models
// and data are, for the memory estimate natmo makes before a run starts.
type Footprinter interface {
	Footprint() Footprint
}

// A Footprint is the sizes behind a world's memory use.
type Footprint struct {
	Params        int // parameters of one model
	ExampleFloats int // floats of one generated training example
	FixedFloats   int // floats a seed holds throughout: evaluation sets, a monitor's data
	ModelFloats   int // floats each model holds beside its parameters: what it keeps of its evaluation passes

	// The world's settings that make models and the fixed data large, named
	// in the advice of a MemoryError (empty: "world.hidden" and
	// "world.eval_examples").
	ModelSetting, FixedSetting string
}

// Bytes a run's memory estimate counts.
const (
	// bytesPerParam: a float64 weight, its gradient and Adam's two moments.
	bytesPerParam = 4 * 8
	bytesPerFloat = 8
	// baseBytes is the program itself and its bookkeeping.
	baseBytes = 256 << 20
	// fallbackMemory is assumed when the machine's memory cannot be read.
	fallbackMemory = 24 << 30
)

// A MemoryEstimate is what a run of a scenario needs, by a simple count:
//
//	bytes = base + workers × (copies × (params × 32 B + model floats × 8 B) + examples × floats × 8 B + fixed floats × 8 B)
//
// with workers the seeds trained at once, copies the models a seed holds at
// once (one per arm, and the one in training), params a model's parameters
// (each a float64 with its gradient and two Adam moments), model floats
// what a model keeps beside them (its evaluation passes), examples the
// largest stage's dataset, and fixed floats the evaluation sets. It counts
// what grows with the settings, not every allocation, and is meant to stop
// a run that cannot fit, not to budget one that can.
type MemoryEstimate struct {
	Workers             int
	Models, Data, Fixed float64 // bytes per seed
	Total               float64
	DataSetting         string // the setting behind the largest dataset
	Examples, Width     int    // that dataset's examples, and floats per example
	ModelSetting        string // the world's setting behind a model's size
	FixedSetting        string // the world's setting behind the fixed data
}

// EstimateMemory estimates the memory of running sc with workers seeds at
// once. ok is false when the world cannot say its sizes.
func EstimateMemory(sc *scenarios.Scenario, workers int) (est MemoryEstimate, ok bool) {
	fp, ok := sc.World.Config.(Footprinter)
	if !ok {
		return est, false
	}
	f := fp.Footprint()
	est.Workers = max(1, min(workers, sc.Seeds))
	copies := float64(len(sc.Arms) + 1)
	est.Models = copies * (float64(f.Params)*bytesPerParam + float64(f.ModelFloats)*bytesPerFloat)
	maxEx := 0
	for i, st := range sc.Baseline {
		if st.Examples > maxEx {
			maxEx, est.DataSetting = st.Examples, fmt.Sprintf("baseline.%d.%s.examples", i, st.Kind)
		}
	}
	for _, a := range sc.Arms {
		p, err := a.Pipeline(sc.Baseline)
		if err != nil {
			continue
		}
		for _, st := range p {
			if st.Examples > maxEx {
				maxEx, est.DataSetting = st.Examples, fmt.Sprintf("the examples of arm %s's %s stage", a.Name, st.Kind)
			}
		}
	}
	est.Examples, est.Width = maxEx, f.ExampleFloats
	est.ModelSetting, est.FixedSetting = cmp.Or(f.ModelSetting, "world.hidden"), cmp.Or(f.FixedSetting, "world.eval_examples")
	est.Data = float64(maxEx) * float64(f.ExampleFloats) * bytesPerFloat
	est.Fixed = float64(f.FixedFloats) * bytesPerFloat
	est.Total = baseBytes + float64(est.Workers)*(est.Models+est.Data+est.Fixed)
	return est, true
}

// A MemoryError reports a run that would not fit in the machine's memory.
type MemoryError struct {
	Est  MemoryEstimate
	Have float64 // bytes of memory the machine has
}

func (e *MemoryError) Error() string {
	est := e.Est
	lower := "the world's model size (" + est.ModelSetting + ")"
	switch {
	case est.Data >= est.Models && est.Data >= est.Fixed:
		lower = fmt.Sprintf("%s (%d examples of %d floats each: the world's prompt width counts too)", est.DataSetting, est.Examples, est.Width)
	case est.Fixed >= est.Models:
		lower = "the world's evaluation sets (" + est.FixedSetting + ")"
	}
	if est.Workers > 1 {
		lower += fmt.Sprintf(", or --workers (now %d)", est.Workers)
	}
	return fmt.Sprintf("this run needs about %s of memory (%d seeds at once × (models %s + data %s + evaluation %s)), more than this machine's %s; lower %s",
		gib(est.Total), est.Workers, gib(est.Models), gib(est.Data), gib(est.Fixed), gib(e.Have), lower)
}

func gib(b float64) string { return fmt.Sprintf("%.1f GiB", b/(1<<30)) }

// CheckMemory returns a *MemoryError if running sc with workers seeds at
// once would need more memory than the machine has (MemTotal of
// /proc/meminfo, or 24 GiB where that cannot be read).
func CheckMemory(sc *scenarios.Scenario, workers int) error {
	est, ok := EstimateMemory(sc, workers)
	if !ok {
		return nil
	}
	if have := machineMemory(); est.Total > have {
		return &MemoryError{Est: est, Have: have}
	}
	return nil
}

// machineMemory is the machine's memory in bytes.
func machineMemory() float64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return fallbackMemory
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err == nil && kb > 0 {
				return kb * 1024
			}
		}
	}
	return fallbackMemory
}
