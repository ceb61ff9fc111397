package sim

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// Options control how a scenario is run; none of them changes its numbers.
type Options struct {
	// Workers is the number of seeds trained at once (default: the number of CPUs).
	Workers int
	// Progress, if not nil, is called with the training steps done so far and
	// the total, from one goroutine at a time.
	Progress func(done, total int)
	// SeedDone, if not nil, is called as each seed finishes, from one
	// goroutine at a time, with the seed's records (in Result order) or its
	// failure. An error from it stops the run.
	SeedDone func(seed int, recs []results.Record, failure *RunError) error
	// Only, if not nil, limits the run to the seeds it accepts (a shard of a
	// sweep); the others are neither trained nor in the Result.
	Only func(seed int) bool
	// KeepGoing lets the other seeds finish when one fails; without it the
	// first failure stops the run and Run returns it.
	KeepGoing bool
	// Previous, if not nil, returns what a seed produced in an earlier,
	// interrupted run; such a seed is not trained again.
	Previous func(seed int) (recs []results.Record, failure *RunError, ok bool)
}

// A Result is what running a scenario measured.
type Result struct {
	Arms    []string         // arm names, baseline first
	Metrics []string         // metric names, in the scenario's order
	Records []results.Record // every probe, ordered by arm, seed, stage, step, metric
	Summary []results.Summary
	// Contrasts are the scenario's paired contrasts between arms
	// (measure.contrasts), for every metric; none if it declares none.
	Contrasts []results.Contrast
	Failed    []RunError // seeds that failed; their records are left out
	// Intervals holds the bootstrap intervals behind Summary, for figures
	// drawn from the same records to reuse.
	Intervals *results.Intervals
}

// A RunError is the failure of one seed's runs.
type RunError struct {
	Seed  int
	Arms  []string // the arms that could not finish
	Stage string
	Err   error
}

func (e *RunError) Error() string {
	return fmt.Sprintf("seed %d, arms %v, stage %s: %v", e.Seed, e.Arms, e.Stage, e.Err)
}

func (e *RunError) Unwrap() error { return e.Err }

// A FailedError stops a run at its first failed seed (without KeepGoing).
type FailedError struct{ Err *RunError }

func (e *FailedError) Error() string {
	return e.Err.Error() + " (--keep-going lets the other seeds finish)"
}

func (e *FailedError) Unwrap() error { return e.Err }

// node is a stage in the tree of arms' pipelines: arms that share a prefix
// of stages share its nodes, so the prefix is trained once per seed and the
// model is copied where the arms part ways. The tree's root has one child
// per initialisation the arms start from (a fresh-initialised student has
// its own), and those children's subtrees are the pipelines.
type node struct {
	pos      int    // position of the stage in the pipeline; -1 above the stages
	init     string // for an initialisation node: the purpose of its init stream
	name     string // the stage's name: it keys the stage's random streams
	stage    pipeline.Stage
	teacher  int // the arm whose final model this stage learns from, or -1
	children []*node
	arms     []int // arms whose pipeline ends here
	steps    int   // training steps of this stage (for progress)
}

// A teacherData is a stage's data that names an arm (same seed) whose
// final model the stage learns from, as interventions.DistillData does.
type teacherData interface{ TeacherArm() string }

// A freshData is a stage's data that asks for its arm's whole pipeline to
// start from another initialisation.
type freshData interface{ FreshInit() bool }

// A TeacherWorld runs stages that learn from another arm's model: a stage
// whose Data names a teacher arm is run by RunTeacher with that arm's final
// model of the same seed (the runner trains teachers before their students).
type TeacherWorld interface {
	RunTeacher(ctx context.Context, student, teacher Model, st pipeline.Stage, s Streams, every int, probe pipeline.Probe) error
}

// Purposes of the init streams: the scenario's, and the one that a fresh
// student's pipeline starts from.
const (
	initStream      = "init"
	freshInitStream = "init:fresh"
)

