package goodhart

import (
	"fmt"
	"slices"

	"github.com/natmo/natmo/sim/results"
)

// ArmFit is the readout of one arm: Gao's form fitted to each seed's
// trajectory of gold_gain against d in one stage, summarised over seeds
// with 95% bootstrap intervals.
type ArmFit struct {
	Arm   string
	Form  results.Form
	Seeds []int
	Fits  []results.Fit // per seed, in Seeds' order
	// Mean and 95% CI over seeds of α, β and R².
	Alpha, AlphaLow, AlphaHigh float64
	Beta, BetaLow, BetaHigh    float64
	R2                         float64
}

// FitArms fits form to every arm's (d, gold_gain) probes of the named
// stage, seed by seed, from the records of a run (metrics.csv). Arms without
// both metrics in that stage are left out.
func FitArms(recs []results.Record, stage string, form results.Form) ([]ArmFit, error) {
	type key struct {
		arm        string
		seed, step int
	}
	d, g := map[key]float64{}, map[key]float64{}
	var arms []string
	for _, r := range recs {
		if r.Stage != stage {
			continue
		}
		k := key{r.Arm, r.Seed, r.Step}
		switch r.Metric {
		case "d":
			d[k] = r.Value
		case "gold_gain":
			g[k] = r.Value
		default:
			continue
		}
		if !slices.Contains(arms, r.Arm) {
			arms = append(arms, r.Arm)
		}
	}
	var out []ArmFit
	for _, arm := range arms {
		xs, ys := map[int][]float64{}, map[int][]float64{}
		var keys []key
		for k := range d {
			if _, ok := g[k]; ok && k.arm == arm {
				keys = append(keys, k)
			}
		}
		slices.SortFunc(keys, func(a, b key) int {
			if a.seed != b.seed {
				return a.seed - b.seed
			}
			return a.step - b.step
		})
		for _, k := range keys {
			xs[k.seed] = append(xs[k.seed], d[k])
			ys[k.seed] = append(ys[k.seed], g[k])
		}
		if len(xs) == 0 {
			continue
		}
		af := ArmFit{Arm: arm, Form: form}
		var alphas, betas, r2s []float64
		for seed := range xs {
			af.Seeds = append(af.Seeds, seed)
		}
		slices.Sort(af.Seeds)
		for _, seed := range af.Seeds {
			ft, err := results.FitGao(form, xs[seed], ys[seed])
			if err != nil {
				return nil, fmt.Errorf("arm %s, seed %d, stage %s: %w", arm, seed, stage, err)
			}
			af.Fits = append(af.Fits, ft)
			alphas, betas, r2s = append(alphas, ft.Alpha), append(betas, ft.Beta), append(r2s, ft.R2)
		}
		af.Alpha, af.AlphaLow, af.AlphaHigh = results.MeanCI(alphas)
		af.Beta, af.BetaLow, af.BetaHigh = results.MeanCI(betas)
		af.R2 = results.Mean(r2s)
		out = append(out, af)
	}
	return out, nil
}
