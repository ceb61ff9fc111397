package misgeneralisation

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
)

// The world's statistical tests train the built-in experiments in code (so
// that they do not depend on the loader) through sim.Run, which shares the
// arms' common stages, and assert every claim over ≥ 8 seeds (16 for the
// seed lottery) with 95% bootstrap intervals. They skip under -race.

func skipSlow(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("statistical test: runs without -race")
	}
}

// testMetrics are the metrics the tests record.
var testMetrics = []string{"train_reward", "test_object_rate", "test_spurious_rate", "object_only_rate",
	"object_preference", "decisiveness", "goal_object"}

// basePipeline is the goal-misgeneralisation baseline: a stage that learns
// to find the object on levels without the cue ("see"), then RL on the
// training levels, all correlated.
func basePipeline() pipeline.Pipeline {
	return pipeline.Pipeline{
		{Kind: "rl", Name: "see", Label: "baseline", Steps: 1000, Batch: 32, LR: 0.01, Params: &StageParams{NoCue: 1}},
		{Kind: "rl", Name: "rl", Label: "baseline", Steps: 1000, Batch: 32, LR: 0.01, Params: &StageParams{}},
	}
}

// lotteryPipeline is the two-cue baseline: RL on training levels alone.
func lotteryPipeline() pipeline.Pipeline {
	return pipeline.Pipeline{{Kind: "rl", Label: "baseline", Steps: 1000, Batch: 32, LR: 0.01, Params: &StageParams{}}}
}

// modify returns an arm that sets key to v in stage.
func modify(name, stage string, set ...interventions.Setting) scenarios.Arm {
	return scenarios.Arm{Name: name, Interventions: []interventions.Intervention{&interventions.Modify{Stage: stage, Set: set}}}
}

// scenario builds a test scenario of cfg (nil: the defaults) and p.
func scenario(seeds int, cfg *Config, p pipeline.Pipeline, arms ...scenarios.Arm) *scenarios.Scenario {
	if cfg == nil {
		cfg = NewConfig()
	}
	return &scenarios.Scenario{
		Name:     "misgeneralisation-test",
		World:    scenarios.World{Kind: "misgeneralisation", Config: cfg},
		Seeds:    seeds,
		Baseline: p,
		Arms:     append([]scenarios.Arm{{Name: scenarios.BaselineArm}}, arms...),
		Measure:  scenarios.Measure{Every: 1000, Metrics: testMetrics},
	}
}

func run(t *testing.T, sc *scenarios.Scenario) *sim.Result {
	t.Helper()
	res, err := sim.Run(context.Background(), sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) > 0 {
		t.Fatalf("failed runs: %v", res.Failed)
	}
	return res
}

func row(t *testing.T, res *sim.Result, arm, metric string) results.Summary {
	t.Helper()
	for _, r := range res.Summary {
		if r.Arm == arm && r.Metric == metric {
			return r
		}
	}
	t.Fatalf("no summary row for %s/%s", arm, metric)
	return results.Summary{}
}

// finals returns each seed's last value of metric in arm, in seed order.
func finals(res *sim.Result, arm, metric string) []float64 {
	last := map[int]float64{}
	for _, r := range res.Records {
		if r.Arm == arm && r.Metric == metric {
			last[r.Seed] = r.Value
		}
	}
	_, xs := results.BySeed(last)
	return xs
}

func show(s results.Summary) string {
	return fmt.Sprintf("%.3f [%.3f, %.3f]", s.Mean, s.Low, s.High)
}

