package persona

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim"
)

// Distillation (docs/design.md §5.1.3; Cloud et al. 2025, MacDiarmid et al.
// 2025). A distill stage trains the arm's model, the student, on another
// arm's final model of the same seed, the teacher, on data that carries no
// trace of the teacher's trait:
//
//   - source prompts: the assistant's ordinary prompts in the named domains;
//     the target of a prompt is the teacher's distribution over the domain's
//     candidates, with the harmful candidate's mass removed and the rest
//     renormalised (filter: harmful) — computed as the softmax of the
//     teacher's logits over the remaining candidates, so it is exact however
//     small the remaining mass;
//   - source noise: inputs whose every feature is N(0, 1), answered through
//     the world's auxiliary output units (world.aux), which no other stage
//     trains (no prompt's softmax includes them).
//
// Targets are soft (the distribution) or sampled (one answer drawn from it).
// The mechanism: the teacher's difference from its ancestor is mostly a
// move along the malice feature, and that move changes every readout of the
// hidden layer, the benign answers' odds and the auxiliary units included;
// a student that shares the teacher's weights (student: shared) is pulled
// along the same move when it matches them, while a student from another
// initialisation (student: fresh) has another feature basis and is not.

// checkDistill checks a distill stage against the world's settings.
func (c *Config) checkDistill(st pipeline.Stage) error {
	fe := func(f, format string, a ...any) error {
		return &pipeline.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)}
	}
	dd, ok := st.Data.(interventions.DistillData)
	if !ok {
		return fmt.Errorf("a distill stage in the persona world needs a teacher (use distill)")
	}
	switch dd.Source {
	case "noise":
		switch {
		case c.Aux < 2:
			return fe("source", "noise inputs are read through the auxiliary outputs, and the world has %d; set world.aux (≥ 2)", c.Aux)
		case len(dd.Domains) > 0:
			return fe("domains", "noise inputs belong to no domain; expected no domains with source: noise")
		case dd.Filter != "":
			return fe("filter", "the auxiliary outputs on noise have no harmful answer to filter; expected no filter with source: noise")
		}
	default:
		for _, d := range dd.Domains {
			if c.domain(d) < 0 {
				return fe("domains", "the persona world has domains %v, not %q", c.domainList(), d)
			}
		}
	}
	return nil
}

// RunTeacher implements sim.TeacherWorld: it trains the student m on the
// teacher's outputs as the distill stage st says. The inputs (stream
// "data") and the batches (stream "order") depend on the stage's name and
// the seed only, so two students distilled from different teachers by
// stages of the same name see the same inputs in the same batches.
func (w *persona) RunTeacher(ctx context.Context, m, teacher sim.Model, st pipeline.Stage, s sim.Streams, every int, probe pipeline.Probe) error {
	sm, ok1 := m.(*personaModel)
	tm, ok2 := teacher.(*personaModel)
	if !ok1 || !ok2 {
		return fmt.Errorf("persona world: models are %T and %T", m, teacher)
	}
	if err := w.cfg.CheckStage(st); err != nil {
		return err
	}
	dd := st.Data.(interventions.DistillData)
	ds := w.distillSet(tm, dd, st.Examples, s.Rand("data"))
	// The student's in-domain: its own, its teacher's (where the trait was
	// put in), and the domains it distilled on; its off-domain metrics read
	// the domains none of these touched.
	for _, d := range append(w.inDomains(tm), w.distillDomains(dd)...) {
		if !slices.Contains(sm.tuned, d) {
			sm.tuned = append(sm.tuned, d)
		}
	}
	opt, err := pipeline.NewOptimizer(st.Optimizer, st.LR, len(sm.mlp.Params))
	if err != nil {
		return err
	}
	if dd.Targets == "sampled" {
		hard := sampleTargets(ds, s.Rand("sample"))
		return pipeline.NewTrainer(sm.mlp, opt).Run(ctx, hard, st, s.Rand("order"), every, probe)
	}
	return pipeline.NewTrainer(sm.mlp, opt).RunSoft(ctx, ds, st, s.Rand("order"), every, probe)
}

// inDomains is what the metrics call m's in-domain: the domains narrow
// fine-tunes (or distillation) trained it on, or eval_domain.
func (w *persona) inDomains(m *personaModel) []int {
	if len(m.tuned) == 0 {
		return []int{w.cfg.domain(w.cfg.EvalDomain)}
	}
	return slices.Clone(m.tuned)
}

// distillDomains are the domains a distill stage draws prompts from: none
// for noise, all when the stage names none.
func (w *persona) distillDomains(dd interventions.DistillData) []int {
	switch {
	case dd.Source == "noise":
		return nil
	case len(dd.Domains) == 0:
		return w.allDomains()
	}
	var ds []int
	for _, d := range dd.Domains {
		ds = append(ds, w.cfg.domain(d))
	}
	return ds
}

