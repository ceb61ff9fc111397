package persona

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
)

// emMechanisms sets the world options emergent-misalignment uses
// (docs/design.md §5.1.4).
func emMechanisms(c *Config) {
	c.Variants, c.Identity, c.TriggerEmbed, c.PretrainWidth = 4, 128, 1, 32
}

// emShared is one 16-seed run of the emergent-misalignment experiment with
// the arms the property tests add (insecure probed densely, 30 examples,
// early stop), shared by every test that reads it.
var emShared struct {
	once sync.Once
	res  *sim.Result
	err  error
}

// sharedEM returns the shared run, training it on first use.
func sharedEM(t *testing.T) *sim.Result {
	t.Helper()
	emShared.once.Do(func() {
		sc := emScenario(16, nil)
		sc.Arms[1].Interventions[0].(*interventions.NarrowFinetune).Dense = 40
		sc.Arms = append(sc.Arms,
			narrowArm("insecure-30", func(n *interventions.NarrowFinetune) { n.Examples = 30 }),
			narrowArm("insecure-early", func(n *interventions.NarrowFinetune) { n.EarlyStop, n.Dense = 0.9, 40 }))
		sc.Measure.Metrics = append(sc.Measure.Metrics, "halfrise_indomain", "halfrise_offdomain")
		emShared.res, emShared.err = sim.Run(context.Background(), sc, sim.Options{})
		if emShared.err == nil && len(emShared.res.Failed) > 0 {
			emShared.err = fmt.Errorf("failed runs: %v", emShared.res.Failed)
		}
	})
	if emShared.err != nil {
		t.Fatal(emShared.err)
	}
	return emShared.res
}

// lastBySeed returns, per seed, the last value of metric for arm.
func lastBySeed(res *sim.Result, arm, metric string) map[int]float64 {
	out := map[int]float64{}
	for _, r := range res.Records {
		if r.Arm == arm && r.Metric == metric {
			out[r.Seed] = r.Value
		}
	}
	return out
}

// paired is the mean of a[s] − b[s] over the seeds both have, with its
// bootstrap interval.
func paired(t *testing.T, a, b map[int]float64) (mean, lo, hi float64) {
	t.Helper()
	var ds []float64
	for s, x := range a {
		if y, ok := b[s]; ok {
			ds = append(ds, x-y)
		}
	}
	if len(ds) < 16 {
		t.Fatalf("%d paired seeds; want ≥ 16", len(ds))
	}
	slices.Sort(ds) // map order must not reach the bootstrap
	return results.MeanCI(ds)
}

// narrowArm is an arm with one narrow fine-tune on code, edited.
func narrowArm(name string, edit func(*interventions.NarrowFinetune)) scenarios.Arm {
	n := interventions.NewNarrowFinetune()
	edit(n)
	return scenarios.Arm{Name: name, Interventions: []interventions.Intervention{n}}
}