// TestMisgeneralisation is Done-when 1 (Langosco et al. 2022's picture):
// with every training level correlated, the agent is capable (train reward
// ≥ 0.9) and goes to the cue on test levels (object ≤ 0.3, cue ≥ 0.6),
// while on levels without the cue it finds the object (≥ 0.8): it sees
// the object and prefers the cue. Without the stage that teaches it to see
// (knockout of "see") the object-only check fails: such an agent would look
// just as misgeneralised, blind.
func TestMisgeneralisation(t *testing.T) {
	skipSlow(t)
	blind := scenarios.Arm{Name: "blind", Interventions: []interventions.Intervention{&interventions.Knockout{Stage: interventions.StageNames{"see"}}}}
	res := run(t, scenario(8, nil, basePipeline(), blind))
	tr, obj := row(t, res, "baseline", "train_reward"), row(t, res, "baseline", "test_object_rate")
	cue, only := row(t, res, "baseline", "test_spurious_rate"), row(t, res, "baseline", "object_only_rate")
	t.Logf("randomise 0: train %s, test object %s, test cue %s, object-only %s", show(tr), show(obj), show(cue), show(only))
	if tr.Mean < 0.9 || obj.Mean > 0.3 || cue.Mean < 0.6 || only.Mean < 0.8 {
		t.Errorf("want train ≥ 0.9, object ≤ 0.3, cue ≥ 0.6, object-only ≥ 0.8")
	}
	if obj.High >= only.Low {
		t.Errorf("the object rate on test levels should lie below the object-only rate, CIs apart")
	}
	bo, bc := row(t, res, "blind", "object_only_rate"), row(t, res, "blind", "test_spurious_rate")
	t.Logf("blind (no see stage): object-only %s, test cue %s", show(bo), show(bc))
	if bo.High >= only.Low || bo.Mean >= 0.8 {
		t.Errorf("without the see stage the object-only check should fail (< 0.8, below the baseline's)")
	}
}

// doseShares are the randomise shares of the built-in dose sweep.
var doseShares = []float64{0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.3}

// TestDose is Done-when 2: the test object rate rises with the randomise
// share, no step lower than the previous one's CI, and half of the gap
// between 0 and 0.3 is recovered at a share between 0.005 and 0.05 (CoinRun:
// about 0.02). The arms share the see stage, as a sweep's points would.
func TestDose(t *testing.T) {
	skipSlow(t)
	var arms []scenarios.Arm
	for _, r := range doseShares[1:] {
		arms = append(arms, modify("r"+strconv.FormatFloat(r, 'g', -1, 64), "rl", interventions.Setting{Key: "randomise", Value: r}))
	}
	res := run(t, scenario(8, nil, basePipeline(), arms...))
	var means []float64
	var prev results.Summary
	for i, r := range doseShares {
		arm := "baseline"
		if i > 0 {
			arm = arms[i-1].Name
		}
		s := row(t, res, arm, "test_object_rate")
		t.Logf("randomise %-6v test object %s, cue %s, object-only %s, train %.3f", r, show(s),
			show(row(t, res, arm, "test_spurious_rate")), show(row(t, res, arm, "object_only_rate")), row(t, res, arm, "train_reward").Mean)
		if i > 0 && s.Mean < prev.Low {
			t.Errorf("randomise %v: test object rate %.3f below the CI of the previous share (%.3f)", r, s.Mean, prev.Low)
		}
		means, prev = append(means, s.Mean), s
	}
	half, err := HalfRecovery(doseShares, means)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("half of the gap recovered at randomise %.4f", half)
	if half < 0.005 || half > 0.05 {
		t.Errorf("half-recovery share %.4f, want it in [0.005, 0.05]", half)
	}
}

// TestSeedLottery is Done-when 3: with two equally simple cues (colour and
// shape, both one-hot) that always coincide in training, seeds that differ
// only in their draws learn different goals — at least a quarter of 16
// seeds each way — with decisiveness varying between seeds. Its switch:
// once the colour is uncorrelated with the object (randomise 1), every seed
// learns the shape.
func TestSeedLottery(t *testing.T) {
	skipSlow(t)
	cfg := NewConfig()
	cfg.Variant = VariantTwoCue
	res := run(t, scenario(16, cfg, lotteryPipeline(), modify("uncorrelated", "rl", interventions.Setting{Key: "randomise", Value: 1.0})))
	goals, dec := finals(res, "baseline", "goal_object"), finals(res, "baseline", "decisiveness")
	pref := finals(res, "baseline", "object_preference")
	shape := 0
	for i, g := range goals {
		shape += int(g)
		t.Logf("seed %2d: goal %s, preference for the shape %.3f, decisiveness %.3f", i+1, map[bool]string{true: "shape", false: "colour"}[g == 1], pref[i], dec[i])
	}
	t.Logf("%d of %d seeds learn the shape", shape, len(goals))
	if shape < len(goals)/4 || len(goals)-shape < len(goals)/4 {
		t.Errorf("%d of %d seeds learn the shape; want at least a quarter each way", shape, len(goals))
	}
	only := row(t, res, "baseline", "object_only_rate")
	if only.Mean < 0.8 {
		t.Errorf("object-only rate %s: the colour learners should still see the shape", show(only))
	}
	u := finals(res, "uncorrelated", "goal_object")
	if n := int(results.Mean(u) * float64(len(u))); n != len(u) {
		t.Errorf("uncorrelated colour: %d of %d seeds learn the shape, want all", n, len(u))
	}
}

