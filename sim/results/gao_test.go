package results

import (
	"math"
	"testing"
)

// TestFitGaoRecoversTheForm checks that the fit returns the α and β of
// points drawn from each form, with R² 1, and refuses too few distances.
func TestFitGaoRecoversTheForm(t *testing.T) {
	for _, f := range []Form{BestOfN, RL} {
		var d, g []float64
		for i := range 12 {
			x := 0.25 * float64(i)
			d, g = append(d, x), append(g, f.Eval(1.3, 0.4, x))
		}
		ft, err := FitGao(f, d, g)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(ft.Alpha-1.3) > 1e-9 || math.Abs(ft.Beta-0.4) > 1e-9 || math.Abs(ft.R2-1) > 1e-9 {
			t.Errorf("%v: got %+v, want α 1.3, β 0.4, R² 1", f, ft)
		}
		if p := f.Peak(1.3, 0.4); f == BestOfN && math.Abs(p-1.3/0.8) > 1e-12 || f == RL && math.Abs(p-math.Exp(1.3/0.4-1)) > 1e-12 {
			t.Errorf("%v: peak %v", f, p)
		}
	}
	if _, err := FitGao(BestOfN, []float64{0, 1}, []float64{0, 1}); err == nil {
		t.Error("fit through one distance > 0: want an error")
	}
	if _, err := ParseForm("gao"); err == nil {
		t.Error(`ParseForm("gao"): want an error`)
	}
}
