package plots

import (
	"cmp"
	"fmt"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// armStages returns each arm's stages in the order its records visit them.
func armStages(recs []results.Record) map[string][]string {
	out := map[string][]string{}
	for _, r := range recs {
		if st := out[r.Arm]; !slices.Contains(st, r.Stage) {
			out[r.Arm] = append(st, r.Stage)
		}
	}
	return out
}

// A boundary is where one of an arm's stages starts on a whole-run axis.
type boundary struct {
	arm, stage string
	x          float64
}

// wholeRun puts each arm's stages one after the other on one step axis:
// a record at step s of an arm's k-th stage moves to step s + the lengths of
// its stages before k (a stage's length is its last probed step). It returns
// the records under the stage scenarios.StageAll, and where each stage after
// an arm's first begins.
func wholeRun(recs []results.Record) ([]results.Record, []boundary) {
	length := map[[2]string]int{}
	for _, r := range recs {
		k := [2]string{r.Arm, r.Stage}
		length[k] = max(length[k], r.Step)
	}
	stages := armStages(recs)
	offset := map[[2]string]int{}
	var bs []boundary
	for arm, sts := range stages {
		at := 0
		for i, st := range sts {
			offset[[2]string{arm, st}] = at
			if i > 0 {
				bs = append(bs, boundary{arm, st, float64(at)})
			}
			at += length[[2]string{arm, st}]
		}
	}
	slices.SortFunc(bs, func(a, b boundary) int {
		return cmp.Or(cmp.Compare(a.arm, b.arm), cmp.Compare(a.x, b.x))
	})
	out := make([]results.Record, len(recs))
	for i, r := range recs {
		r.Step += offset[[2]string{r.Arm, r.Stage}]
		r.Stage = scenarios.StageAll
		out[i] = r
	}
	return out, bs
}

// vlines draws thin dotted vertical lines across a panel, one per boundary,
// in the colour of the boundary's arm.
type vlines struct {
	bs     []boundary
	styles map[string]armStyle
}

// Plot implements plot.Plotter.
func (v vlines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, b := range v.bs {
		ls := v.styles[b.arm].line()
		ls.Width = vg.Points(0.6)
		ls.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
		x := trX(b.x)
		c.StrokeLines(ls, c.ClipLinesY([]vg.Point{{X: x, Y: c.Min.Y}, {X: x, Y: c.Max.Y}})...)
	}
}

// notShown lists, for a curves figure of one stage, the stages that some
// arm runs after it: the figure does not draw them, and says so.
func notShown(recs []results.Record, arms []string, stage string) string {
	stages := armStages(recs)
	var parts []string
	for _, a := range arms {
		sts := stages[a]
		i := slices.Index(sts, stage)
		if i < 0 || i == len(sts)-1 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", a, joinAnd(sts[i+1:])))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf(" Not drawn: stages after %s of %s; stage: all shows them.", stage, joinAnd(parts))
}