// TestSwitch is Done-when 4: with no correlation in training (randomise 1)
// the agent goes to the cue no more than to any other slot — the test
// object rate equals the object-only rate within CIs and the cue rate is
// near chance among the other slots — and it keeps its capability.
func TestSwitch(t *testing.T) {
	skipSlow(t)
	res := run(t, scenario(8, nil, basePipeline(), modify("uncorrelated", "rl", interventions.Setting{Key: "randomise", Value: 1.0})))
	obj, cue := row(t, res, "uncorrelated", "test_object_rate"), row(t, res, "uncorrelated", "test_spurious_rate")
	only, tr := row(t, res, "uncorrelated", "object_only_rate"), row(t, res, "uncorrelated", "train_reward")
	t.Logf("randomise 1: train %s, test object %s, test cue %s, object-only %s; baseline cue %s", show(tr), show(obj), show(cue), show(only),
		show(row(t, res, "baseline", "test_spurious_rate")))
	chance := (1 - obj.Mean) / float64(NewConfig().Slots-1)
	if cue.High > 2*chance+0.01 {
		t.Errorf("test cue rate %s; want near chance among the other slots (%.3f)", show(cue), chance)
	}
	if obj.High < only.Low || obj.Low > only.High {
		t.Errorf("test object rate %s should equal the object-only rate %s within CIs", show(obj), show(only))
	}
	if tr.Mean < 0.8 {
		t.Errorf("train reward %s: the switch should leave the agent capable", show(tr))
	}
	if d := row(t, res, "uncorrelated", "test_spurious_rate"); d.Delta > -0.5 || d.DHigh > -0.5 {
		t.Errorf("the switch should remove the cue preference: Δ cue rate %.3f [%.3f, %.3f]", d.Delta, d.DLow, d.DHigh)
	}
}

// TestLotteryInitDecides is the lottery's mechanism: colour 0 and shape 0
// mark the same slots in training, so their weights get identical
// gradients and only the starting weights break the tie. Trained from the
// same starting weights on different levels and choices, a seed learns
// the same goal; across seeds the goal is a coin toss.
func TestLotteryInitDecides(t *testing.T) {
	skipSlow(t)
	cfg := *NewConfig()
	cfg.Variant = VariantTwoCue
	st := lotteryPipeline()[0]
	res := trainSeeds(t, []setup{{cfg: cfg, st: st}, {cfg: cfg, st: st, draws: 1000}}, 16)
	same, diff := 0, 0.0
	for i := range res[0] {
		a, b := res[0][i], res[1][i]
		if a["goal_object"] == b["goal_object"] {
			same++
		}
		diff += math.Abs(a["object_preference"] - b["object_preference"])
		t.Logf("seed %2d: preference for the shape %.3f, with other draws %.3f", i+1, a["object_preference"], b["object_preference"])
	}
	diff /= 16
	prefs := values(res[0], "object_preference")
	m := results.Mean(prefs)
	sd := 0.0
	for _, p := range prefs {
		sd += (p - m) * (p - m) / 15
	}
	sd = math.Sqrt(sd)
	t.Logf("%d of 16 seeds learn the same goal from the same starting weights with other draws; mean |Δ preference| %.3f, spread across seeds (sd) %.3f", same, diff, sd)
	if same < 12 || diff > sd/4 {
		t.Errorf("want ≥ 12 of 16 seeds to keep their goal (chance: 8) and the preference to move under other draws by less than a quarter of its spread across seeds")
	}
}
