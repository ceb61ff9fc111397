package goodhart

import (
	"slices"
	"testing"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim/results"
)

// TestBestOfNOverOptimises checks Done-when 1: best-of-n against the
// learned proxy raises the proxy at every doubling of n (paired by seed),
// while gold peaks and is lower at n = 1024 than at its peak; Gao's
// d(α − βd) fits with α > 0 and β > 0.
func TestBestOfNOverOptimises(t *testing.T) {
	skipSlow(t)
	trs := runSeeds(t, NewConfig(), testSeeds, []pipeline.Stage{rmStage(nil), bonStage(1024)})
	steps := len(trs[0]["proxy"])
	for k := 1; k < steps; k++ {
		m, lo, hi := ci(over(trs, func(tr trajectory) float64 { return tr["proxy"][k] - tr["proxy"][k-1] }))
		if !(lo > 0) {
			t.Errorf("n = %d: proxy gain over n/2 %.3f [%.3f, %.3f], want CI above 0", 1<<k, m, lo, hi)
		}
	}
	fall := over(trs, func(tr trajectory) float64 { g := tr["gold"]; return slices.Max(g) - g[len(g)-1] })
	m, lo, hi := ci(fall)
	t.Logf("gold peak − gold at n = 1024: %.3f [%.3f, %.3f]; peak n per seed %v", m, lo, hi,
		over(trs, func(tr trajectory) float64 { return float64(int(1) << argmax(tr["gold"])) }))
	if !(lo > 0) {
		t.Errorf("gold at n = 1024 is not below its peak: difference %.3f [%.3f, %.3f]", m, lo, hi)
	}
	var alphas, betas, r2s []float64
	for _, tr := range trs {
		ft, err := results.FitGao(results.BestOfN, tr["d"], tr["gold_gain"])
		if err != nil {
			t.Fatal(err)
		}
		alphas, betas, r2s = append(alphas, ft.Alpha), append(betas, ft.Beta), append(r2s, ft.R2)
	}
	am, alo, ahi := ci(alphas)
	bm, blo, bhi := ci(betas)
	t.Logf("d(α − βd): α %.3f [%.3f, %.3f], β %.3f [%.3f, %.3f], R² %v", am, alo, ahi, bm, blo, bhi, r2s)
	if !(alo > 0 && blo > 0) {
		t.Errorf("want α > 0 and β > 0 (CI lows), got α [%.3f, %.3f], β [%.3f, %.3f]", alo, ahi, blo, bhi)
	}
}

// TestRLOverOptimises checks Done-when 2: along RL against the learned
// proxy (no KL penalty), the proxy keeps rising past the point where gold
// peaks, and gold falls from its peak.
func TestRLOverOptimises(t *testing.T) {
	skipSlow(t)
	trs := runSeeds(t, NewConfig(), testSeeds, []pipeline.Stage{rmStage(nil), rlStage(0)})
	rise := over(trs, func(tr trajectory) float64 { p := tr["proxy"]; return p[len(p)-1] - p[argmax(tr["gold"])] })
	fall := over(trs, func(tr trajectory) float64 { g := tr["gold"]; return slices.Max(g) - g[len(g)-1] })
	rm, rlo, rhi := ci(rise)
	fm, flo, fhi := ci(fall)
	t.Logf("proxy at the end − at gold's peak %.3f [%.3f, %.3f]; gold peak − end %.3f [%.3f, %.3f]; peak probe per seed %v",
		rm, rlo, rhi, fm, flo, fhi, over(trs, func(tr trajectory) float64 { return float64(argmax(tr["gold"])) }))
	if !(rlo > 0) {
		t.Errorf("proxy does not keep rising past gold's peak: %.3f [%.3f, %.3f]", rm, rlo, rhi)
	}
	if !(flo > 0) {
		t.Errorf("gold does not fall from its peak: %.3f [%.3f, %.3f]", fm, flo, fhi)
	}
}