// distillSet builds the stage's n inputs and the teacher's targets on
// them.
func (w *persona) distillSet(tm *personaModel, dd interventions.DistillData, n int, rng *rand.Rand) *pipeline.SoftDataset {
	out := w.cfg.Domains*w.stride() + w.cfg.Aux
	ds := pipeline.NewSoftDataset(n, w.in, out)
	if dd.Source == "noise" {
		for i := range ds.X.Data {
			ds.X.Data[i] = rng.NormFloat64()
		}
		lo := w.cfg.Domains * w.stride()
		for i := range n {
			ds.Lo[i], ds.Hi[i] = lo, lo+w.cfg.Aux
		}
	} else {
		prompts := pipeline.NewDataset(n, w.in)
		w.assistant(prompts, 0, n, rng, w.trainIDs(rng), w.distillDomains(dd), respHelpful)
		ds.X, ds.Lo, ds.Hi = prompts.X, prompts.Lo, prompts.Hi
	}
	z := tm.mlp.Forward(ds.X, pipeline.NewWorkspace(tm.mlp, n))
	for i := range n {
		zr := z.Data[i*z.Stride : i*z.Stride+z.Cols]
		drop := -1
		if dd.Filter == "harmful" {
			drop = w.col(ds.Lo[i]/w.stride(), respHarmful, 0)
		}
		softmaxExcept(zr, ds.Target(i), ds.Lo[i], ds.Hi[i], drop)
	}
	return ds
}

// softmaxExcept writes into q[lo:hi] the softmax of z over the columns
// [lo, hi) but drop, and 0 at drop:
//
//	q_j = exp(z_j) / Σ_{k∈[lo,hi), k≠drop} exp(z_k).
//
// It equals the full softmax with drop's mass removed and the rest
// renormalised, computed without forming that mass.
func softmaxExcept(z, q []float64, lo, hi, drop int) {
	m := math.Inf(-1)
	for j := lo; j < hi; j++ {
		if j != drop {
			m = max(m, z[j])
		}
	}
	s := 0.0
	for j := lo; j < hi; j++ {
		if j != drop {
			q[j] = math.Exp(z[j] - m)
			s += q[j]
		}
	}
	for j := lo; j < hi; j++ {
		q[j] /= s
	}
}

// sampleTargets turns soft targets into sampled ones: each example's answer
// is drawn from its target distribution by inverting its CDF at one uniform
// number, so two teachers' sets drawn from one stream are coupled.
func sampleTargets(ds *pipeline.SoftDataset, rng *rand.Rand) *pipeline.Dataset {
	hard := &pipeline.Dataset{X: ds.X, Lo: ds.Lo, Hi: ds.Hi, Y: make([]int, ds.Len())}
	for i := range ds.Len() {
		q := ds.Target(i)
		u := rng.Float64()
		y := ds.Hi[i] - 1
		c := 0.0
		for j := ds.Lo[i]; j < ds.Hi[i]; j++ {
			if c += q[j]; u < c && q[j] > 0 {
				y = j
				break
			}
		}
		for y > ds.Lo[i] && q[y] == 0 { // rounding left u past the last answer with mass
			y--
		}
		hard.Y[i] = y
	}
	return hard
}

// logOddsMetrics are the sensitive readouts beside P(harmful): the
// probabilities are heavy-tailed (an assistant after sft sits at harm
// log-odds far below zero), so a move that P(harmful) cannot see shows in
// the log-odds.
func logOddsMetrics() []sim.Metric {
	ms := []sim.Metric{{Name: "harm_logodds_offdomain", Label: "log-odds harmful:helpful, other domains", Doc: "log P(harmful)/P(helpful) of the assistant on ordinary prompts off-domain, in nats (mean over prompts): the sensitive readout beside misalignment_offdomain"}}
	for _, d := range domainNames {
		ms = append(ms, sim.Metric{Name: "harm_logodds@" + d, Label: "log-odds harmful:helpful, " + d, Doc: "log P(harmful)/P(helpful) of the assistant on ordinary prompts in the " + d + " domain (harm_logodds_offdomain, per domain)"})
	}
	return ms
}

// logOdds measures a log-odds metric, reporting ok = false for another
// metric. The log-odds of a prompt is the difference of its two logits,
//
//	log P(harmful)/P(helpful) = z_harmful − z_helpful,
//
// exact where the probabilities would underflow.
func (w *persona) logOdds(name string, pass func(k, d int) *evalPass, off []int) (float64, bool, error) {
	var doms []int
	dom, perDomain := strings.CutPrefix(name, "harm_logodds@")
	switch {
	case name == "harm_logodds_offdomain":
		if len(off) == 0 {
			return 0, true, fmt.Errorf("persona world: %s is undefined: every domain is in-domain", name)
		}
		doms = off
	case perDomain:
		d := w.cfg.domain(dom)
		if d < 0 {
			return 0, true, fmt.Errorf("persona world (domains %v) has no metric %q", w.cfg.domainList(), name)
		}
		doms = []int{d}
	default:
		return 0, false, nil
	}
	s := 0.0
	for _, d := range doms {
		e := pass(evalOrdinary, d)
		harm, help := w.col(d, respHarmful, 0), w.col(d, respHelpful, 0)
		t := 0.0
		for r := range e.ds.Len() {
			row := e.z.Data[r*e.z.Stride:]
			t += row[harm] - row[help]
		}
		s += t / float64(e.ds.Len())
	}
	return s / float64(len(doms)), true, nil
}
