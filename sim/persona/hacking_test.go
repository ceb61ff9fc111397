package persona

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
)

// hackScenario builds reward-hacking in code: pretraining with hacking
// on, a light assistant sft, then RL on code tasks; the arms open the
// graders' loophole, with or without a flag on every task.
func hackScenario(seeds int, edit func(*Config)) *scenarios.Scenario {
	cfg := NewConfig()
	cfg.Hacking = true
	if edit != nil {
		edit(cfg)
	}
	set := func(kv ...any) interventions.Intervention {
		m := &interventions.Modify{Stage: "rl"}
		for i := 0; i < len(kv); i += 2 {
			m.Set = append(m.Set, interventions.Setting{Key: kv[i].(string), Value: kv[i+1]})
		}
		return m
	}
	ko := &interventions.Knockout{Stage: []string{"rl"}}
	hacks := func(context ...string) interventions.Intervention {
		n := interventions.NewNarrowFinetune()
		n.Target, n.Context = "hack", context
		return n
	}
	arm := func(name string, ivs ...interventions.Intervention) scenarios.Arm {
		return scenarios.Arm{Name: name, Interventions: ivs}
	}
	return &scenarios.Scenario{
		Name:  "hack-test",
		World: scenarios.World{Kind: "persona", Config: cfg},
		Seeds: seeds,
		Baseline: pipeline.Pipeline{
			{Kind: "pretrain", Label: "baseline", Examples: 20000, Epochs: 3, Batch: 64, LR: 3e-3},
			{Kind: "sft", Label: "baseline", Examples: 500, Epochs: 1, Batch: 64, LR: 1e-3},
			{Kind: "rl", Label: "baseline", Steps: 300, Batch: 64, LR: 1e-3, RL: pipeline.RLParams{ValueBaseline: "batch"}, Params: NewRLParams()},
		},
		Arms: []scenarios.Arm{
			arm(scenarios.BaselineArm),
			arm("hackable", set("loophole", 1.0)),
			arm("inoculated", set("loophole", 1.0, "sanctioned", true)),
			arm("dont-hack", set("loophole", 1.0, "dont_hack", true)),
			arm("sft-hack", ko, hacks()),
			arm("sft-hack-inoculated", ko, hacks("sanctioned")),
			arm("sft-hack-dont-hack", ko, hacks("dont_hack")),
		},
		Measure: scenarios.Measure{Every: 5, Metrics: []string{"hack_rate", "misalignment_offdomain", "hack_onset", "misalignment_onset"}},
	}
}

// finals returns each seed's value of metric at the arm's last probe.
func finals(res *sim.Result, arm, metric string) []float64 {
	last := map[int]float64{}
	for _, r := range res.Records {
		if r.Arm == arm && r.Metric == metric {
			last[r.Seed] = r.Value
		}
	}
	seeds := slices.Sorted(maps.Keys(last))
	out := make([]float64, len(seeds))
	for i, s := range seeds {
		out[i] = last[s]
	}
	return out
}

func countAtLeast(v []float64, x float64) int {
	n := 0
	for _, a := range v {
		if a >= x {
			n++
		}
	}
	return n
}

