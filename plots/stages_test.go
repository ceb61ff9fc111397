package plots

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// TestCurvesWholeRun draws stage: all for arms whose pipelines differ (one
// has a second fine-tune): every stage of every arm is in the figure's data,
// on one axis where each stage starts where the arm's previous one ended.
func TestCurvesWholeRun(t *testing.T) {
	in := testInput()
	for seed := range 4 {
		for _, step := range []int{0, 5, 10} {
			in.Records = append(in.Records, results.Record{Arm: "filtered-finetune", Seed: seed, Stage: "finetune.2", Step: step, Metric: "misalignment_offdomain", Value: 0.5})
		}
	}
	dir := t.TempDir()
	fig := scenarios.Figure{Kind: "curves", Metrics: []string{"misalignment_offdomain"}, Stage: scenarios.StageAll, Name: "all"}
	if _, err := Render(fig, in, dir, []string{"svg"}); err != nil {
		t.Fatal(err)
	}
	data := string(read(t, filepath.Join(dir, "toy-all.csv")))
	// pretrain ends at 100, finetune at 100+30, finetune.2 at 130+10.
	for _, want := range []string{"filtered-finetune,all,140,", "narrow-finetune,all,130,", "baseline,all,100,"} {
		if !strings.Contains(data, want) {
			t.Errorf("whole-run data lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(data, "narrow-finetune,all,140,") {
		t.Error("an arm without a second fine-tune has points past its end")
	}
	// Without stage: all the default is all too (the arms end differently),
	// and a figure of one stage says which later stages it leaves out.
	if got := defaultStage(in.Records); got != scenarios.StageAll {
		t.Errorf("default stage %q, want %q when arms end in different stages", got, scenarios.StageAll)
	}
	if got := notShown(in.Records, in.Arms, "finetune"); !strings.Contains(got, "filtered-finetune (finetune.2)") {
		t.Errorf("caption note %q; want it to name filtered-finetune's finetune.2", got)
	}
}

// TestCurvesLeaveOutFewSurvivors: when an arm's seeds stop at different
// steps (an early stop), the steps that fewer than half of them reached
// are not drawn — their mean is that of the slowest seeds — and the
// caption says so; an arm whose seeds all run on is drawn whole.
func TestCurvesLeaveOutFewSurvivors(t *testing.T) {
	in := testInput()
	arm := testArms[1]
	var recs []results.Record
	for _, r := range in.Records {
		// Seeds 0–2 of arm stop after step 10; seed 3 runs to 30.
		if r.Arm == arm && r.Stage == "finetune" && r.Seed < 3 && r.Step > 10 {
			continue
		}
		recs = append(recs, r)
	}
	in.Records = recs
	dir := t.TempDir()
	fig := scenarios.Figure{Kind: "curves", Metrics: []string{"misalignment_offdomain"}, Stage: "finetune", Name: "ft"}
	if _, err := Render(fig, in, dir, []string{"svg"}); err != nil {
		t.Fatal(err)
	}
	data := string(read(t, filepath.Join(dir, "toy-ft.csv")))
	if !strings.Contains(data, arm+",finetune,10,") || strings.Contains(data, arm+",finetune,20,") || strings.Contains(data, arm+",finetune,30,") {
		t.Errorf("%s: want steps up to 10 and none after (1 of 4 seeds):\n%s", arm, data)
	}
	other := testArms[2]
	if !strings.Contains(data, other+",finetune,30,") {
		t.Errorf("%s, whose seeds all reach 30, lost its last step:\n%s", other, data)
	}
	d, err := Draw(fig, in, "svg")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Not drawn: the steps that fewer than half the seeds of " + arm + " reached"; !strings.Contains(d.Caption, want) {
		t.Errorf("caption %q; want it to say %q", d.Caption, want)
	}
}