// plan builds the tree of the arms' pipelines, names each arm's stages for
// its records, and marks the arms that teach another.
func plan(sc *scenarios.Scenario) (root *node, names [][]string, err error) {
	root = &node{pos: -1, teacher: -1}
	names = make([][]string, len(sc.Arms))
	armIndex := map[string]int{}
	for ai, arm := range sc.Arms {
		armIndex[arm.Name] = ai
	}
	for ai, arm := range sc.Arms {
		p, err := arm.Pipeline(sc.Baseline)
		if err != nil {
			return nil, nil, fmt.Errorf("arm %s: %w", arm.Name, err)
		}
		names[ai] = p.Names()
		init := initStream
		for _, st := range p {
			if f, ok := st.Data.(freshData); ok && f.FreshInit() {
				init = freshInitStream
			}
		}
		n := root.child(func(c *node) bool { return c.init == init }, func() *node {
			return &node{pos: -1, init: init, teacher: -1}
		})
		for pos, st := range p {
			teacher := -1
			if td, ok := st.Data.(teacherData); ok {
				t, ok := armIndex[td.TeacherArm()]
				if !ok || t == ai {
					return nil, nil, fmt.Errorf("arm %s: stage %s learns from arm %q, which is not another arm", arm.Name, names[ai][pos], td.TeacherArm())
				}
				teacher = t
			}
			n = n.child(func(c *node) bool {
				return c.name == names[ai][pos] && reflect.DeepEqual(c.stage, st)
			}, func() *node {
				return &node{pos: pos, name: names[ai][pos], stage: st, teacher: teacher, steps: stageSteps(st)}
			})
		}
		n.arms = append(n.arms, ai)
	}
	return root, names, nil
}

// child returns n's child that match accepts, adding the one made by make
// if there is none.
func (n *node) child(match func(*node) bool, make func() *node) *node {
	for _, c := range n.children {
		if match(c) {
			return c
		}
	}
	c := make()
	n.children = append(n.children, c)
	return c
}

// teachers reports which arms some stage learns from.
func (n *node) teachers(out []bool) []bool {
	if n.teacher >= 0 {
		out[n.teacher] = true
	}
	for _, c := range n.children {
		out = c.teachers(out)
	}
	return out
}

// stageSteps is the number of optimiser steps of st, for progress only.
func stageSteps(st pipeline.Stage) int {
	if st.Epochs > 0 {
		b := max(st.Batch, 1)
		if st.Batch == 0 {
			b = 32
		}
		return st.Epochs * ((st.Examples + b - 1) / b)
	}
	return st.Steps
}

func (n *node) totalSteps() int {
	t := n.steps
	for _, c := range n.children {
		t += c.totalSteps()
	}
	return t
}

// probe is the metrics of one model at one step of one stage.
type probe struct {
	pos, step int
	values    []float64
	ok        []bool // whether each value is defined (nil: all are)
}

// seedRun holds what one seed produced: per arm, its probes in time order.
type seedRun struct {
	perArm [][]probe
	err    *RunError
}

// seedResult is one seed's records, in Result order, or its failure.
type seedResult struct {
	recs []results.Record
	err  *RunError
	done bool
}

