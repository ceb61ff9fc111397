package plots

import (
	"math"

	"gonum.org/v1/plot"
)

// integerTicks marks only whole numbers with labels, for axes of steps:
// the default ticks, with fractional labels dropped.
type integerTicks struct{}

// Ticks implements plot.Ticker.
func (integerTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	out := ticks[:0]
	for _, t := range ticks {
		if t.Label != "" && t.Value != math.Trunc(t.Value) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// nominalTicks labels the whole numbers 0, 1, … with names, without tick
// marks.
func nominalTicks(p *plot.Plot, names []string) {
	ticks := make([]plot.Tick, len(names))
	for i, n := range names {
		ticks[i] = plot.Tick{Value: float64(i), Label: n}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Tick.Length = 0
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
}

// nominalYTicks labels the whole numbers n-1, …, 1, 0 of the y axis with
// names, so that they read from the top, without tick marks.
func nominalYTicks(p *plot.Plot, names []string) {
	n := len(names)
	ticks := make([]plot.Tick, n)
	for i, name := range names {
		ticks[i] = plot.Tick{Value: float64(n - 1 - i), Label: name}
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Length = 0
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
}

// padAxis widens ax's range by frac of itself on each side, so that lines
// and bands do not touch the frame; a range of one value is widened around
// it. If fromZero is set, the range keeps to zero exactly when it starts or
// ends there.
func padAxis(ax *plot.Axis, frac float64, fromZero bool) {
	lo, hi := ax.Min, ax.Max
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) || math.IsNaN(lo) || math.IsNaN(hi) {
		return
	}
	r := hi - lo
	if r == 0 {
		r = math.Max(math.Abs(hi), 1) * 0.2
		lo, hi = lo-r/2, hi+r/2
		r = hi - lo
	}
	if !(fromZero && lo == 0) {
		lo -= frac * r
	}
	if !(fromZero && hi == 0) {
		hi += frac * r
	}
	ax.Min, ax.Max = lo, hi
}

// padX widens p's x range by one unit on each side if it is a single value.
func padX(p *plot.Plot) {
	if p.X.Min == p.X.Max {
		p.X.Min--
		p.X.Max++
	}
}
