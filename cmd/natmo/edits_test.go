package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goodEdits is a valid scenario with one arm of each generic edit; the cases
// below break its edits one way each.
const goodEdits = `name: t
world: {kind: persona, hidden: 16}
seeds: 2
baseline:
  - pretrain: {examples: 500, epochs: 1, lr: 0.003}
  - sft: {examples: 100, epochs: 1, lr: 0.001}
arms:
  base:
    - knockout: {stage: sft}
  safety:
    - narrow-finetune: {domain: code, target: harmful, examples: 100, steps: 10}
    - add-stage: {sft: {examples: 100, epochs: 1, lr: 0.001}, after: finetune}
  short:
    - modify: {stage: sft, set: {steps: 2}}
measure: {every: 5, metrics: [misalignment_offdomain]}
figures:
  - {kind: curves, metrics: [misalignment_offdomain], stage: all}
`

// TestBadEdits feeds malformed pipeline edits to natmo validate and natmo
// run: each exits 2 with a message that names the line and column and says
// what was expected.
func TestBadEdits(t *testing.T) {
	rep := func(old, new string) string {
		if !strings.Contains(goodEdits, old) {
			t.Fatalf("case edits %q, which the scenario lacks", old)
		}
		return strings.Replace(goodEdits, old, new, 1)
	}
	cases := []struct {
		name, src string
		want      []string // substrings of the message
	}{
		{"knockout of an unknown stage", rep("knockout: {stage: sft}", "knockout: {stage: sfx}"), []string{"t.yaml:9:", `no stage "sfx"`, `did you mean "sft"`}},
		{"knockout of every stage", rep("knockout: {stage: sft}", "knockout: {stage: [pretrain, sft]}"), []string{"t.yaml:9:", "every stage"}},
		{"knockout naming a stage twice", rep("knockout: {stage: sft}", "knockout: {stage: [sft, sft]}"), []string{"t.yaml:9:", "twice"}},
		{"knockout without a stage", rep("knockout: {stage: sft}", "knockout: {}"), []string{"t.yaml:9:", "must name a stage"}},
		{"knockout with an unknown key", rep("knockout: {stage: sft}", "knockout: {stages: sft}"), []string{"t.yaml:9:", `did you mean "stage"`}},
		{"knockout of a stage an earlier edit removed", rep("knockout: {stage: sft}", "knockout: {stage: sft}\n    - knockout: {stage: sft}"), []string{"t.yaml:10:", `no stage "sft"`}},
		{"add-stage of a kind the world cannot run", rep("add-stage: {sft:", "add-stage: {rl:"), []string{"t.yaml:12:", `"rl"`, "pretrain, sft, harmlessness, finetune"}},
		{"add-stage of a misspelt kind", rep("add-stage: {sft:", "add-stage: {sfft:"), []string{"t.yaml:12:", `did you mean "sft"`}},
		{"add-stage with no kind", rep("add-stage: {sft: {examples: 100, epochs: 1, lr: 0.001}, after: finetune}", "add-stage: {after: finetune}"), []string{"t.yaml:12:", "no stage kind"}},
		{"add-stage with two kinds", rep("after: finetune}", "after: finetune, pretrain: {examples: 10, epochs: 1, lr: 0.1}}"), []string{"t.yaml:12:", "two stage kinds"}},
		{"add-stage after an unknown stage", rep("after: finetune}", "after: finetun}"), []string{"t.yaml:12:", `no stage "finetun"`, `did you mean "finetune"`}},
		{"add-stage before and after", rep("after: finetune}", "after: finetune, before: sft}"), []string{"t.yaml:12:", "before or after, not both"}},
		{"add-stage with a bad setting", rep("add-stage: {sft: {examples: 100, epochs: 1, lr: 0.001}", "add-stage: {sft: {examples: 100, epochs: 1, lr: -1}"), []string{"t.yaml:12:", "lr", "positive"}},
		{"add-stage with an unknown setting", rep("add-stage: {sft: {examples: 100, epochs: 1,", "add-stage: {sft: {exmples: 100, epochs: 1,"), []string{"t.yaml:12:", `did you mean "examples"`}},
		{"add-stage with a taken name", rep("add-stage: {sft: {examples: 100,", "add-stage: {sft: {name: pretrain, examples: 100,"), []string{"t.yaml:12:", `named "pretrain"`}},
		{"modify of an unknown stage", rep("modify: {stage: sft,", "modify: {stage: rl,"), []string{"t.yaml:14:", `no stage "rl"`}},
		{"modify of a key the stage kind lacks", rep("set: {steps: 2}", "set: {kl: 0.1}"), []string{"t.yaml:14:", `has no setting "kl"`}},
		{"modify of a misspelt key", rep("set: {steps: 2}", "set: {stesp: 2}"), []string{"t.yaml:14:", `did you mean "steps"`}},
		{"modify with a bad value", rep("set: {steps: 2}", "set: {steps: -2}"), []string{"t.yaml:14:", "steps", "≥ 0"}},
		{"modify with a value of the wrong type", rep("set: {steps: 2}", "set: {steps: many}"), []string{"t.yaml:14:", "steps", "integer"}},
		{"modify with a list value", rep("set: {steps: 2}", "set: {steps: [2]}"), []string{"t.yaml:14:", "expected a number"}},
		{"modify with nothing to set", rep("set: {steps: 2}", "set: {}"), []string{"t.yaml:14:", "at least one setting"}},
		{"modify of the stage's name", rep("set: {steps: 2}", "set: {name: x}"), []string{"t.yaml:14:", `has no setting "name"`}},
		{"duplicate stage names in the baseline", rep("- sft: {examples: 100,", "- sft: {name: pretrain, examples: 100,"), []string{"t.yaml:6:", `named "pretrain"`}},
		{"bad stage name", rep("- sft: {examples: 100,", "- sft: {name: Big Stage, examples: 100,"), []string{"t.yaml:6:", "bad stage name"}},
		{"figure of an unknown stage", rep("stage: all}", "stage: finetune.2}"), []string{"t.yaml:17:", `stage "finetune.2" is in no arm's pipeline`, `did you mean "finetune"`}},
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "t.yaml")
	if err := os.WriteFile(p, []byte(goodEdits), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, e := natmo(t, "validate", p); code != 0 {
		t.Fatalf("the good scenario: exit %d: %s", code, e)
	}
	for _, c := range cases {
		expectBadInput(t, dir, c.name, c.src, nil, c.want)
	}
}

// TestSameArmsNoted: two arms that run the same pipeline are allowed, and
// natmo says so.
func TestSameArmsNoted(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.yaml")
	src := strings.Replace(goodEdits, "  short:\n", "  base2:\n    - knockout: {stage: [sft]}\n  short:\n", 1)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, e := natmo(t, "validate", p)
	if code != 0 || !strings.Contains(e, "arms base and base2 run the same pipeline") {
		t.Errorf("exit %d, stderr %q; want 0 and a note on base and base2", code, e)
	}
}
