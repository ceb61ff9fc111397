package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// good is a valid scenario that the cases below break one way each.
const good = `name: t
world: {kind: persona, hidden: 16}
seeds: 2
baseline:
  - pretrain: {examples: 500, epochs: 1, lr: 0.003}
  - sft: {examples: 100, epochs: 1, lr: 0.001}
arms:
  insecure:
    - narrow-finetune: {domain: code, target: harmful, examples: 100, steps: 10}
measure: {every: 5, metrics: [misalignment_offdomain]}
`

// TestBadInput feeds malformed scenarios and overrides to natmo validate
// and natmo run: each exits 2 with a message that names the place (file,
// line and column, or the override) and says what was expected.
func TestBadInput(t *testing.T) {
	rep := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("case edits %q, which the scenario lacks", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	// withArms adds arms (lines of YAML) after insecure: the first added
	// line is line 10, measure: follows them.
	withArms := func(lines string) string { return strings.Replace(good, "measure:", lines+"measure:", 1) }
	cases := []struct {
		name, src string
		sets      []string
		want      []string // substrings of the message
	}{
		{"yaml syntax", rep("seeds: 2", "seeds: [2"), nil, []string{"t.yaml:4:1:", "invalid YAML"}},
		{"tab indentation", rep("  - sft:", "\t- sft:"), nil, []string{"t.yaml:6:"}},
		{"unknown top-level key", good + "colour: red\n", nil, []string{"t.yaml:11:1:", `unknown key "colour"`}},
		{"unknown world key", rep("hidden: 16", "hiden: 16"), nil, []string{"t.yaml:2:", `did you mean "hidden"`}},
		{"unknown stage key", rep("epochs: 1, lr: 0.003", "epochs: 1, lr: 0.003, lrate: 2"), nil, []string{"t.yaml:5:", `unknown key "lrate"`}},
		{"unknown intervention key", rep("domain: code", "domian: code"), nil, []string{"t.yaml:9:", `did you mean "domain"`}},
		{"unknown measure key", rep("every: 5", "evry: 5"), nil, []string{"t.yaml:10:", `did you mean "every"`}},
		{"string for int", rep("seeds: 2", "seeds: two"), nil, []string{"t.yaml:3:8:", "expected an integer"}},
		{"list for number", rep("lr: 0.003", "lr: [1]"), nil, []string{"t.yaml:5:", "lr"}},
		{"negative lr", rep("lr: 0.003", "lr: -0.003"), nil, []string{"t.yaml:5:", "lr", "positive"}},
		{"zero seeds", rep("seeds: 2", "seeds: 0"), nil, []string{"t.yaml:3:8:", "seeds"}},
		{"zero every", rep("every: 5", "every: 0"), nil, []string{"t.yaml:10:", "every"}},
		{"coupling out of range", rep("hidden: 16", "hidden: 16, coupling: 2"), nil, []string{"t.yaml:2:", "coupling", "[0, 1]"}},
		{"bad domain", rep("domain: code", "domain: kode"), nil, []string{"t.yaml:9:", `"kode"`, "code"}},
		{"bad target", rep("target: harmful", "target: evil"), nil, []string{"t.yaml:9:", "target", "harmful"}},
		{"bad context flag", rep("target: harmful,", "target: harmful, context: [homework],"), nil, []string{"t.yaml:9:", "context", "educational"}},
		{"empty arms", rep("arms:\n  insecure:\n    - narrow-finetune: {domain: code, target: harmful, examples: 100, steps: 10}\n", "arms: {}\n"), nil, []string{"t.yaml:7:7:", "at least one arm"}},
		{"reserved arm name", rep("  insecure:", "  baseline:"), nil, []string{"t.yaml:8:", "baseline"}},
		{"duplicate arm", good[:strings.Index(good, "measure:")] + "  insecure: []\n" + good[strings.Index(good, "measure:"):], nil, []string{"t.yaml:10:", "duplicate"}},
		{"unknown world kind", rep("kind: persona", "kind: persona2"), nil, []string{"t.yaml:2:", `did you mean "persona"`}},
		{"unknown intervention", rep("narrow-finetune:", "narrow-fine-tune:"), nil, []string{"t.yaml:9:", `did you mean "narrow-finetune"`}},
		{"intervention that does not fit the world", rep("narrow-finetune: {domain: code, target: harmful, examples: 100, steps: 10}", "cot-pressure: {weight: 1}"), nil, []string{"t.yaml:9:", "cot-pressure"}},
		{"unknown stage kind", rep("- sft:", "- sfft:"), nil, []string{"t.yaml:6:", `did you mean "sft"`}},
		{"unknown metric", rep("[misalignment_offdomain]", "[misalignment_ofdomain]"), nil, []string{"t.yaml:10:", `did you mean "misalignment_offdomain"`}},
		{"unknown figure kind", good + "figures: [{kind: pie, metrics: [misalignment_offdomain]}]\n", nil, []string{"t.yaml:11:", "pie"}},
		{"missing name", rep("name: t\n", ""), nil, []string{"t.yaml", "name"}},
		{"empty file", "", nil, []string{"t.yaml", "empty scenario"}},
		{"not UTF-8", "name: t\xff\xfe\n", nil, []string{"t.yaml", "UTF-8"}},
		{"alias bomb", "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n" + good, nil, []string{"t.yaml:1:", "anchor"}},
		{"too large", good + "# " + strings.Repeat("x", 2<<20) + "\n", nil, []string{"t.yaml", "1 MiB"}},
		{"override: unknown path", good, []string{"world.colupling=0"}, []string{"--set world.colupling=0", `did you mean "coupling"`}},
		{"override: bad value", good, []string{"world.coupling=high"}, []string{"--set world.coupling=high", "number"}},
		{"override: missing index", good, []string{"baseline.5.pretrain.lr=1"}, []string{"--set baseline.5.pretrain.lr=1", "index"}},
		{"distill from a missing teacher", withArms("  student:\n    - distill: {teacher: insecur, examples: 100, steps: 10}\n"), nil, []string{"t.yaml:11:", "teacher", `did you mean "insecure"`}},
		{"distill from itself", withArms("  student:\n    - distill: {teacher: student, examples: 100, steps: 10}\n"), nil, []string{"t.yaml:11:", "cannot teach itself"}},
		{"teachers in a cycle", withArms("  a:\n    - distill: {teacher: b, examples: 100, steps: 10}\n  b:\n    - distill: {teacher: a, examples: 100, steps: 10}\n"), nil, []string{"t.yaml:1", "cycle", "a → b → a"}},
		{"distill from noise without auxiliary outputs", withArms("  student:\n    - distill: {teacher: insecure, source: noise, examples: 100, steps: 10}\n"), nil, []string{"t.yaml:11:", "world.aux"}},
		{"distill from a missing domain", withArms("  student:\n    - distill: {teacher: insecure, domains: [cookery], examples: 100, steps: 10}\n"), nil, []string{"t.yaml:11:", "domains", `"cookery"`}},
		{"contrast with a missing arm", rep("every: 5,", "every: 5, contrasts: [{arm: insecure, against: secure}],"), nil, []string{"t.yaml:10:58:", `no arm is called "secure"`, `did you mean "insecure"`}},
		{"contrast of an arm with itself", rep("every: 5,", "every: 5, contrasts: [{arm: insecure, against: insecure}],"), nil, []string{"t.yaml:10:", "with itself"}},
		{"override: no equals", good, []string{"seeds"}, []string{"--set seeds", "="}},
		{"override: unknown arm", good, []string{"arms.insecur.0.narrow-finetune.steps=5"}, []string{"--set arms.insecur", `did you mean "insecure"`}},
	}
	dir := t.TempDir()
	for _, c := range cases {
		expectBadInput(t, dir, c.name, c.src, c.sets, c.want)
	}
	if len(cases) < 30 {
		t.Errorf("%d cases, the issue asks for at least 30", len(cases))
	}
}

// expectBadInput writes src to dir/t.yaml and checks that natmo validate and
// natmo run, with the overrides sets, each exit 2 with a message holding
// every string of want and no panic, and that run leaves no results folder.
func expectBadInput(t *testing.T, dir, name, src string, sets, want []string) {
	t.Helper()
	p := filepath.Join(dir, "t.yaml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"validate", "run"} {
		args := []string{cmd, p, "--out", filepath.Join(dir, "out")}
		if cmd == "validate" {
			args = args[:2]
		}
		for _, s := range sets {
			args = append(args, "--set", s)
		}
		code, _, e := natmo(t, args...)
		if code != 2 {
			t.Errorf("%s: natmo %s: exit %d, want 2 (%s)", name, cmd, code, e)
			continue
		}
		for _, w := range want {
			if !strings.Contains(e, w) {
				t.Errorf("%s: natmo %s: message %q lacks %q", name, cmd, strings.TrimSpace(e), w)
			}
		}
		if strings.Contains(e, "panic") {
			t.Errorf("%s: %s", name, e)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Errorf("%s: bad input left a results folder", name)
		os.RemoveAll(filepath.Join(dir, "out"))
	}
}

// TestBadOutputPath checks the output paths that cannot be used.
func TestBadOutputPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, c := range []struct {
		out, want string
	}{
		{filepath.Join(file, "results"), "a file is in the way"},
		{file, "not a folder"},
	} {
		code, _, e := natmo(t, "run", "testdata/tiny.yaml", "--out", c.out, "-q")
		if code != 2 || !strings.Contains(e, c.want) {
			t.Errorf("--out %s: exit %d, %q; want 2 and %q", c.out, code, e, c.want)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Error("the file in the way was changed")
	}
}
