package scenarios_test

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
)

func readValid(t *testing.T) []byte {
	t.Helper()
	src, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func mustLoad(t *testing.T, src []byte, overrides ...string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load("valid.yaml", src, overrides, newSchema())
	if err != nil {
		var e *scenarios.Error
		if errors.As(err, &e) {
			t.Fatalf("Load: %v\n%s", err, e.Snippet())
		}
		t.Fatalf("Load: %v", err)
	}
	return sc
}

func armNames(sc *scenarios.Scenario) []string {
	var ns []string
	for _, a := range sc.Arms {
		ns = append(ns, a.Name)
	}
	return ns
}

func TestLoadValid(t *testing.T) {
	sc := mustLoad(t, readValid(t))
	if sc.Name != "test-scenario" || sc.Title != "A test scenario" || sc.About != "Two lines\nof text.\n" {
		t.Errorf("name, title, about = %q, %q, %q", sc.Name, sc.Title, sc.About)
	}
	if sc.World.Kind != "persona" {
		t.Errorf("world kind = %q", sc.World.Kind)
	}
	want := &personaConfig{Domains: []string{"code", "medical", "finance", "legal"}, Hidden: 32, Coupling: 0.5, Cue: cueConfig{Dim: 4, Noise: 0.5}}
	if !reflect.DeepEqual(sc.World.Config, want) {
		t.Errorf("world config = %+v, want %+v (defaults kept for hidden and cue.noise)", sc.World.Config, want)
	}
	if sc.Seeds != 3 {
		t.Errorf("seeds = %d", sc.Seeds)
	}
	wantBase := pipeline.Pipeline{
		{Kind: "pretrain", Label: "baseline", Examples: 2000, Epochs: 3, LR: 3e-3},
		{Kind: "sft", Label: "baseline", Examples: 200, Epochs: 2, LR: 1e-3, Optimizer: "sgd"},
	}
	if !reflect.DeepEqual(sc.Baseline, wantBase) {
		t.Errorf("baseline = %+v\nwant %+v", sc.Baseline, wantBase)
	}
	if got, want := armNames(sc), []string{"baseline", "zeta", "alpha", "empty", "ko"}; !slices.Equal(got, want) {
		t.Errorf("arms = %v, want %v (file order after baseline)", got, want)
	}
	nf := sc.Arms[1].Interventions[0].(*interventions.NarrowFinetune)
	wantNF := interventions.NewNarrowFinetune()
	wantNF.Examples, wantNF.Steps = 300, 100
	if !reflect.DeepEqual(nf, wantNF) {
		t.Errorf("zeta's narrow-finetune = %+v, want defaults with examples 300, steps 100: %+v", nf, wantNF)
	}
	nf = sc.Arms[2].Interventions[0].(*interventions.NarrowFinetune)
	if nf.Domain != "legal" || nf.Target != "helpful" || !slices.Equal(nf.Context, []string{"educational"}) {
		t.Errorf("alpha's narrow-finetune = %+v", nf)
	}
	if n := len(sc.Arms[3].Interventions); n != 0 {
		t.Errorf("empty arm has %d interventions", n)
	}
	p, err := sc.Arms[4].Pipeline(sc.Baseline)
	if err != nil || len(p) != 1 || p[0].Kind != "pretrain" {
		t.Errorf("ko pipeline = %+v, %v; want pretrain only", p, err)
	}
	wantM := scenarios.Measure{Every: 25, Metrics: []string{"misalignment_offdomain", "persona_shift"}}
	if !reflect.DeepEqual(sc.Measure, wantM) {
		t.Errorf("measure = %+v, want %+v", sc.Measure, wantM)
	}
	wantF := []scenarios.Figure{
		{Kind: "curves", Metrics: []string{"misalignment_offdomain", "persona_shift"}, Stage: "finetune", Name: "curves-misalignment_offdomain-persona_shift"},
		{Kind: "bars", Metrics: []string{"misalignment_offdomain"}, Name: "bars-misalignment_offdomain", Title: "Off-domain misalignment"},
	}
	if !reflect.DeepEqual(sc.Figures, wantF) {
		t.Errorf("figures = %+v\nwant %+v", sc.Figures, wantF)
	}
	if sc.File != "valid.yaml" || sc.Overrides != nil {
		t.Errorf("file, overrides = %q, %q", sc.File, sc.Overrides)
	}
}

const minimal = `name: min
world: {kind: persona}
baseline: [{pretrain: {lr: 0.1}}]
`

func TestLoadDefaults(t *testing.T) {
	sc := mustLoad(t, []byte(minimal))
	if sc.Title != "min" {
		t.Errorf("title = %q, want the name", sc.Title)
	}
	if sc.Seeds != scenarios.DefaultSeeds {
		t.Errorf("seeds = %d, want %d", sc.Seeds, scenarios.DefaultSeeds)
	}
	if got := armNames(sc); !slices.Equal(got, []string{scenarios.BaselineArm}) {
		t.Errorf("arms = %v, want only the baseline", got)
	}
	want := scenarios.Measure{Every: scenarios.DefaultEvery, Metrics: newSchema().Metrics("persona")}
	if !reflect.DeepEqual(sc.Measure, want) {
		t.Errorf("measure = %+v, want %+v", sc.Measure, want)
	}
	if sc.Figures != nil {
		t.Errorf("figures = %+v, want none", sc.Figures)
	}
}

func TestLoadOverrides(t *testing.T) {
	sets := []string{
		"world.coupling=0",
		"seeds=5",
		"arms.zeta.0.narrow-finetune.examples=1000",
		"baseline.0.pretrain.lr=1e-2",
		"world.hidden=64", // inserted: absent from the file
		"measure.metrics=[helpfulness, misalignment_offdomain, persona_shift]",
		"arms.new=[{narrow-finetune: {domain: finance}}]", // a new arm, last
		"arms.empty=", // null: no interventions
		"title=\"Changed: yes\"",
	}
	sc := mustLoad(t, readValid(t), sets...)
	cfg := sc.World.Config.(*personaConfig)
	if cfg.Coupling != 0 || cfg.Hidden != 64 {
		t.Errorf("coupling, hidden = %v, %v; want 0, 64", cfg.Coupling, cfg.Hidden)
	}
	if sc.Seeds != 5 {
		t.Errorf("seeds = %d", sc.Seeds)
	}
	if n := sc.Arms[1].Interventions[0].(*interventions.NarrowFinetune).Examples; n != 1000 {
		t.Errorf("zeta examples = %d", n)
	}
	if lr := sc.Baseline[0].LR; lr != 1e-2 {
		t.Errorf("pretrain lr = %v", lr)
	}
	if got := sc.Measure.Metrics; !slices.Equal(got, []string{"helpfulness", "misalignment_offdomain", "persona_shift"}) {
		t.Errorf("metrics = %v", got)
	}
	if got := armNames(sc); !slices.Equal(got, []string{"baseline", "zeta", "alpha", "empty", "ko", "new"}) {
		t.Errorf("arms = %v", got)
	}
	if sc.Title != "Changed: yes" {
		t.Errorf("title = %q", sc.Title)
	}
	if !slices.Equal(sc.Overrides, sets) {
		t.Errorf("overrides = %q", sc.Overrides)
	}
	res := string(sc.Resolved)
	for _, want := range []string{"coupling: 0\n", "seeds: 5\n", "examples: 1000\n", "lr: 1e-2\n", "hidden: 64\n",
		"metrics: [helpfulness, misalignment_offdomain, persona_shift]\n", "  new:\n    - narrow-finetune:\n        domain: finance\n", "  empty: null\n", `title: "Changed: yes"`} {
		if !strings.Contains(res, want) {
			t.Errorf("Resolved lacks %q:\n%s", want, res)
		}
	}
	if strings.Contains(res, "coupling: 0.5") {
		t.Errorf("Resolved keeps the old coupling:\n%s", res)
	}
}

// TestResolvedRoundTrip checks that Resolved loads to the same scenario and
// is a fixed point.
func TestResolvedRoundTrip(t *testing.T) {
	sc := mustLoad(t, readValid(t), "world.coupling=0.25", "about=\"tab\\there\"", "arms.x=[]")
	again := mustLoad(t, sc.Resolved)
	if !slices.Equal(again.Resolved, sc.Resolved) {
		t.Errorf("Resolved is not a fixed point:\n%s\n---\n%s", sc.Resolved, again.Resolved)
	}
	again.Resolved, again.Overrides, again.File = sc.Resolved, sc.Overrides, sc.File
	if !reflect.DeepEqual(again, sc) {
		t.Errorf("Resolved loads to a different scenario:\n%+v\n%+v", again, sc)
	}
}

func TestResolvedText(t *testing.T) {
	sc := mustLoad(t, []byte(minimal))
	want := `name: min
world:
  kind: persona
baseline:
  - pretrain:
      lr: 0.1
`
	if string(sc.Resolved) != want {
		t.Errorf("Resolved =\n%s\nwant\n%s", sc.Resolved, want)
	}
}

func TestOverridesDoNotLeak(t *testing.T) {
	src := readValid(t)
	orig := string(src)
	mustLoad(t, src, "world.coupling=0")
	if string(src) != orig {
		t.Error("Load changed its input")
	}
	if sc := mustLoad(t, src); sc.World.Config.(*personaConfig).Coupling != 0.5 {
		t.Error("an override leaked into a later Load")
	}
}

func TestFigureKinds(t *testing.T) {
	k := scenarios.FigureKinds()
	k[0] = "changed"
	if scenarios.FigureKinds()[0] != "curves" {
		t.Error("FigureKinds returns shared state")
	}
}

func TestLoadRLStage(t *testing.T) {
	src := `name: rl
world: {kind: cot, pressure: 1}
baseline:
  - rl: {steps: 100, lr: 0.5, kl: 0.03, entropy: 0.01, value_baseline: mean}
measure: {metrics: [hack_rate]}
`
	sc := mustLoad(t, []byte(src))
	want := pipeline.Stage{Kind: "rl", Label: "baseline", Steps: 100, LR: 0.5,
		RL: pipeline.RLParams{KL: 0.03, Entropy: 0.01, ValueBaseline: "mean"}}
	if !reflect.DeepEqual(sc.Baseline[0], want) {
		t.Errorf("rl stage = %+v, want %+v", sc.Baseline[0], want)
	}
	if cfg := sc.World.Config.(*cotConfig); cfg.Pressure != 1 || cfg.Tokens != 3 {
		t.Errorf("cot config = %+v", cfg)
	}
}

// TestLoadContrasts decodes measure.contrasts, in the order written; a
// scenario without them has none.
func TestLoadContrasts(t *testing.T) {
	if sc := mustLoad(t, readValid(t)); sc.Measure.Contrasts != nil {
		t.Errorf("contrasts = %+v, want none", sc.Measure.Contrasts)
	}
	sc := mustLoad(t, readValid(t), "measure.contrasts=[{arm: zeta, against: alpha}, {arm: ko, against: baseline}]")
	want := []scenarios.Contrast{{Arm: "zeta", Against: "alpha"}, {Arm: "ko", Against: "baseline"}}
	if !reflect.DeepEqual(sc.Measure.Contrasts, want) {
		t.Errorf("contrasts = %+v, want %+v", sc.Measure.Contrasts, want)
	}
	if got := want[0].String(); got != "zeta − alpha" {
		t.Errorf("String() = %q", got)
	}
}
