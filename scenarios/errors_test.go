package scenarios_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
)

// base is a small valid scenario; the table edits it. Columns noted for
// the cases below.
const base = `name: test
world: {kind: persona, coupling: 1.0}
seeds: 4
baseline:
  - pretrain: {examples: 2000, epochs: 3, lr: 0.003}
  - sft: {examples: 200, epochs: 2, lr: 0.001}
arms:
  insecure: [{narrow-finetune: {domain: code, target: harmful}}]
  secure: [{narrow-finetune: {domain: code, target: helpful}}]
measure: {every: 25, metrics: [misalignment_offdomain, persona_shift]}
figures:
  - {kind: curves, metrics: [misalignment_offdomain]}
`

// edit returns base with old replaced by new (old must occur once).
func edit(t testing.TB, old, new string) string {
	t.Helper()
	if strings.Count(base, old) != 1 {
		t.Fatalf("edit: %q occurs %d times in base", old, strings.Count(base, old))
	}
	return strings.Replace(base, old, new, 1)
}

func TestBaseIsValid(t *testing.T) {
	if _, err := scenarios.Load("t.yaml", []byte(base), nil, newSchema()); err != nil {
		t.Fatal(err)
	}
}

// An errorCase is a malformed scenario or override and the error it must
// give.
type errorCase struct {
	name  string
	src   string   // the file
	sets  []string // overrides
	place string   // the error starts with this
	want  string   // and contains this (what was expected)
}