// TestBiasedLabellerRaisesSycophancy checks Done-when 3: under best-of-n,
// labellers who favour agreeing with the user make sycophancy (agreeing
// with a user who is wrong) rise; fair labellers do not.
func TestBiasedLabellerRaisesSycophancy(t *testing.T) {
	skipSlow(t)
	cfg := NewConfig()
	fair := runSeeds(t, cfg, testSeeds, []pipeline.Stage{rmStage(nil), bonStage(1024)})
	biased := runSeeds(t, cfg, testSeeds, []pipeline.Stage{rmStage(func(p *RMParams) { p.Bias = 0.3 }), bonStage(1024)})
	rise := func(tr trajectory) float64 { s := tr["sycophancy"]; return s[len(s)-1] - s[0] }
	bm, blo, bhi := ci(over(biased, rise))
	fm, flo, fhi := ci(over(fair, rise))
	t.Logf("sycophancy n = 1024 − n = 1: biased %+.3f [%+.3f, %+.3f], fair %+.3f [%+.3f, %+.3f]", bm, blo, bhi, fm, flo, fhi)
	if !(blo > 0) {
		t.Errorf("biased labellers: sycophancy does not rise: %+.3f [%+.3f, %+.3f]", bm, blo, bhi)
	}
	if flo > 0 {
		t.Errorf("fair labellers: sycophancy rises too: %+.3f [%+.3f, %+.3f]", fm, flo, fhi)
	}
}

// TestGoldProxyNeverFalls checks Done-when 4, the switch: optimising gold
// itself (by best-of-n and by RL), gold at the end is not below its peak.
func TestGoldProxyNeverFalls(t *testing.T) {
	skipSlow(t)
	gold := rmStage(func(p *RMParams) { p.Proxy = "gold" })
	for _, c := range []struct {
		name  string
		stage pipeline.Stage
	}{{"bon", bonStage(1024)}, {"rl", rlStage(0)}} {
		trs := runSeeds(t, NewConfig(), testSeeds, []pipeline.Stage{gold, c.stage})
		diff := over(trs, func(tr trajectory) float64 { g := tr["gold"]; return g[len(g)-1] - slices.Max(g) })
		m, lo, hi := ci(diff)
		gm, glo, ghi := ci(over(trs, func(tr trajectory) float64 { g := tr["gold_gain"]; return g[len(g)-1] }))
		t.Logf("%s against gold: gold at the end − its peak %.4f [%.4f, %.4f]; gold gain at the end %.3f [%.3f, %.3f]", c.name, m, lo, hi, gm, glo, ghi)
		if hi < 0 {
			t.Errorf("%s against gold: gold falls from its peak: %.4f [%.4f, %.4f]", c.name, m, lo, hi)
		}
	}
}

// TestThinTailsLeaveLittleToOverOptimise checks the second switch: with
// Gaussian features (tails 0) gold falls much less from its peak by
// n = 1024 than with heavy tails, paired by seed.
func TestThinTailsLeaveLittleToOverOptimise(t *testing.T) {
	skipSlow(t)
	stages := []pipeline.Stage{rmStage(nil), bonStage(1024)}
	gauss := NewConfig()
	gauss.Tails = 0
	heavy := runSeeds(t, NewConfig(), testSeeds, stages)
	thin := runSeeds(t, gauss, testSeeds, stages)
	fall := func(tr trajectory) float64 { g := tr["gold"]; return slices.Max(g) - g[len(g)-1] }
	diff := make([]float64, testSeeds)
	for i := range diff {
		diff[i] = fall(heavy[i]) - fall(thin[i])
	}
	tm, tlo, thi := ci(over(thin, fall))
	m, lo, hi := ci(diff)
	t.Logf("gold peak − gold at n = 1024: Gaussian %.3f [%.3f, %.3f]; heavy − Gaussian %.3f [%.3f, %.3f]", tm, tlo, thi, m, lo, hi)
	if !(lo > 0) {
		t.Errorf("thin tails do not reduce the fall: heavy − Gaussian %.3f [%.3f, %.3f]", m, lo, hi)
	}
}