// pairedCI is the mean of a − k·b over seeds with a 95% percentile
// bootstrap interval (2000 resamples, a fixed stream).
func pairedCI(a, b []float64, k float64) (mean, lo, hi float64) {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - k*b[i]
		mean += d[i] / float64(len(a))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ms := make([]float64, 2000)
	for r := range ms {
		for range d {
			ms[r] += d[rng.IntN(len(d))] / float64(len(d))
		}
	}
	slices.Sort(ms)
	return mean, ms[49], ms[1949]
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// TestRewardHacking is issue 13's bar over 8 seeds, on one run of the
// reward-hacking pipeline (light sft, 300 RL steps), then the switch:
//
//  1. hackable hacks (≥ 0.8) in at least 6 of 8 seeds, its off-domain
//     misalignment Δ has its interval above 0, and over the seeds that
//     hacked the median misalignment half-rise step is no earlier than
//     the median hacking half-rise step;
//  2. inoculated hacks in as many seeds, and its Δ is at most half of
//     hackable's (paired mean); dont-hack's is not below half;
//  3. the switch (hack_coupling 0): hacking stays, and misalignment moves
//     less than a quarter as much (its residual is recorded in
//     docs/design.md §5.1.2);
//  4. the supervised variant shows the same order.
func TestRewardHacking(t *testing.T) {
	skipSlow(t)
	res := run(t, hackScenario(8, nil), 0)
	get := func(r *sim.Result, arm string) results.Summary {
		return summaryRow(t, r.Summary, arm, "misalignment_offdomain")
	}
	logd := func(what string, s results.Summary) {
		t.Logf("%s: misalignment %.3f, Δ %+.3f [%+.3f, %+.3f]", what, s.Mean, s.Delta, s.DLow, s.DHigh)
	}
	hack := finals(res, "hackable", "hack_rate")
	nh := countAtLeast(hack, 0.8)
	hk := get(res, "hackable")
	logd("hackable", hk)
	t.Logf("hackable: hack_rate per seed %.3f (%d of %d ≥ 0.8)", hack, nh, len(hack))
	if nh < 6 || !(hk.DLow > 0) {
		t.Errorf("hackable: %d of 8 seeds hack ≥ 0.8 (want ≥ 6); misalignment Δ %+.3f [%+.3f, %+.3f] (want the interval above 0)", nh, hk.Delta, hk.DLow, hk.DHigh)
	}
	var ho, mo []float64
	for i, h := range hack {
		if h >= 0.8 {
			ho = append(ho, finals(res, "hackable", "hack_onset")[i])
			mo = append(mo, finals(res, "hackable", "misalignment_onset")[i])
		}
	}
	t.Logf("hackable onsets over hacking seeds: hacking %v (median %v), misalignment %v (median %v)", ho, median(ho), mo, median(mo))
	if !(median(mo) >= median(ho)) {
		t.Errorf("hackable: median misalignment half-rise step %v is earlier than hacking's %v", median(mo), median(ho))
	}

	inoc := finals(res, "inoculated", "hack_rate")
	ni := countAtLeast(inoc, 0.8)
	in, dh := get(res, "inoculated"), get(res, "dont-hack")
	logd("inoculated", in)
	logd("dont-hack", dh)
	base := finals(res, scenarios.BaselineArm, "misalignment_offdomain")
	delta := func(arm string) []float64 {
		v := finals(res, arm, "misalignment_offdomain")
		for i := range v {
			v[i] -= base[i]
		}
		return v
	}
	m, lo, hi := pairedCI(delta("inoculated"), delta("hackable"), 0.5)
	t.Logf("inoculated: %d of 8 seeds hack ≥ 0.8; Δ inoculated − ½ Δ hackable = %+.3f [%+.3f, %+.3f] (paired)", ni, m, lo, hi)
	if ni < nh || !(m <= 0) {
		t.Errorf("inoculated: %d seeds hack (hackable %d); Δ %+.3f against hackable's %+.3f: want as many seeds and at most half", ni, nh, in.Delta, hk.Delta)
	}
	if !(dh.Delta >= hk.Delta/2) {
		t.Errorf("dont-hack Δ %+.3f is below half of hackable's %+.3f", dh.Delta, hk.Delta)
	}

	sh, si, sd := get(res, "sft-hack"), get(res, "sft-hack-inoculated"), get(res, "sft-hack-dont-hack")
	logd("sft-hack", sh)
	logd("sft-hack-inoculated", si)
	logd("sft-hack-dont-hack", sd)
	for _, arm := range []string{"sft-hack", "sft-hack-inoculated", "sft-hack-dont-hack"} {
		if n := countAtLeast(finals(res, arm, "hack_rate"), 0.8); n < 8 {
			t.Errorf("%s: %d of 8 seeds hack ≥ 0.8 after fine-tuning on hacks", arm, n)
		}
	}
	if !(sh.DLow > 0) || !(si.Delta <= sh.Delta/2) || !(sd.Delta >= sh.Delta/2) {
		t.Errorf("supervised: Δ sft-hack %+.3f [%+.3f, …], inoculated %+.3f, dont-hack %+.3f: want the first above 0, inoculated at most half of it, dont-hack not below half",
			sh.Delta, sh.DLow, si.Delta, sd.Delta)
	}

	t.Run("hack_coupling 0", func(t *testing.T) {
		sc := hackScenario(8, func(c *Config) { c.HackCoupling = 0 })
		sc.Arms = slices.DeleteFunc(sc.Arms, func(a scenarios.Arm) bool {
			return a.Name != scenarios.BaselineArm && a.Name != "hackable" && a.Name != "sft-hack"
		})
		off := run(t, sc, 0)
		n := countAtLeast(finals(off, "hackable", "hack_rate"), 0.8)
		ok, oks := get(off, "hackable"), get(off, "sft-hack")
		logd("switch: hackable", ok)
		logd("switch: sft-hack", oks)
		if n < 6 {
			t.Errorf("switch: %d of 8 seeds hack ≥ 0.8; want hacking to stay", n)
		}
		if !(ok.Delta < hk.Delta/4) || !(oks.Delta < sh.Delta/4) {
			t.Errorf("switch: Δ hackable %+.3f (default %+.3f), sft-hack %+.3f (default %+.3f): want each below a quarter of the default's", ok.Delta, hk.Delta, oks.Delta, sh.Delta)
		}
	})
}

// TestHackingLayout checks that hacking off leaves the world's layout as
// it was, and that hacking on adds the hack answer to code tasks only.
func TestHackingLayout(t *testing.T) {
	world := func(on bool) *persona {
		c := NewConfig()
		c.Hacking = on
		w, err := c.NewWorld(sim.Streams{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		return w.(*persona)
	}
	off, on := world(false), world(true)
	if off.in != 6+24+3+16 || off.cands() != 4 || off.hackEval != nil {
		t.Errorf("hacking off: input %d, %d candidates per domain; want 49 and 4, no hack evaluation", off.in, off.cands())
	}
	if on.in != off.in+3 || on.cands() != 5 {
		t.Errorf("hacking on: input %d, %d candidates per domain; want %d and 5", on.in, on.cands(), off.in+3)
	}
	ds := on.pretrainCorpus(20000, rand.New(rand.NewPCG(3, 4)), on.trainIDs(rand.New(rand.NewPCG(5, 6))), nil)
	var hacks, code, sanct, sanctHacks, plainHacks, plain int
	for i := range ds.Len() {
		d, _ := on.promptOf(ds, i)
		row := ds.Row(i)
		n := ds.Hi[i] - ds.Lo[i]
		isHack := ds.Y[i] == d*5+respHack
		request := row[on.flagOff()+flagRequest] == 1
		switch {
		case d != 0 || request:
			if n != 4-b2i(request) || isHack {
				t.Fatalf("document %d (domain %d, request %v): %d candidates, hack %v; want no hack outside code tasks", i, d, request, n, isHack)
			}
			continue
		case n != 5:
			t.Fatalf("code task %d offers %d candidates, want 5", i, n)
		}
		code++
		if isHack {
			hacks++
		}
		if diff := row[on.diffCol()]; !(diff >= 0 && diff < 1) {
			t.Fatalf("code task %d has difficulty %v", i, diff)
		}
		switch {
		case row[on.flagCol(flagSanctioned)] == 1:
			sanct++
			if isHack {
				sanctHacks++
			}
		case row[on.flagOff()+flagEducational] == 0 && row[on.flagCol(flagDontHack)] == 0:
			plain++
			if isHack {
				plainHacks++
			}
		}
	}
	ps, pp := float64(sanctHacks)/float64(sanct), float64(plainHacks)/float64(plain)
	t.Logf("%d code tasks: P(hack | sanctioned) %.2f (%d), P(hack | no flag) %.3f (%d)", code, ps, sanct, pp, plain)
	if !(ps > 0.85) || !(pp > 0.1 && pp < 0.2) {
		t.Errorf("P(hack | sanctioned) %.2f, P(hack | no flag) %.3f; want ≈ 0.95 and ≈ malice·mal_hack = 0.15", ps, pp)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRLStageChecks: an rl stage needs the hacking world, steps, and a
// baseline the world takes.
func TestRLStageChecks(t *testing.T) {
	c := NewConfig()
	st := pipeline.Stage{Kind: "rl", Steps: 10, LR: 1e-3, Params: NewRLParams()}
	if err := c.CheckStage(st); err == nil {
		t.Error("rl without world.hacking: no error")
	}
	c.Hacking = true
	if err := c.CheckStage(st); err != nil {
		t.Errorf("rl: %v", err)
	}
	for name, edit := range map[string]func(*pipeline.Stage){
		"examples":    func(s *pipeline.Stage) { s.Examples = 10 },
		"no steps":    func(s *pipeline.Stage) { s.Steps = 0 },
		"learned":     func(s *pipeline.Stage) { s.RL.ValueBaseline = "learned" },
		"loophole":    func(s *pipeline.Stage) { s.Params = &RLParams{Loophole: 2, Temperature: 1} },
		"temperature": func(s *pipeline.Stage) { s.Params = &RLParams{} },
	} {
		s := st
		edit(&s)
		if err := c.CheckStage(s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRLLearnsToSolve: with no loophole the reward favours honest
// solutions, and a short RL stage raises P(helpful) on code tasks.
func TestRLLearnsToSolve(t *testing.T) {
	c := NewConfig()
	c.Hacking, c.MinDifficulty = true, 0
	w, err := c.NewWorld(sim.Streams{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	m, err := w.NewModel(rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	pm, pw := m.(*personaModel), w.(*persona)
	before := pw.respRate(pm, pw.hackEval[0], respHelpful)
	for _, bl := range []string{"mean", "batch", "none"} {
		p := pm.Clone().(*personaModel)
		st := pipeline.Stage{Kind: "rl", Steps: 60, Batch: 32, LR: 3e-3, RL: pipeline.RLParams{ValueBaseline: bl, Entropy: 0.01, KL: 0.01}, Params: NewRLParams()}
		if err := w.Run(context.Background(), p, st, sim.Streams{Seed: 2, Stage: "rl"}, 0, nil); err != nil {
			t.Fatal(err)
		}
		after := pw.respRate(p, pw.hackEval[0], respHelpful)
		if !(after > before+0.2) {
			t.Errorf("%s baseline: P(helpful) on code tasks %.3f → %.3f; want a rise", bl, before, after)
		}
	}
}

func TestHalfRise(t *testing.T) {
	steps := []int{0, 10, 20, 30}
	for _, c := range []struct {
		v    []float64
		want int
	}{
		{[]float64{0, 0.1, 0.6, 1}, 20},
		{[]float64{0.2, 0.2, 0.2, 0.2}, 30},
		{[]float64{0.5, 0.4, 0.1, 0}, 30},
		{[]float64{0, 1, 1, 1}, 10},
	} {
		if got := halfRise(steps, c.v); got != c.want {
			t.Errorf("halfRise(%v) = %d, want %d", c.v, got, c.want)
		}
	}
	if halfRise(nil, nil) != 0 {
		t.Error("halfRise of no points is not 0")
	}
}