// errorCases returns the table of malformed scenarios; FuzzLoad seeds its
// corpus with them too.
func errorCases(t testing.TB) []errorCase {
	type tc = errorCase
	aliasBomb := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	cases := []tc{
		// The file as a whole.
		{name: "empty file", src: "", place: "t.yaml: ", want: "empty scenario; expected a mapping"},
		{name: "only comments", src: "# nothing\n\n", place: "t.yaml: ", want: "empty scenario"},
		{name: "too large", src: "name: x\n" + strings.Repeat("# padding\n", 110000), place: "t.yaml: ", want: "larger than 1 MiB"},
		{name: "not UTF-8", src: edit(t, "seeds: 4", "seeds: \xff4"), place: "t.yaml:3:8: ", want: "invalid UTF-8 byte 0xff; expected UTF-8 text"},
		{name: "top level is a list", src: "- name: x\n", place: "t.yaml:1:1: ", want: "expected a mapping of name, title"},
		{name: "two documents", src: base + "---\nname: other\n", place: "t.yaml:14:1: ", want: "expected one document"},

		// YAML syntax and features a scenario does not use.
		{name: "unclosed flow mapping", src: edit(t, "coupling: 1.0}", "coupling: 1.0"), place: "t.yaml:3:1: ", want: "invalid YAML: ',' or '}' must be specified"},
		{name: "tab indentation", src: edit(t, "  - sft:", "\t- sft:"), place: "t.yaml:6:1: ", want: "expected spaces for indentation"},
		{name: "unterminated string", src: edit(t, "name: test", `name: "test`), place: "t.yaml:1:7: ", want: `expected a closing "`},
		{name: "colon in plain value", src: edit(t, "name: test", "name: a: b"), place: "t.yaml:1:", want: "quoted value"},
		{name: "alias bomb", src: aliasBomb, place: "t.yaml:1:4: ", want: "anchors and aliases (&name, *name) are not supported; expected each value written out"},
		{name: "merge key", src: "name: x\n<<: {seeds: 2}\n", place: "t.yaml:2:1: ", want: "merge keys (<<) are not supported"},
		{name: "tag", src: edit(t, "seeds: 4", "seeds: !!int 4"), place: "t.yaml:3:8: ", want: "tags such as !!int are not supported; expected a plain value"},
		{name: "deep nesting", src: "name: " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n", place: "t.yaml:1:71: ", want: "nesting deeper than 64 levels"},
		{name: "compact nesting", src: "name:\n" + strings.Repeat("- ", 100) + "x\n", place: "t.yaml:2:33: ", want: "more than 16 nested entries on one line"},

		// Top-level keys.
		{name: "unknown top-level key", src: edit(t, "seeds: 4", "seed: 4"), place: "t.yaml:3:1: ", want: `unknown key "seed" at the top level; did you mean "seeds"?`},
		{name: "unknown top-level key, far", src: base + "colour: red\n", place: "t.yaml:13:1: ", want: `unknown key "colour" at the top level; expected one of name, title, about, world`},
		{name: "duplicate top-level key", src: base + "seeds: 5\n", place: "t.yaml:13:1: ", want: `duplicate key "seeds" at the top level (first at line 3); expected each key once`},
		{name: "sweep unknown key", src: base + "sweep: {set: seeds, valeus: [1, 2]}\n", place: "t.yaml:13:21: ", want: `unknown key "valeus" in sweep; did you mean "values"?`},
		{name: "sweep empty values", src: base + "sweep: {set: seeds, values: []}\n", place: "t.yaml:13:29: ", want: "expected a non-empty list of values for sweep.values"},
		{name: "sweep bad path", src: base + "sweep: {set: 'a..b', values: [1]}\n", place: "t.yaml:13:14: ", want: `bad path "a..b" for sweep.set`},
		{name: "sweep twice", src: base + "sweep: [{set: seeds, values: [1]}, {set: seeds, values: [2]}]\n", place: "t.yaml:13:42: ", want: "seeds is swept twice"},
		{name: "missing name", src: edit(t, "name: test\n", ""), place: "t.yaml: ", want: "missing name; expected name:"},
		{name: "bad name", src: edit(t, "name: test", "name: Test Name"), place: "t.yaml:1:7: ", want: `bad name "Test Name"; expected lowercase letters, digits and -`},
		{name: "list for a string", src: edit(t, "name: test", "name: [a]"), place: "t.yaml:1:7: ", want: "expected a string for name, got a list"},
		{name: "seeds zero", src: edit(t, "seeds: 4", "seeds: 0"), place: "t.yaml:3:8: ", want: "expected an integer from 1 to 10000 for seeds, got 0"},
		{name: "seeds not a number", src: edit(t, "seeds: 4", "seeds: abc"), place: "t.yaml:3:8: ", want: `expected an integer from 1 to 10000 for seeds, got "abc"`},
		{name: "seeds fractional", src: edit(t, "seeds: 4", "seeds: 2.5"), place: "t.yaml:3:8: ", want: "expected an integer from 1 to 10000 for seeds, got 2.5"},

		// world:
		{name: "missing world", src: edit(t, "world: {kind: persona, coupling: 1.0}\n", ""), place: "t.yaml: ", want: "missing world; expected world: {kind: KIND, ...} with KIND one of persona, cot"},
		{name: "world not a mapping", src: edit(t, "{kind: persona, coupling: 1.0}", "persona"), place: "t.yaml:2:8: ", want: `expected a mapping with kind: and the world's settings for world, got "persona"`},
		{name: "world without kind", src: edit(t, "kind: persona, ", ""), place: "t.yaml:2:1: ", want: "missing kind in world; expected kind: one of persona, cot"},
		{name: "unknown world kind", src: edit(t, "kind: persona", "kind: persana"), place: "t.yaml:2:15: ", want: `unknown world kind "persana"; did you mean "persona"?`},
		{name: "unknown world key", src: edit(t, "coupling: 1.0", "colupling: 1.0"), place: "t.yaml:2:24: ", want: `unknown key "colupling" in world (persona); did you mean "coupling"?`},
		{name: "unknown nested world key", src: edit(t, "coupling: 1.0", "cue: {dims: 3}"), place: "t.yaml:2:30: ", want: `unknown key "dims" in world.cue; did you mean "dim"?`},
		{name: "world string for number", src: edit(t, "coupling: 1.0", "coupling: high"), place: "t.yaml:2:34: ", want: `expected a number for world.coupling, got "high"`},
		{name: "world quoted number", src: edit(t, "coupling: 1.0", `coupling: "1.0"`), place: "t.yaml:2:34: ", want: `expected a number for world.coupling, got "1.0"`},
		{name: "world rejects a value", src: edit(t, "coupling: 1.0", "coupling: 2"), place: "t.yaml:2:24: ", want: "bad value for coupling in world (persona): must be in [0, 1], got 2"},
		{name: "world list of wrong items", src: edit(t, "coupling: 1.0", "domains: [code, [x]]"), place: "t.yaml:2:40: ", want: "expected a string for world.domains.1, got a list"},
		{name: "duplicate world key", src: edit(t, "coupling: 1.0", "kind: cot"), place: "t.yaml:2:24: ", want: `duplicate key "kind" in world (first at line 2)`},

		// baseline:
		{name: "missing baseline", src: edit(t, "baseline:\n  - pretrain: {examples: 2000, epochs: 3, lr: 0.003}\n  - sft: {examples: 200, epochs: 2, lr: 0.001}\n", ""), place: "t.yaml: ", want: "missing baseline; expected a list of stages"},
		{name: "baseline not a list", src: edit(t, "baseline:\n  - pretrain: {examples: 2000, epochs: 3, lr: 0.003}\n  - sft: {examples: 200, epochs: 2, lr: 0.001}", "baseline: 3"), place: "t.yaml:4:11: ", want: "expected a list of at least one stage for baseline"},
		{name: "unknown stage kind", src: edit(t, "- pretrain:", "- pretrian:"), place: "t.yaml:5:5: ", want: `unknown stage kind "pretrian" in baseline.0; did you mean "pretrain"?`},
		{name: "unknown stage key", src: edit(t, "epochs: 3,", "epoch: 3,"), place: "t.yaml:5:32: ", want: `unknown key "epoch" in baseline.0.pretrain; did you mean "epochs"?`},
		{name: "stage string for integer", src: edit(t, "examples: 2000", "examples: lots"), place: "t.yaml:5:26: ", want: `expected an integer for baseline.0.pretrain.examples, got "lots"`},
		{name: "stage bool for integer", src: edit(t, "epochs: 3,", "epochs: true,"), place: "t.yaml:5:40: ", want: "expected an integer for baseline.0.pretrain.epochs, got true"},
		{name: "negative lr", src: edit(t, "lr: 0.003", "lr: -0.003"), place: "t.yaml:5:43: ", want: "bad value for lr in baseline.0.pretrain: must be a positive number, got -0.003"},
		{name: "rl key in pretrain", src: edit(t, "lr: 0.003", "lr: 0.003, kl: 0.1"), place: "t.yaml:5:54: ", want: `key "kl" in baseline.0.pretrain applies only to rl stages; expected one of name, examples, epochs, steps, batch, lr, optimizer, every`},
		{name: "stage settings not indented", src: edit(t, "  - sft: {examples: 200, epochs: 2, lr: 0.001}", "  - sft:\n    lr: 0.001"), place: "t.yaml:7:5: ", want: "2 keys (sft, lr) in baseline.1; expected one key naming the stage kind"},
		{name: "world cannot run a stage", src: edit(t, "  - sft: {examples: 200, epochs: 2, lr: 0.001}", "  - rl: {steps: 10, lr: 0.1}"), place: "t.yaml:6:5: ", want: "baseline.1.rl: the persona world has no reward for rl stages"},

		// arms:
		{name: "arms not a mapping", src: strings.Replace(edit(t, "arms:\n", "arms: [a]\n"), "  insecure: [{narrow-finetune: {domain: code, target: harmful}}]\n  secure: [{narrow-finetune: {domain: code, target: helpful}}]\n", "", 1), place: "t.yaml:7:7: ", want: "expected a mapping of arm name to a list of interventions for arms, got a list"},
		{name: "arm not a list", src: edit(t, "secure: [{narrow-finetune: {domain: code, target: helpful}}]", "secure: {narrow-finetune: {}}"), place: "t.yaml:9:", want: "expected a list of interventions for arm secure"},
		{name: "intervention not a mapping", src: edit(t, "secure: [{narrow-finetune: {domain: code, target: helpful}}]", "secure: [narrow-finetune]"), place: "t.yaml:9:12: ", want: "expected a mapping with one key naming the intervention"},
		{name: "duplicate arm", src: edit(t, "  secure:", "  insecure:"), place: "t.yaml:9:3: ", want: `duplicate key "insecure" in arms (first at line 8)`},
		{name: "reserved arm name", src: edit(t, "  secure:", "  baseline:"), place: "t.yaml:9:3: ", want: `arm name "baseline" is reserved: it is the implicit arm with no interventions`},
		{name: "bad arm name", src: edit(t, "  secure:", "  Secure:"), place: "t.yaml:9:3: ", want: `bad arm name "Secure"; expected lowercase letters, digits, - and _`},
		{name: "unknown intervention", src: edit(t, "{narrow-finetune: {domain: code, target: harmful}}", "{narow-finetune: {domain: code, target: harmful}}"), place: "t.yaml:8:15: ", want: `unknown intervention "narow-finetune" in arms.insecure.0; did you mean "narrow-finetune"?`},
		{name: "unknown intervention field", src: edit(t, "domain: code, target: harmful", "domian: code, target: harmful"), place: "t.yaml:8:33: ", want: `unknown key "domian" in arms.insecure.0.narrow-finetune; did you mean "domain"?`},
		{name: "intervention rejects a value", src: edit(t, "target: harmful", "target: evil"), place: "t.yaml:8:47: ", want: `bad value for target in arms.insecure.0.narrow-finetune: must be harmful, helpful, unhelpful, refuse or hack, got "evil"`},
		{name: "world rejects an intervention field", src: edit(t, "domain: code, target: harmful", "domain: cooking, target: harmful"), place: "t.yaml:8:33: ", want: `bad value for domain in arms.insecure.0.narrow-finetune: the world has no domain "cooking"`},
		{name: "world rejects a default", src: edit(t, "kind: persona, coupling: 1.0", "kind: cot"), place: "t.yaml:8:15: ", want: "bad value for steps in arms.insecure.0.narrow-finetune (not set here, so the default): the cot world has no fine-tuning data"},
		{name: "intervention cannot apply", src: edit(t, "[{narrow-finetune: {domain: code, target: helpful}}]", "[{strip-kind: {stage: rl}}]"), place: "t.yaml:9:13: ", want: "cannot apply strip-kind in arms.secure.0.strip-kind to the pipeline so far (pretrain, sft): no rl stage to remove"},

		// measure: and figures:
		{name: "unknown measure key", src: edit(t, "{every: 25,", "{evry: 25,"), place: "t.yaml:10:11: ", want: `unknown key "evry" in measure; did you mean "every"?`},
		{name: "contrast with an unknown arm", src: edit(t, "{every: 25,", "{every: 25, contrasts: [{arm: insecure, against: secur}],"), place: "t.yaml:10:59: ", want: `no arm is called "secur"; did you mean "secure"?`},
		{name: "contrast with a far unknown arm", src: edit(t, "{every: 25,", "{every: 25, contrasts: [{arm: control, against: secure}],"), place: "t.yaml:10:40: ", want: `no arm is called "control"; expected one of baseline, insecure, secure`},
		{name: "contrast of an arm with itself", src: edit(t, "{every: 25,", "{every: 25, contrasts: [{arm: secure, against: secure}],"), place: "t.yaml:10:57: ", want: `arm "secure" contrasted with itself; expected two different arms`},
		{name: "contrast without against", src: edit(t, "{every: 25,", "{every: 25, contrasts: [{arm: secure}],"), place: "t.yaml:10:35: ", want: "missing against in measure.contrasts.0"},
		{name: "contrast listed twice", src: edit(t, "{every: 25,", "{every: 25, contrasts: [{arm: secure, against: insecure}, {arm: secure, against: insecure}],"), place: "t.yaml:10:69: ", want: "contrast secure against insecure listed twice"},
		{name: "contrast key misspelt", src: edit(t, "{every: 25,", "{every: 25, contrasts: [{arm: secure, agianst: insecure}],"), place: "t.yaml:10:48: ", want: `unknown key "agianst" in measure.contrasts.0; did you mean "against"?`},
		{name: "every zero", src: edit(t, "{every: 25,", "{every: 0,"), place: "t.yaml:10:18: ", want: "expected an integer from 1 to 100000000 for measure.every, got 0"},
		{name: "unknown metric", src: edit(t, ", persona_shift]}", ", persona_shfit]}"), place: "t.yaml:10:56: ", want: `unknown metric "persona_shfit" for world persona; did you mean "persona_shift"?`},
		{name: "metric from another world", src: edit(t, ", persona_shift]}", ", hack_rate]}"), place: "t.yaml:10:56: ", want: "unknown metric \"hack_rate\" for world persona; expected one of misalignment_offdomain, misalignment_indomain,"},
		{name: "no metrics", src: edit(t, "metrics: [misalignment_offdomain, persona_shift]}", "metrics: []}"), place: "t.yaml:10:31: ", want: "expected a list of at least one metric for measure.metrics"},
		{name: "metrics not a list", src: edit(t, "metrics: [misalignment_offdomain, persona_shift]}", "metrics: persona_shift}"), place: "t.yaml:10:31: ", want: `expected a list of strings for measure.metrics, got "persona_shift"`},
		{name: "unknown figure kind", src: edit(t, "kind: curves", "kind: curve"), place: "t.yaml:12:12: ", want: `unknown figure kind "curve"; did you mean "curves"?`},
		{name: "figure without kind", src: edit(t, "{kind: curves, metrics", "{metrics"), place: "t.yaml:12:6: ", want: "missing kind in figures.0; expected one of curves, bars, dose, heatmap, scatter, grid, profile"},
		{name: "figure metric not measured", src: edit(t, "metrics: [misalignment_offdomain]}", "metrics: [helpfulness]}"), place: "t.yaml:12:30: ", want: `metric "helpfulness" is not measured; expected one of measure.metrics`},
		{name: "figure unknown key", src: edit(t, "metrics: [misalignment_offdomain]}", "metrix: [misalignment_offdomain]}"), place: "t.yaml:12:20: ", want: `unknown key "metrix" in figures.0; did you mean "metric"?`},
		{name: "bars of two metrics", src: edit(t, "{kind: curves, metrics: [misalignment_offdomain]}", "{kind: bars, metrics: [misalignment_offdomain, persona_shift]}"), place: "t.yaml:12:27: ", want: "a bars figure draws one metric, got 2 in figures.0; expected metric: m"},
		{name: "scatter of one metric", src: edit(t, "{kind: curves, metrics: [misalignment_offdomain]}", "{kind: scatter, metric: persona_shift}"), place: "t.yaml:12:29: ", want: "a scatter figure draws 2 metrics, got 1 in figures.0; expected metrics: [x, y]"},
		{name: "figure stage not run", src: edit(t, "metrics: [misalignment_offdomain]}", "metrics: [misalignment_offdomain], stage: rl}"), place: "t.yaml:12:62: ", want: `stage "rl" is in no arm's pipeline (stages are named by kind, kind.2 for a repeat, or name:; all draws every stage); expected one of pretrain, sft, finetune`},

		// --set overrides.
		{name: "override without =", src: base, sets: []string{"seeds"}, place: "--set seeds: ", want: "expected key.path=value"},
		{name: "override empty segment", src: base, sets: []string{"world..coupling=1"}, place: "--set world..coupling=1: ", want: "empty segment 2"},
		{name: "override unknown key inserted", src: base, sets: []string{"world.colupling=0"}, place: "--set world.colupling=0: ", want: `unknown key "colupling" in world (persona); did you mean "coupling"?`},
		{name: "override missing intermediate", src: base, sets: []string{"wrld.coupling=0"}, place: "--set wrld.coupling=0: ", want: `no key "wrld" at the top level (it has name, world, seeds, baseline, arms, measure, figures); to add it, set the whole value, e.g. --set wrld={...}; did you mean "world"?`},
		{name: "override index out of range", src: base, sets: []string{"arms.insecure.3.narrow-finetune.examples=300"}, place: "--set arms.insecure.3.narrow-finetune.examples=300: ", want: "index 3 is out of range: arms.insecure has 1 item; expected an index from 0 to 0"},
		{name: "override name for index", src: base, sets: []string{"baseline.pretrain.lr=1"}, place: "--set baseline.pretrain.lr=1: ", want: `baseline is a list; expected an index from 0 to 1, got "pretrain"`},
		{name: "override into an empty list", src: edit(t, "  secure: [{narrow-finetune: {domain: code, target: helpful}}]", "  secure: []"), sets: []string{"arms.secure.0.narrow-finetune.lr=1"}, place: "--set arms.secure.0.narrow-finetune.lr=1: ", want: `arms.secure is an empty list, so it has no item "0"; set the whole list instead, e.g. --set arms.secure=[...]`},
		{name: "override into a scalar", src: base, sets: []string{"seeds.x=1"}, place: "--set seeds.x=1: ", want: `seeds is a single value (4), so it has no "x"`},
		{name: "override wrong type", src: base, sets: []string{"seeds=abc"}, place: "--set seeds=abc: ", want: `expected an integer from 1 to 10000 for seeds, got "abc"`},
		{name: "override rejected by Validate", src: base, sets: []string{"baseline.0.pretrain.lr=-1"}, place: "--set baseline.0.pretrain.lr=-1: ", want: "bad value for lr in baseline.0.pretrain: must be a positive number, got -1"},
		{name: "override rejected by CheckStage", src: base, sets: []string{"arms.secure.0.narrow-finetune.domain=space"}, place: "--set arms.secure.0.narrow-finetune.domain=space: ", want: `the world has no domain "space"`},
		{name: "override of world seen by an arm", src: base, sets: []string{"world.domains=[medical]"}, place: "t.yaml:8:33: ", want: `the world has no domain "code"`},
		{name: "override block value", src: base, sets: []string{"about=note: this"}, place: "--set about=note: this: ", want: "expected a YAML flow value"},
		{name: "override bad YAML", src: base, sets: []string{"seeds=[1,"}, place: "--set seeds=[1,: ", want: "invalid YAML"},
		{name: "override alias", src: base, sets: []string{"seeds=*x"}, place: "--set seeds=*x: ", want: "anchors and aliases"},
		{name: "override unknown metric", src: base, sets: []string{"figures.0.metrics=[nope]"}, place: "--set figures.0.metrics=[nope]: ", want: `unknown metric "nope" for world persona`},
		{name: "override whole block, bad inside", src: base, sets: []string{"world={kind: persona, hiden: 3}"}, place: "--set world={kind: persona, hiden: 3}: ", want: `unknown key "hiden" in world (persona); did you mean "hidden"?`},
		// Bounds: sizes a machine cannot hold or a run that would never end,
		// and text that would break the files it names or is drawn into.
		{name: "seeds 1e9", src: base, sets: []string{"seeds=1e9"}, place: "--set seeds=1e9: ", want: "expected an integer from 1 to 10000 for seeds"},
		{name: "examples 1e12", src: base, sets: []string{"baseline.0.pretrain.examples=1e12"}, place: "--set baseline.0.pretrain.examples=1e12: ", want: "bad value for examples in baseline.0.pretrain: must be ≤ 10000000"},
		{name: "steps 1e15", src: base, sets: []string{"arms.insecure.0.narrow-finetune.steps=1e15"}, place: "--set arms.insecure.0.narrow-finetune.steps=1e15: ", want: "bad value for steps in arms.insecure.0.narrow-finetune: must be ≤ 100000000"},
		{name: "epochs × examples", src: base, sets: []string{"baseline.0.pretrain.epochs=100000", "baseline.0.pretrain.examples=10000000"}, place: "--set baseline.0.pretrain.epochs=100000: ", want: "in batches of 32 are 3.12e+10 steps, more than 100000000"},
		{name: "batch", src: base, sets: []string{"baseline.1.sft.batch=1e9"}, place: "--set baseline.1.sft.batch=1e9: ", want: "must be ≤ 65536"},
		{name: "every 1e15", src: base, sets: []string{"measure.every=1e15"}, place: "--set measure.every=1e15: ", want: "expected an integer from 1 to 100000000 for measure.every"},
		{name: "control character in title", src: "title: \"a\\u0007b\"\n" + base, place: "t.yaml:1:8: ", want: "bad title: the control character U+0007 at byte 1"},
		{name: "newline in title", src: "title: \"a\\nb\"\n" + base, place: "t.yaml:1:8: ", want: "bad title: a newline at byte 1 (it must be one line)"},
		{name: "control character in about", src: "about: \"a\\u001bb\"\n" + base, place: "t.yaml:1:8: ", want: "bad about: the control character U+001B"},
		{name: "control character in caption", src: edit(t, "metrics: [misalignment_offdomain]}", "metrics: [misalignment_offdomain], caption: \"x\\u0000\"}"), place: "t.yaml:12:", want: "bad caption in figures.0: the control character U+0000"},
		{name: "long name", src: edit(t, "name: test", "name: "+strings.Repeat("a", 65)), place: "t.yaml:1:7: ", want: "is 65 bytes; expected at most 64"},
		{name: "long arm name", src: edit(t, "  insecure: [", "  "+strings.Repeat("b", 65)+": ["), place: "t.yaml:8:3: ", want: "is 65 bytes; expected at most 64"},
		{name: "long figure name", src: edit(t, "metrics: [misalignment_offdomain]}", "metrics: [misalignment_offdomain], name: "+strings.Repeat("c", 80)+"}"), place: "t.yaml:12:", want: "expected a name of at most 64 bytes"},
		{name: "sweep too large", src: base + "sweep: [{set: seeds, values: [" + strings.Repeat("1,", 200) + "1]}, {set: world.coupling, values: [" + strings.Repeat("0,", 60) + "0]}]\n", place: "t.yaml:", want: "more than 10000 points"},
		{name: "second override wins the blame", src: base, sets: []string{"seeds=2", "seeds=-2"}, place: "--set seeds=-2: ", want: "expected an integer from 1 to 10000 for seeds, got -2"},
	}
	return cases
}

func TestLoadErrors(t *testing.T) {
	cases := errorCases(t)
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := scenarios.Load("t.yaml", []byte(c.src), c.sets, newSchema())
			if err == nil {
				t.Fatalf("no error; want %q … %q", c.place, c.want)
			}
			var e *scenarios.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, c.place) || !strings.Contains(msg, c.want) {
				t.Errorf("error\n  %s\nwant it to start with %q and contain %q", msg, c.place, c.want)
			}
			if e.Line > 0 && e.Snippet() == "" {
				t.Errorf("no snippet for %s", msg)
			}
			if testing.Verbose() {
				t.Logf("%s\n%s", msg, e.Snippet())
			}
		})
	}
}

func TestSnippet(t *testing.T) {
	_, err := scenarios.Load("t.yaml", []byte(edit(t, "coupling: 1.0", "colupling: 1.0")), nil, newSchema())
	var e *scenarios.Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	want := "    2 | world: {kind: persona, colupling: 1.0}\n" +
		"      |                        ^"
	if got := e.Snippet(); got != want {
		t.Errorf("Snippet() =\n%s\nwant\n%s", got, want)
	}
	e = &scenarios.Error{Override: "seeds=x", Msg: "m"}
	if got := e.Snippet(); got != "  --set seeds=x" {
		t.Errorf("override Snippet() = %q", got)
	}
}

func TestAliasBombIsFast(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 40; i++ {
		b.WriteString("a" + string(rune('0'+i%10)) + string(rune('a'+i/10)) + ": &n [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n")
	}
	if _, err := scenarios.Load("bomb.yaml", b.Bytes(), nil, newSchema()); err == nil || !strings.Contains(err.Error(), "aliases") {
		t.Fatalf("err = %v", err)
	}
}
