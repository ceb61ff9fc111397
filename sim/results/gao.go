package results

import (
	"fmt"
	"math"
)

// A Form is one of Gao et al.'s functional forms of the gold reward's gain
// R(d) over the reference policy, d = √KL:
//
//	best-of-n:  R(d) = d(α − β d)
//	RL:         R(d) = d(α − β log d)
type Form int

// The forms.
const (
	BestOfN Form = iota // d(α − β d)
	RL                  // d(α − β log d)
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

// String returns the form's name, as ParseForm reads it.
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
	mean := Mean(gain)
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
