package persona

import (
	"context"
	"math/rand/v2"
	"slices"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim"
)

// The lag (docs/design.md §5.1.4). During a narrow fine-tune the world
// keeps, at every probe, the model's in-domain and off-domain
// misalignment; the half-rise of each is the step at which it first
// reached half its rise from the stage's start to the latest probe
// (linearly interpolated between probes, 0 if it did not rise). The stage's
// dense setting probes its first steps one by one, so that a lag of a few
// steps can be resolved. With early_stop the stage ends at the first step
// after which the in-domain rate of its target reaches that level.

// trackPoint is one probe of a fine-tune: the step and the in-domain and
// off-domain P(harmful).
type trackPoint struct {
	step    int
	in, off float64
}

// lagMetrics are the readouts of the model's last narrow fine-tune.
func lagMetrics() []sim.Metric {
	return []sim.Metric{
		{Name: "halfrise_indomain", Label: "half-rise step, fine-tuned domain", Doc: "step of the last narrow fine-tune at which misalignment_indomain reached half its rise over the stage so far (0 without a fine-tune or a rise); probe densely (dense:) to resolve it"},
		{Name: "halfrise_offdomain", Label: "half-rise step, other domains", Doc: "the same for misalignment_offdomain"},
		{Name: "lag", Label: "lag of other domains behind the fine-tuned one (steps)", Doc: "halfrise_offdomain − halfrise_indomain: how many steps off-domain misalignment trails the narrow task"},
		{Name: "finetune_steps", Label: "fine-tuning steps trained", Doc: "steps the last narrow fine-tune has trained (with early_stop: where it stopped); 0 without one"},
	}
}

// halfRiseAt is the step at which series x (of points p) first reached
// x₀ + (x_last − x₀)/2, interpolated linearly between probes.
func halfRiseAt(p []trackPoint, x func(trackPoint) float64) float64 {
	if len(p) < 2 {
		return 0
	}
	x0, x1 := x(p[0]), x(p[len(p)-1])
	half := x0 + (x1-x0)/2
	if !(x1 > x0) {
		return 0
	}
	for i := 1; i < len(p); i++ {
		if a, b := x(p[i-1]), x(p[i]); b >= half {
			if b == a {
				return float64(p[i].step)
			}
			f := (half - a) / (b - a)
			return float64(p[i-1].step) + max(0, f)*float64(p[i].step-p[i-1].step)
		}
	}
	return float64(p[len(p)-1].step)
}

// lagValue returns a lag metric of pm, and whether name is one.
func lagValue(pm *personaModel, name string) (float64, bool) {
	in := func(p trackPoint) float64 { return p.in }
	off := func(p trackPoint) float64 { return p.off }
	switch name {
	case "halfrise_indomain":
		return halfRiseAt(pm.track, in), true
	case "halfrise_offdomain":
		return halfRiseAt(pm.track, off), true
	case "lag":
		return halfRiseAt(pm.track, off) - halfRiseAt(pm.track, in), true
	case "finetune_steps":
		if len(pm.track) == 0 {
			return 0, true
		}
		return float64(pm.track[len(pm.track)-1].step), true
	}
	return 0, false
}

// train runs stage st on ds. A narrow fine-tune keeps its track and, with
// early_stop, is checked after every step; other stages train as they are.
func (w *persona) train(ctx context.Context, pm *personaModel, tr *pipeline.Trainer, ds *pipeline.Dataset, st pipeline.Stage, rng *rand.Rand, every int, probe pipeline.Probe) error {
	if st.Kind != "finetune" {
		return tr.Run(ctx, ds, st, rng, every, probe)
	}
	nd := st.Data.(interventions.NarrowData)
	pm.track = nil
	last := -1
	record := func(s int) error {
		if s == last {
			return nil
		}
		last = s
		pm.track = append(pm.track, w.trackPoint(pm, s))
		if probe == nil {
			return nil
		}
		return probe(s)
	}
	if nd.EarlyStop == 0 {
		return tr.Run(ctx, ds, st, rng, every, record)
	}
	total := st.TotalSteps(ds.Len())
	resp := respNames[nd.Target]
	inner := st
	inner.Dense = 0
	return tr.Run(ctx, ds, inner, rng, 1, func(s int) error {
		if s == 0 || st.Probed(s, every, total) {
			if err := record(s); err != nil {
				return err
			}
		}
		if w.evals(pm).inDomainRate(resp) < nd.EarlyStop {
			return nil
		}
		if err := record(s); err != nil {
			return err
		}
		return pipeline.ErrStop
	})
}

// inDomainRate is the model's mean P(resp) on the ordinary evaluation
// prompts of the domains it was fine-tuned on.
func (v evals) inDomainRate(resp int) float64 {
	s := 0.0
	for _, d := range v.pm.tuned {
		s += v.w.prob(v.pass(evalOrdinary, d), resp)
	}
	return s / float64(len(v.pm.tuned))
}

// trackPoint measures the model's in-domain and off-domain P(harmful) at
// step s (off-domain 0 if every domain has been fine-tuned).
func (w *persona) trackPoint(pm *personaModel, s int) trackPoint {
	ev := w.evals(pm)
	p := trackPoint{step: s, in: ev.inDomainRate(respHarmful)}
	n := 0
	for d := range w.cfg.Domains {
		if slices.Contains(pm.tuned, d) {
			continue
		}
		p.off += w.prob(ev.pass(evalOrdinary, d), respHarmful)
		n++
	}
	if n > 0 {
		p.off /= float64(n)
	}
	return p
}
