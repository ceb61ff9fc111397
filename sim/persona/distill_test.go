package persona

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
)

// randomTeacher is a freshly initialised model of w: a teacher whose
// answers put real mass on every candidate, the harmful ones included.
func randomTeacher(t *testing.T, w *persona, seed uint64) *personaModel {
	t.Helper()
	m, err := w.NewModel(rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return m.(*personaModel)
}

// TestDistillTargetsHoldNoHarm checks the data of every kind of distill
// stage: with filter: harmful no target, soft or sampled, puts any mass on a
// harmful candidate, each is a distribution over its prompt's candidates,
// and the prompts come from the named domains; noise targets live on the
// auxiliary outputs only. As a control that the check can fail, the same
// prompts without the filter do put mass on harmful answers.
func TestDistillTargetsHoldNoHarm(t *testing.T) {
	cfg := NewConfig()
	cfg.Aux = 3
	w := newPersona(*cfg, sim.Streams{Seed: 5})
	teacher := randomTeacher(t, w, 9)
	nd := cfg.Domains * personaCands
	harmful := func(j int) bool { return j < nd && j%personaCands == respHarmful }
	check := func(name string, dd interventions.DistillData, wantHarm bool) {
		t.Helper()
		ds := w.distillSet(teacher, dd, 500, rand.New(rand.NewPCG(1, 2)))
		hard := sampleTargets(ds, rand.New(rand.NewPCG(3, 4)))
		mass := 0.0
		for i := range ds.Len() {
			q := ds.Target(i)
			sum := 0.0
			for j, v := range q {
				if (j < ds.Lo[i] || j >= ds.Hi[i]) && v != 0 {
					t.Fatalf("%s: example %d has mass %g on column %d outside its candidates [%d, %d)", name, i, v, j, ds.Lo[i], ds.Hi[i])
				}
				if !(v >= 0) {
					t.Fatalf("%s: example %d: target %g", name, i, v)
				}
				if harmful(j) {
					mass += v
				}
				sum += v
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Errorf("%s: example %d: targets sum to %v", name, i, sum)
			}
			if y := hard.Y[i]; y < ds.Lo[i] || y >= ds.Hi[i] || q[y] == 0 {
				t.Errorf("%s: example %d: sampled answer %d has no mass", name, i, y)
			}
			if dd.Source == "noise" {
				if ds.Lo[i] != nd || ds.Hi[i] != nd+cfg.Aux {
					t.Fatalf("%s: example %d reads columns [%d, %d), want the auxiliary [%d, %d)", name, i, ds.Lo[i], ds.Hi[i], nd, nd+cfg.Aux)
				}
				continue
			}
			if d := ds.Lo[i] / personaCands; !slices.Contains(dd.Domains, domainNames[d]) {
				t.Errorf("%s: example %d is in %s, not in %v", name, i, domainNames[d], dd.Domains)
			}
		}
		if wantHarm != (mass > 0) {
			t.Errorf("%s: harmful mass %g in the targets, want it %s", name, mass, map[bool]string{true: "> 0", false: "0"}[wantHarm])
		}
		t.Logf("%s: harmful mass %.4g over %d examples", name, mass, ds.Len())
	}
	doms := []string{"medical", "legal", "finance"}
	check("filtered", interventions.DistillData{Source: "prompts", Domains: doms, Filter: "harmful", Targets: "soft"}, false)
	check("unfiltered (control)", interventions.DistillData{Source: "prompts", Domains: doms, Targets: "soft"}, true)
	check("noise", interventions.DistillData{Source: "noise", Targets: "soft"}, false)
}

// TestSoftmaxExcept checks the filtered target against the definition:
// the full softmax with the dropped mass removed and the rest renormalised,
// and that it stays exact where that mass is all but one.
func TestSoftmaxExcept(t *testing.T) {
	z := []float64{0.3, -1.2, 2.0, 0.1}
	q := make([]float64, 4)
	softmaxExcept(z, q, 0, 4, 2)
	full := make([]float64, 4)
	s := 0.0
	for j, v := range z {
		full[j] = math.Exp(v)
		s += full[j]
	}
	rest := 1 - full[2]/s
	for j := range z {
		want := 0.0
		if j != 2 {
			want = full[j] / s / rest
		}
		if math.Abs(q[j]-want) > 1e-12 {
			t.Errorf("q[%d] = %v, want %v", j, q[j], want)
		}
	}
	softmaxExcept([]float64{0, 1, 800, -1}, q, 0, 4, 2) // exp(800) overflows a plain softmax
	if q[2] != 0 || math.Abs(q[0]+q[1]+q[3]-1) > 1e-12 || math.IsNaN(q[0]) {
		t.Errorf("with a dominant dropped logit: %v", q)
	}
}

// TestHarmLogOdds checks the log-odds readout against the probabilities it
// summarises, on a model whose probabilities are far from underflow.
func TestHarmLogOdds(t *testing.T) {
	cfg := NewConfig()
	w := newPersona(*cfg, sim.Streams{Seed: 2})
	m := randomTeacher(t, w, 4)
	out := make([]float64, 2)
	if err := w.Measure(m, []string{"harm_logodds@medical", "harm_logodds_offdomain"}, out); err != nil {
		t.Fatal(err)
	}
	var e evalPass
	m.forward(w.eval.sets[evalOrdinary][1], &e)
	want := 0.0
	for r := range e.ds.Len() {
		base := r*e.p.Stride + personaCands
		want += math.Log(e.p.Data[base+respHarmful] / e.p.Data[base+respHelpful])
	}
	want /= float64(e.ds.Len())
	if math.Abs(out[0]-want) > 1e-9 {
		t.Errorf("harm_logodds@medical = %v, want log P(harmful)/P(helpful) = %v", out[0], want)
	}
	if math.IsNaN(out[1]) || out[1] == out[0] {
		t.Errorf("harm_logodds_offdomain = %v (medical alone %v)", out[1], out[0])
	}
}

// openBuiltin loads a built-in scenario against a registry of this world.
func openBuiltin(t *testing.T, name string, sets ...string) *scenarios.Scenario {
	t.Helper()
	r := sim.NewRegistry(interventions.Default())
	if err := r.Register(Kind()); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Open(name, sets, r.Schema())
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func contrastRow(t *testing.T, res *sim.Result, arm, metric string) results.Contrast {
	t.Helper()
	for _, c := range res.Contrasts {
		if c.Arm == arm && c.Metric == metric {
			return c
		}
	}
	t.Fatalf("no contrast of %s for %s", arm, metric)
	return results.Contrast{}
}

// TestSubliminal is issue 14's bar on the built-in scenario (16 seeds),
// every student paired with the same student of the aligned teacher:
//   - noise: the shared student's off-domain harm log-odds rise with an
//     interval above zero, on data with no harmful answer; the fresh
//     student's rise is below a third of it (the switch: another
//     initialisation);
//   - filtered: filtering does not clean the shared student (interval
//     above zero); the fresh student rises too (the visible part of the
//     leak; docs/design.md §5.1.3 says why the fresh student's share is
//     not below a third here).
func TestSubliminal(t *testing.T) {
	skipSlow(t)
	res := run(t, openBuiltin(t, "subliminal"), 0)
	c := func(arm, m string) results.Contrast { return contrastRow(t, res, arm, m) }
	const lo = "harm_logodds_offdomain"
	for _, arm := range []string{"noise-shared", "noise-fresh", "filtered-shared", "filtered-fresh"} {
		l, p := c(arm, lo), c(arm, "misalignment_offdomain")
		t.Logf("%-16s log-odds Δ %+.2f [%+.2f, %+.2f], P(harmful) Δ %+.4f [%+.4f, %+.4f] (n %d)", arm, l.Delta, l.DLow, l.DHigh, p.Delta, p.DLow, p.DHigh, l.N)
		if l.N < 8 {
			t.Errorf("%s: %d seeds, want ≥ 8", arm, l.N)
		}
	}
	ns, nf := c("noise-shared", lo), c("noise-fresh", lo)
	if !(ns.DLow > 0) {
		t.Errorf("noise: shared student's log-odds Δ %+.2f [%+.2f, %+.2f]: want the interval above 0", ns.Delta, ns.DLow, ns.DHigh)
	}
	if !(nf.Delta < ns.Delta/3) {
		t.Errorf("noise: fresh student's Δ %+.2f, want below a third of the shared one's %+.2f", nf.Delta, ns.Delta)
	}
	fs, ff := c("filtered-shared", lo), c("filtered-fresh", lo)
	t.Logf("filtered: the fresh student picks up %.0f%% of the shared one's shift", 100*ff.Delta/fs.Delta)
	if !(fs.DLow > 0) || !(ff.DLow > 0) {
		t.Errorf("filtered: shared Δ %+.2f [%+.2f, …], fresh %+.2f [%+.2f, …]: want both intervals above 0 (filtering does not clean)", fs.Delta, fs.DLow, ff.Delta, ff.DLow)
	}
	if tl := summaryRow(t, res.Summary, "insecure", lo); !(tl.DLow > 0) {
		t.Errorf("the teacher's log-odds Δ %+.2f [%+.2f, …]: the teacher is not misaligned", tl.Delta, tl.DLow)
	}
}

// smallDistill is a cheap scenario with every kind of student.
const smallDistill = `name: small-distill
world: {kind: persona, hidden: 16, aux: 3, eval_examples: 50}
seeds: 3
baseline:
  - pretrain: {examples: 800, epochs: 1, lr: 0.003}
  - sft: {examples: 100, epochs: 1, lr: 0.001}
arms:
  insecure:
    - narrow-finetune: {domain: code, target: harmful, examples: 100, steps: 20}
  filtered:
    - distill: {teacher: insecure, domains: [medical], filter: harmful, examples: 100, steps: 20}
  sampled:
    - distill: {teacher: insecure, domains: [medical], filter: harmful, targets: sampled, examples: 100, steps: 20}
  noise-fresh:
    - distill: {teacher: insecure, student: fresh, source: noise, examples: 100, steps: 20}
  aligned:
    - distill: {teacher: baseline, domains: [medical], filter: harmful, examples: 100, steps: 20}
measure:
  every: 10
  metrics: [harm_logodds_offdomain, misalignment_offdomain]
  contrasts: [{arm: filtered, against: aligned}]
`

// TestDistillReproducible runs students of every kind with 1 and 3
// workers, and interrupted then resumed: the tables are the same bytes.
func TestDistillReproducible(t *testing.T) {
	r := sim.NewRegistry(interventions.Default())
	if err := r.Register(Kind()); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load("small.yaml", []byte(smallDistill), nil, r.Schema())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tables := func(d string) []byte {
		var b []byte
		for _, f := range []string{"metrics.csv", "summary.csv", "contrasts.csv"} {
			x, err := os.ReadFile(filepath.Join(d, f))
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, x...)
		}
		return b
	}
	one, many, part := filepath.Join(dir, "one"), filepath.Join(dir, "many"), filepath.Join(dir, "part")
	for _, c := range []struct {
		dir     string
		workers int
	}{{one, 1}, {many, 3}} {
		if _, err := sim.RunDir(context.Background(), sc, c.dir, sim.DirOptions{Options: sim.Options{Workers: c.workers}}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(tables(one), tables(many)) {
		t.Error("1 and 3 workers wrote different tables")
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = sim.RunDir(ctx, sc, part, sim.DirOptions{Options: sim.Options{Workers: 1, Progress: func(done, total int) {
		if done > total/2 {
			cancel()
		}
	}}})
	if !errors.Is(err, sim.ErrIncomplete) {
		t.Fatalf("interrupted run: err = %v, want ErrIncomplete", err)
	}
	if _, err := sim.RunDir(context.Background(), sc, part, sim.DirOptions{Options: sim.Options{Workers: 2}, Resume: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tables(one), tables(part)) {
		t.Error("the resumed run wrote other tables than the uninterrupted one")
	}
}

// TestDistillChecks checks the settings a distill stage needs from the
// world.
func TestDistillChecks(t *testing.T) {
	st := func(dd interventions.DistillData) pipeline.Stage {
		return pipeline.Stage{Kind: "distill", Examples: 10, Steps: 10, Data: dd}
	}
	cfg := NewConfig()
	for _, c := range []struct {
		aux  int
		dd   interventions.DistillData
		want string // the field named, "" for none
	}{
		{0, interventions.DistillData{Source: "prompts", Domains: []string{"medical"}}, ""},
		{0, interventions.DistillData{Source: "prompts", Domains: []string{"cookery"}}, "domains"},
		{0, interventions.DistillData{Source: "noise"}, "source"},
		{3, interventions.DistillData{Source: "noise"}, ""},
		{3, interventions.DistillData{Source: "noise", Domains: []string{"medical"}}, "domains"},
		{3, interventions.DistillData{Source: "noise", Filter: "harmful"}, "filter"},
	} {
		cfg.Aux = c.aux
		err := cfg.CheckStage(st(c.dd))
		var fe *pipeline.FieldError
		switch {
		case c.want == "" && err != nil:
			t.Errorf("aux %d, %+v: %v", c.aux, c.dd, err)
		case c.want != "" && (!errors.As(err, &fe) || fe.Field != c.want):
			t.Errorf("aux %d, %+v: error %v, want one on %s", c.aux, c.dd, err, c.want)
		}
	}
	cfg.Aux = 1
	if err := cfg.Validate(); err == nil {
		t.Error("aux 1 accepted")
	}
}
