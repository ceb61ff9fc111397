package worlds_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
	"github.com/natmo/natmo/sim/worlds"
)

// These tests check the semantics that make a pipeline edit honest: an
// edited arm computes what a scenario written with its pipeline as the
// baseline computes, and an edit of one arm changes no other arm's bytes.

func load(t *testing.T, src string, sets ...string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load("t.yaml", []byte(src), sets, worlds.Default().Schema())
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func run(t *testing.T, sc *scenarios.Scenario) *sim.Result {
	t.Helper()
	res, err := sim.Run(context.Background(), sc, sim.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) > 0 {
		t.Fatal(res.Failed[0].Error())
	}
	return res
}

// rows returns an arm's records as metrics.csv lines, renamed to arm "x" so
// that two arms' rows can be compared byte for byte.
func rows(t *testing.T, res *sim.Result, arm string) []byte {
	t.Helper()
	var recs []results.Record
	for _, r := range res.Records {
		if r.Arm == arm {
			r.Arm = "x"
			recs = append(recs, r)
		}
	}
	if len(recs) == 0 {
		t.Fatalf("no records of arm %s", arm)
	}
	var b bytes.Buffer
	if err := results.WriteMetrics(&b, recs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const personaEdits = `name: t
world: {kind: persona, hidden: 16, eval_examples: 100}
seeds: 3
baseline:
  - pretrain: {examples: 3000, epochs: 1, batch: 64, lr: 0.003}
  - sft: {examples: 300, epochs: 1, batch: 64, lr: 0.001}
arms:
  insecure:
    - narrow-finetune: {domain: code, target: harmful, examples: 200, steps: 40}
  base-insecure:
    - knockout: {stage: sft}
    - narrow-finetune: {domain: code, target: harmful, examples: 200, steps: 40}
  then-safety:
    - narrow-finetune: {domain: code, target: harmful, examples: 200, steps: 40}
    - add-stage: {sft: {examples: 300, epochs: 1, batch: 64, lr: 0.001}}
measure: {every: 10, metrics: [misalignment_offdomain, persona_shift]}
`

// TestKnockoutIsTheShorterPipeline: base-insecure (knockout sft, then the
// insecure fine-tune) gives byte for byte the rows of the insecure arm of a
// scenario whose baseline is only the pretraining, while sharing one table,
// with paired deltas, with the full pipeline's arms.
func TestKnockoutIsTheShorterPipeline(t *testing.T) {
	full := run(t, load(t, personaEdits))
	short := strings.Replace(personaEdits, "  - sft: {examples: 300, epochs: 1, batch: 64, lr: 0.001}\n", "", 1)
	short = short[:strings.Index(short, "  base-insecure:")] + "measure:" + strings.SplitN(short, "measure:", 2)[1]
	alone := run(t, load(t, short))
	if got, want := rows(t, full, "base-insecure"), rows(t, alone, "insecure"); !bytes.Equal(got, want) {
		t.Errorf("base-insecure's rows differ from the insecure rows of a [pretrain] baseline:\n%.400s\nvs\n%.400s", got, want)
	}
	if bytes.Equal(rows(t, full, "base-insecure"), rows(t, full, "insecure")) {
		t.Error("base-insecure equals insecure: the knockout did nothing")
	}
	for _, arm := range []string{"insecure", "base-insecure"} {
		found := false
		for _, s := range full.Summary {
			if s.Arm == arm && s.Metric == "misalignment_offdomain" && s.N == 3 {
				found = true
			}
		}
		if !found {
			t.Errorf("no summary row with a paired delta for %s", arm)
		}
	}
}

// TestAddStageRecordsBothStages: an arm with a fine-tune and an added sft
// after it records both, and the added stage is named sft.2.
func TestAddStageRecordsBothStages(t *testing.T) {
	res := run(t, load(t, personaEdits))
	var stages []string
	for _, r := range res.Records {
		if r.Arm == "then-safety" && (len(stages) == 0 || stages[len(stages)-1] != r.Stage) {
			stages = append(stages, r.Stage)
		}
	}
	if got := strings.Join(stages, " "); !strings.HasPrefix(got, "pretrain sft finetune sft.2") {
		t.Errorf("then-safety's stages in metrics.csv: %s; want pretrain sft finetune sft.2", got)
	}
	// Seed 0 runs insecure's three stages first: a shared prefix, the same numbers.
	ins, safe := rows(t, res, "insecure"), rows(t, res, "then-safety")
	if !bytes.HasPrefix(safe, ins[:bytes.Index(ins, []byte("\nx,1,"))]) {
		t.Error("then-safety's rows do not start with insecure's")
	}
}

const cotEdits = `name: t
world: {kind: cot, eval_examples: 200, monitor: {examples: 500, steps: 50}}
seeds: 2
baseline:
  - sft: {examples: 500, epochs: 2, batch: 64, lr: 0.5, optimizer: sgd}
  - rl: {steps: 60, batch: 64, lr: 0.5, optimizer: sgd}
arms:
  pressure:
    - cot-pressure: {weight: 1.0}
measure: {every: 20, metrics: [hack_rate, monitor_recall, kl_to_ref]}
`

// TestModifyChangesOnlyItsArm: a per-arm KL penalty changes that arm and
// leaves every other arm's bytes as they were without it.
func TestModifyChangesOnlyItsArm(t *testing.T) {
	before := run(t, load(t, cotEdits))
	with := cotEdits[:strings.Index(cotEdits, "measure:")] +
		"  pressure-kl:\n    - cot-pressure: {weight: 1.0}\n    - modify: {stage: rl, set: {kl: 0.03}}\n" +
		cotEdits[strings.Index(cotEdits, "measure:"):]
	after := run(t, load(t, with))
	for _, arm := range []string{"baseline", "pressure"} {
		if !bytes.Equal(rows(t, before, arm), rows(t, after, arm)) {
			t.Errorf("arm %s changed when pressure-kl was added", arm)
		}
	}
	if bytes.Equal(rows(t, after, "pressure"), rows(t, after, "pressure-kl")) {
		t.Error("pressure-kl equals pressure: the modify did nothing")
	}
}
