package goodhart

import (
	"fmt"
	"math"
	"slices"

	"github.com/natmo/natmo/sim/results"
)

// A Form is one of Gao et al.'s functional forms of the gold reward's gain
// R(d) over the reference policy, d = √KL:
//
//	best-of-n:  R(d) = d(α − β d)
//	RL:         R(d) = d(α − β log d)
type Form int

const (
	BestOfN Form = iota
	RL
)

// ParseForm returns the form named "bon" or "rl".
func ParseForm(s string) (Form, error) {
	switch s {
	case "bon":
		return BestOfN, nil
	case "rl":
		return RL, nil
	}
	return 0, fmt.Errorf("unknown form %q (want bon or rl)", s)
}

func (f Form) String() string {
	if f == RL {
		return "rl"
	}
	return "bon"
}

// h is the term β multiplies: d² or d log d (0 at d = 0).
func (f Form) h(d float64) float64 {
	if d <= 0 {
		return 0
	}
	if f == RL {
		return d * math.Log(d)
	}
	return d * d
}

// Eval returns d(α − β d) or d(α − β log d).
func (f Form) Eval(alpha, beta, d float64) float64 { return alpha*d - beta*f.h(d) }

// Peak returns the d at which the form's gain is largest when α, β > 0:
// α/(2β) for best-of-n, exp(α/β − 1) for RL; +Inf if β ≤ 0.
func (f Form) Peak(alpha, beta float64) float64 {
	if !(beta > 0) {
		return math.Inf(1)
	}
	if f == RL {
		return math.Exp(alpha/beta - 1)
	}
	return alpha / (2 * beta)
}

// A Fit is a least-squares fit of a form to (d, gain) points.
type Fit struct {
	Alpha, Beta float64
	R2          float64 // 1 − SS_res/SS_tot about the mean gain
}

// FitGao fits gain ≈ α d − β h(d) through the origin by least squares: the
// 2×2 normal equations of the regressors d and −h(d).
func FitGao(f Form, d, gain []float64) (Fit, error) {
	if len(d) != len(gain) {
		return Fit{}, fmt.Errorf("fit: %d distances but %d gains", len(d), len(gain))
	}
	var saa, sab, sbb, say, sby float64
	for i, x := range d {
		a, b, y := x, -f.h(x), gain[i]
		saa += a * a
		sab += a * b
		sbb += b * b
		say += a * y
		sby += b * y
	}
	det := saa*sbb - sab*sab
	if !(math.Abs(det) > 1e-12*(saa*sbb+1e-300)) {
		return Fit{}, fmt.Errorf("fit: need points at two or more distinct d > 0 (have %d points)", len(d))
	}
	ft := Fit{Alpha: (say*sbb - sby*sab) / det, Beta: (saa*sby - sab*say) / det}
	mean := results.Mean(gain)
	var res, tot float64
	for i, x := range d {
		r := gain[i] - f.Eval(ft.Alpha, ft.Beta, x)
		res += r * r
		tot += (gain[i] - mean) * (gain[i] - mean)
	}
	ft.R2 = 1
	if tot > 0 {
		ft.R2 = 1 - res/tot
	}
	return ft, nil
}

// ArmFit is the readout of one arm: Gao's form fitted to each seed's
// trajectory of gold_gain against d in one stage, summarised over seeds
// with 95% bootstrap intervals.
type ArmFit struct {
	Arm   string
	Form  Form
	Seeds []int
	Fits  []Fit // per seed, in Seeds' order
	// Mean and 95% CI over seeds of α, β and R².
	Alpha, AlphaLow, AlphaHigh float64
	Beta, BetaLow, BetaHigh    float64
	R2                         float64
}

// FitArms fits form to every arm's (d, gold_gain) probes of the named
// stage, seed by seed, from the records of a run (metrics.csv). Arms without
// both metrics in that stage are left out.
func FitArms(recs []results.Record, stage string, form Form) ([]ArmFit, error) {
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
			ft, err := FitGao(form, xs[seed], ys[seed])
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