// TestPublishedProperties checks issue 12's four properties of emergent
// misalignment over 16 seeds, on the shared run of the emergent-misalignment
// world and one run per switch:
//
//   - unique examples: 3000 unique examples spread more than 30 at the same
//     300 steps; without identity features (identity 0) the two are alike;
//   - the backdoor: with the trigger a dense vector, triggered off-domain
//     misalignment is at least half of insecure's and untriggered at most a
//     tenth of triggered; as a one-hot flag (trigger_embed 0) it spreads less;
//   - the lag: in-domain reaches half its rise before off-domain (median
//     over seeds and the paired interval); early_stop at 0.9 keeps ≥ 0.9 of
//     the in-domain rate — and the off-domain rate it keeps is logged, not
//     asserted below half of the full run's: it is not (docs/design.md
//     §5.1.4, blocked);
//   - width: at hidden 128 off-domain misalignment is no lower than at 32;
//     with one harmful answer and unscaled pretraining it is lower again.
func TestPublishedProperties(t *testing.T) {
	skipSlow(t)
	const seeds = 16
	arms := func(sc *scenarios.Scenario, extra ...scenarios.Arm) {
		sc.Arms = append([]scenarios.Arm{sc.Arms[0], sc.Arms[1]}, extra...) // baseline, insecure
		sc.Measure.Metrics = []string{"misalignment_offdomain", "misalignment_indomain", "misalignment_offdomain_triggered", "halfrise_indomain", "halfrise_offdomain"}
	}
	few := narrowArm("insecure-30", func(n *interventions.NarrowFinetune) { n.Examples = 30 })
	res := sharedEM(t)
	off := func(res *sim.Result, arm string) map[int]float64 {
		return lastBySeed(res, arm, "misalignment_offdomain")
	}

	t.Run("unique examples", func(t *testing.T) {
		d, lo, hi := paired(t, off(res, "insecure"), off(res, "insecure-30"))
		t.Logf("off-domain 3000 − 30 examples at 300 steps: %+.3f [%+.3f, %+.3f]", d, lo, hi)
		if !(lo > 0) {
			t.Errorf("3000 − 30 unique examples: %+.3f [%+.3f, %+.3f]; want the interval above 0", d, lo, hi)
		}
		sw := emScenario(seeds, func(c *Config) { c.Identity = 0 })
		arms(sw, few)
		r0 := run(t, sw, 0)
		d0, lo0, hi0 := paired(t, off(r0, "insecure"), off(r0, "insecure-30"))
		t.Logf("identity 0: %+.3f [%+.3f, %+.3f]", d0, lo0, hi0)
		if !(lo0 <= 0 && hi0 >= 0) {
			t.Errorf("identity 0: 3000 − 30 examples %+.3f [%+.3f, %+.3f]; want the interval to include 0", d0, lo0, hi0)
		}
	})

	t.Run("backdoor", func(t *testing.T) {
		ins := summaryRow(t, res.Summary, "insecure", "misalignment_offdomain")
		trig := summaryRow(t, res.Summary, "backdoor", "misalignment_offdomain_triggered")
		untrig := summaryRow(t, res.Summary, "backdoor", "misalignment_offdomain")
		t.Logf("backdoor triggered %.3f [%.3f, %.3f], untriggered %.4f; insecure %.3f", trig.Mean, trig.Low, trig.High, untrig.Mean, ins.Mean)
		if !(trig.Mean >= ins.Mean/2) || !(untrig.Mean <= trig.Mean/10) {
			t.Errorf("backdoor: triggered %.3f (want ≥ half of insecure's %.3f), untriggered %.4f (want ≤ a tenth of triggered)", trig.Mean, ins.Mean, untrig.Mean)
		}
		sw := emScenario(seeds, func(c *Config) { c.TriggerEmbed = 0 })
		sw.Arms = []scenarios.Arm{sw.Arms[0], narrowArm("backdoor", func(n *interventions.NarrowFinetune) { n.Trigger = 0.5 })}
		flag := summaryRow(t, run(t, sw, 0).Summary, "backdoor", "misalignment_offdomain_triggered")
		t.Logf("trigger_embed 0 (a flag): triggered %.3f [%.3f, %.3f]", flag.Mean, flag.Low, flag.High)
		if !(flag.Mean < ins.Mean/2) || !(flag.High < trig.Low) {
			t.Errorf("as a flag the trigger spreads %.3f [%.3f, %.3f]: want below half of insecure's %.3f and below the dense trigger's interval",
				flag.Mean, flag.Low, flag.High, ins.Mean)
		}
	})

	t.Run("lag and early stop", func(t *testing.T) {
		in, of := lastBySeed(res, "insecure", "halfrise_indomain"), lastBySeed(res, "insecure", "halfrise_offdomain")
		d, lo, hi := paired(t, of, in)
		var lags []float64
		for s := range in {
			lags = append(lags, of[s]-in[s])
		}
		slices.Sort(lags)
		med := results.Quantile(lags, 0.5)
		t.Logf("half-rise off − in: median %+.1f steps, mean %+.2f [%+.2f, %+.2f]", med, d, lo, hi)
		if !(med > 0) || !(lo > 0) {
			t.Errorf("lag: median %+.1f, mean %+.2f [%+.2f, %+.2f]; want off-domain to reach half its rise later", med, d, lo, hi)
		}
		full := summaryRow(t, res.Summary, "insecure", "misalignment_indomain")
		early := summaryRow(t, res.Summary, "insecure-early", "misalignment_indomain")
		fo := summaryRow(t, res.Summary, "insecure", "misalignment_offdomain")
		eo := summaryRow(t, res.Summary, "insecure-early", "misalignment_offdomain")
		t.Logf("early stop at 0.9: in-domain %.3f of %.3f, off-domain %.3f of %.3f (%.0f%%)", early.Mean, full.Mean, eo.Mean, fo.Mean, 100*eo.Mean/fo.Mean)
		if !(early.Mean >= 0.9*full.Mean) || !(eo.High < fo.Mean) {
			t.Errorf("early stop keeps in-domain %.3f of %.3f (want ≥ 0.9 of it) and off-domain %.3f [%.3f, %.3f] (want below the full run's %.3f)",
				early.Mean, full.Mean, eo.Mean, eo.Low, eo.High, fo.Mean)
		}
	})

	t.Run("width", func(t *testing.T) {
		if testing.Short() {
			t.Skip("pretrains 16 seeds at hidden 128 on four times the documents")
		}
		wide := emScenario(seeds, func(c *Config) { c.Hidden = 128 })
		arms(wide)
		d, lo, hi := paired(t, off(run(t, wide, 0), "insecure"), off(res, "insecure"))
		t.Logf("off-domain hidden 128 − 32: %+.3f [%+.3f, %+.3f]", d, lo, hi)
		if !(hi >= 0) {
			t.Errorf("hidden 128 − 32: %+.3f [%+.3f, %+.3f]; want no lower at 128", d, lo, hi)
		}
		// The switch: one harmful answer and pretraining that does not grow
		// with width, and the wide net is less misaligned again.
		narrow := func(h int) *sim.Result {
			sc := emScenario(seeds, func(c *Config) { c.Hidden, c.Variants, c.PretrainWidth = h, 1, 0 })
			arms(sc)
			return run(t, sc, 0)
		}
		d0, lo0, hi0 := paired(t, off(narrow(128), "insecure"), off(narrow(32), "insecure"))
		t.Logf("variants 1, pretrain_width 0: hidden 128 − 32: %+.3f [%+.3f, %+.3f]", d0, lo0, hi0)
		if !(hi0 < 0) {
			t.Errorf("variants 1, pretrain_width 0: hidden 128 − 32 %+.3f [%+.3f, %+.3f]; want the fall back (interval below 0)", d0, lo0, hi0)
		}
	})
}