// Run trains every (seed, arm) of sc and measures it. Seeds run in parallel
// on opt.Workers goroutines; each seed's results depend only on the
// scenario and the seed, so the Result is the same for any worker count.
// A failed seed is reported in Result.Failed and the others still finish.
// When ctx is cancelled, seeds in flight stop at their next step and Run
// returns ctx's error; seeds that finished have been passed to SeedDone.
func Run(ctx context.Context, sc *scenarios.Scenario, opt Options) (*Result, error) {
	cfg, ok := sc.World.Config.(Config)
	if !ok {
		return nil, fmt.Errorf("world %q: its configuration (%T) cannot build the world; expected a sim.Config", sc.World.Kind, sc.World.Config)
	}
	root, names, err := plan(sc)
	if err != nil {
		return nil, err
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	metrics := sc.Measure.Metrics

	seeds := make([]seedResult, sc.Seeds)
	var todo []int
	for seed := range sc.Seeds {
		if opt.Only != nil && !opt.Only(seed) {
			continue
		}
		if opt.Previous != nil {
			if recs, fail, ok := opt.Previous(seed); ok {
				seeds[seed] = seedResult{recs: recs, err: fail, done: true}
				continue
			}
		}
		todo = append(todo, seed)
	}

	total := root.totalSteps() * len(todo)
	var done atomic.Int64
	var mu sync.Mutex // serialises the callbacks
	report := func(steps int) {
		d := int(done.Add(int64(steps)))
		if opt.Progress != nil {
			mu.Lock()
			opt.Progress(d, total)
			mu.Unlock()
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	queue := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(todo)) {
		wg.Go(func() {
			for seed := range queue {
				r := runSeed(ctx, cfg, sc, root, seed, metrics, report)
				if ctx.Err() != nil {
					continue // interrupted: this seed did not finish
				}
				sr := seedResult{err: r.err, done: true}
				if r.err == nil {
					sr.recs = seedRecords(sc, names, metrics, seed, r.perArm)
				}
				seeds[seed] = sr
				if opt.SeedDone != nil {
					mu.Lock()
					err := opt.SeedDone(seed, sr.recs, sr.err)
					mu.Unlock()
					if err != nil {
						cancel(err)
					}
				}
				if sr.err != nil && !opt.KeepGoing {
					cancel(&FailedError{Err: sr.err})
				}
			}
		})
	}
	for _, seed := range todo {
		if ctx.Err() != nil {
			break
		}
		queue <- seed
	}
	close(queue)
	wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}

	res := &Result{Arms: sc.ArmNames(), Metrics: metrics}
	// Records go arm by arm, then seed by seed.
	for _, arm := range res.Arms {
		for _, s := range seeds {
			for _, r := range s.recs {
				if r.Arm == arm {
					res.Records = append(res.Records, r)
				}
			}
		}
	}
	for _, s := range seeds {
		if s.err != nil {
			res.Failed = append(res.Failed, *s.err)
		}
	}
	res.Intervals = results.NewIntervals()
	res.Summary = res.Intervals.Summarise(res.Records, res.Arms, metrics, scenarios.BaselineArm)
	res.Contrasts = results.Contrasts(res.Records, contrastPairs(sc), metrics)
	return res, nil
}

// contrastPairs lists the scenario's contrasts as {arm, against} pairs.
func contrastPairs(sc *scenarios.Scenario) [][2]string {
	var ps [][2]string
	for _, c := range sc.Measure.Contrasts {
		ps = append(ps, [2]string{c.Arm, c.Against})
	}
	return ps
}

// seedRecords turns one seed's probes into records, arm by arm.
func seedRecords(sc *scenarios.Scenario, names [][]string, metrics []string, seed int, perArm [][]probe) []results.Record {
	var recs []results.Record
	for ai, arm := range sc.Arms {
		for _, pr := range perArm[ai] {
			for mi, m := range metrics {
				if pr.ok != nil && !pr.ok[mi] {
					continue // missing: no record
				}
				recs = append(recs, results.Record{
					Arm: arm.Name, Seed: seed, Stage: names[ai][pr.pos], Step: pr.step, Metric: m, Value: pr.values[mi],
				})
			}
		}
	}
	return recs
}

// runSeed trains the tree of pipelines for one seed, depth first, copying the
// model where arms part ways. A stage that learns from a teacher arm waits,
// with its model, until the teacher's pipeline has ended; the arms form a
// DAG (the loader checks), so every waiting stage runs.
func runSeed(ctx context.Context, cfg Config, sc *scenarios.Scenario, root *node, seed int, metrics []string, report func(int)) seedRun {
	out := seedRun{perArm: make([][]probe, len(sc.Arms))}
	fail := func(n *node, err error) seedRun {
		var arms []string
		var collect func(*node)
		collect = func(n *node) {
			for _, a := range n.arms {
				arms = append(arms, sc.Arms[a].Name)
			}
			for _, c := range n.children {
				collect(c)
			}
		}
		collect(n)
		out.err = &RunError{Seed: seed, Arms: arms, Stage: describeStage(n.name, n.stage), Err: err}
		return out
	}
	base := Streams{Seed: uint64(seed)}
	w, err := cfg.NewWorld(base)
	if err != nil {
		return fail(root, err)
	}
	teaches := root.teachers(make([]bool, len(sc.Arms)))
	final := make([]Model, len(sc.Arms)) // the teachers' final models
	type waiting struct {
		n    *node
		m    Model
		path []probe
	}
	var waits []waiting
	var walk func(n *node, m Model, path []probe) error
	walk = func(n *node, m Model, path []probe) error {
		switch {
		case n.init != "":
			var err error
			if m, err = w.NewModel(base.Rand(n.init)); err != nil {
				return &nodeError{n, err}
			}
		case n.pos >= 0:
			var teacher Model
			if n.teacher >= 0 {
				if teacher = final[n.teacher]; teacher == nil {
					waits = append(waits, waiting{n, m, path})
					return nil
				}
			}
			last := 0
			probeFn := func(step int) error {
				pr := probe{pos: n.pos, step: step, values: make([]float64, len(metrics))}
				var err error
				if pw, ok := w.(PartialWorld); ok {
					pr.ok = make([]bool, len(metrics))
					err = pw.MeasurePartial(m, metrics, pr.values, pr.ok)
				} else {
					err = w.Measure(m, metrics, pr.values)
				}
				if err != nil {
					return err
				}
				path = append(path, pr)
				report(step - last)
				last = step
				return nil
			}
			every := sc.Measure.Every
			if n.stage.Every > 0 {
				every = n.stage.Every
			}
			s := Streams{Seed: uint64(seed), Stage: n.name}
			var err error
			if teacher != nil {
				tw, ok := w.(TeacherWorld)
				if !ok {
					return &nodeError{n, fmt.Errorf("the %s world cannot run a stage that learns from another arm", sc.World.Kind)}
				}
				err = tw.RunTeacher(ctx, m, teacher, n.stage, s, every, probeFn)
			} else {
				err = w.Run(ctx, m, n.stage, s, every, probeFn)
			}
			if err != nil {
				var de *pipeline.DivergedError
				if errors.As(err, &de) || ctx.Err() == nil {
					return &nodeError{n, err}
				}
				return err
			}
		}
		for _, a := range n.arms {
			out.perArm[a] = path
			if teaches[a] {
				final[a] = m.Clone()
			}
		}
		for i, c := range n.children {
			cm := m
			if i < len(n.children)-1 && m != nil {
				cm = m.Clone()
			}
			// Each branch appends to its own copy of the shared path.
			if err := walk(c, cm, append([]probe(nil), path...)); err != nil {
				return err
			}
		}
		return nil
	}
	err = walk(root, nil, nil)
	for err == nil && len(waits) > 0 {
		ready := waits
		waits = nil
		ran := false
		for _, wt := range ready {
			if err != nil || final[wt.n.teacher] == nil {
				waits = append(waits, wt)
				continue
			}
			ran = true
			err = walk(wt.n, wt.m, wt.path)
		}
		if !ran && err == nil {
			err = &nodeError{waits[0].n, fmt.Errorf("arm %s never finished, so its students cannot run (the arms' teachers form a cycle)", sc.Arms[waits[0].n.teacher].Name)}
		}
	}
	if err != nil {
		var ne *nodeError
		if errors.As(err, &ne) {
			return fail(ne.n, ne.err)
		}
		return fail(root, err)
	}
	return out
}

type nodeError struct {
	n   *node
	err error
}

func (e *nodeError) Error() string { return e.err.Error() }

// describeStage names a stage for messages: its kind, where it came from and
// its learning rate, the knob a diverged run most often needs lowered.
func describeStage(name string, st pipeline.Stage) string {
	if st.Kind == "" {
		return "setup"
	}
	return fmt.Sprintf("%s (from %s, lr %g)", name, st.Label, st.LR)
}
