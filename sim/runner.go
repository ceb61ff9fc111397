package sim

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
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
	// goroutine at a time, with the seed's records (in Result order) and
	// its failure, if any: with KeepGoing a failed seed passes the records
	// of its arms that finished, without it none. An error from it stops
	// the run.
	SeedDone func(seed int, recs []results.Record, failure *RunError) error
	// Only, if not nil, limits the run to the seeds it accepts (a shard of a
	// sweep); the others are neither trained nor in the Result.
	Only func(seed int) bool
	// KeepGoing lets the other seeds finish when one fails, and a failed
	// seed keep the records of its arms that finished (those below no
	// failed stage and learning from no failed arm); without it the first
	// failure stops the run and Run returns it.
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
	// Failed lists the seeds that failed, one RunError each; the arms it
	// names have no records of that seed. Without KeepGoing no record of a
	// failed seed is kept; with it, its other arms' records are.
	Failed []RunError
	// Intervals holds the bootstrap intervals behind Summary, for figures
	// drawn from the same records to reuse.
	Intervals *results.Intervals
}

// A RunError is the failure of one seed's runs: Stage and Err are the
// first failure the seed met (in the order Run of its scenario alone
// trains it); Arms are every arm that could not finish, those below that
// stage first. With KeepGoing the seed's other branches still train, and
// any further failure among them adds its arms to Arms and its stage and
// error to Err ("...; and arms [...], stage ...: ...").
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
	return e.Err.Error() + " (--keep-going lets the other seeds, and this seed's arms that did not fail, finish)"
}

func (e *FailedError) Unwrap() error { return e.Err }

// node is a stage in the tree of pipelines: pipelines that share a prefix
// of stages share its nodes, so the prefix is trained once per seed and the
// model is copied where they part ways. The tree spans the arms of one
// scenario, or of every point of a sweep that shares the world and the
// measurements (see plan). The root has one child per initialisation the
// pipelines start from (a fresh-initialised student has its own), and
// those children's subtrees are the pipelines.
type node struct {
	pos      int    // position of the stage in the pipeline; -1 above the stages
	init     string // for an initialisation node: the purpose of its init stream
	name     string // the stage's name: it keys the stage's random streams
	stage    pipeline.Stage
	teacher  leaf // the arm whose final model this stage learns from, or arm -1
	children []*node
	leaves   []leaf // pipelines that end here
	steps    int    // training steps of this stage (for progress)
}

// A leaf is where one arm's pipeline ends: arm Arm of point Point (the
// scenario's index in plan's list).
type leaf struct{ point, arm int }

// noTeacher is the teacher of a stage that learns from no arm.
var noTeacher = leaf{-1, -1}

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

// plan builds the tree of the pipelines of every arm of every scenario in
// scs, which must share their world and measurements, names each arm's
// stages for its records (names[point][arm][pos]), and marks the arms
// that teach another. A stage joins a node when its name and its resolved
// settings equal the node's and its ancestry does: its random streams are
// keyed by the seed and its name, so it trains to the same bits wherever
// it runs. A stage that learns from a teacher arm is shared only within
// its point (the teacher's pipeline is part of its ancestry).
func plan(scs ...*scenarios.Scenario) (root *node, names [][][]string, err error) {
	root = &node{pos: -1, teacher: noTeacher}
	names = make([][][]string, len(scs))
	for pi, sc := range scs {
		names[pi] = make([][]string, len(sc.Arms))
		armIndex := map[string]int{}
		for ai, arm := range sc.Arms {
			armIndex[arm.Name] = ai
		}
		for ai, arm := range sc.Arms {
			p, err := arm.Pipeline(sc.Baseline)
			if err != nil {
				return nil, nil, fmt.Errorf("arm %s: %w", arm.Name, err)
			}
			names[pi][ai] = p.Names()
			init := initStream
			for _, st := range p {
				if f, ok := st.Data.(freshData); ok && f.FreshInit() {
					init = freshInitStream
				}
			}
			n := root.child(func(c *node) bool { return c.init == init }, func() *node {
				return &node{pos: -1, init: init, teacher: noTeacher}
			})
			for pos, st := range p {
				teacher := noTeacher
				if td, ok := st.Data.(teacherData); ok {
					t, ok := armIndex[td.TeacherArm()]
					if !ok || t == ai {
						return nil, nil, fmt.Errorf("arm %s: stage %s learns from arm %q, which is not another arm", arm.Name, names[pi][ai][pos], td.TeacherArm())
					}
					teacher = leaf{pi, t}
				}
				n = n.child(func(c *node) bool {
					return c.name == names[pi][ai][pos] && c.teacher == teacher && reflect.DeepEqual(c.stage, st)
				}, func() *node {
					return &node{pos: pos, name: names[pi][ai][pos], stage: st, teacher: teacher, steps: stageSteps(st)}
				})
			}
			n.leaves = append(n.leaves, leaf{pi, ai})
		}
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

// teachers reports which arms of which points some stage learns from.
func (n *node) teachers(out map[leaf]bool) map[leaf]bool {
	if n.teacher != noTeacher {
		out[n.teacher] = true
	}
	for _, c := range n.children {
		out = c.teachers(out)
	}
	return out
}

// sameTree reports whether two scenarios' pipelines can share a tree: the
// same world (which generates every stage's data) and the same
// measurements (which every node records along the way).
func sameTree(a, b *scenarios.Scenario) bool {
	return reflect.DeepEqual(a.World, b.World) && reflect.DeepEqual(a.Measure, b.Measure)
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

// has reports whether a leaf of a wanted point lies at or below n.
func (n *node) has(want []bool) bool {
	for _, l := range n.leaves {
		if want[l.point] {
			return true
		}
	}
	for _, c := range n.children {
		if c.has(want) {
			return true
		}
	}
	return false
}

// totalSteps counts the steps of the nodes that lead to a wanted point's
// leaf, each once.
func (n *node) totalSteps(want []bool) int {
	if !n.has(want) {
		return 0
	}
	t := n.steps
	for _, c := range n.children {
		t += c.totalSteps(want)
	}
	return t
}

// probe is the metrics of one model at one step of one stage.
type probe struct {
	pos, step int
	values    []float64
	ok        []bool // whether each value is defined (nil: all are)
}

// seedRun holds what one seed produced for each point: per arm, its probes
// in time order, or the point's failure.
type seedRun struct {
	perArm [][][]probe // [point][arm]
	errs   []*RunError // [point]
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
// A failed seed is reported in Result.Failed; with opt.KeepGoing the other
// seeds still finish and the failed seed's healthy arms keep their records,
// else Run stops with a *FailedError.
// When ctx is cancelled, seeds in flight stop at their next step and Run
// returns ctx's error; seeds that finished have been passed to SeedDone.
func Run(ctx context.Context, sc *scenarios.Scenario, opt Options) (*Result, error) {
	seeds := make([]seedResult, sc.Seeds)
	var todo []bool
	for seed := range sc.Seeds {
		if opt.Only != nil && !opt.Only(seed) {
			todo = append(todo, false)
			continue
		}
		if opt.Previous != nil {
			if recs, fail, ok := opt.Previous(seed); ok {
				seeds[seed] = seedResult{recs: recs, err: fail, done: true}
				todo = append(todo, false)
				continue
			}
		}
		todo = append(todo, true)
	}
	metrics := sc.Measure.Metrics
	err := runTree(ctx, []*scenarios.Scenario{sc}, treeOptions{
		Workers:   opt.Workers,
		KeepGoing: opt.KeepGoing,
		Progress:  opt.Progress,
		Want:      func(_, seed int) bool { return todo[seed] },
		UnitDone: func(_, seed int, recs []results.Record, failure *RunError) error {
			seeds[seed] = seedResult{recs: recs, err: failure, done: true}
			if opt.SeedDone != nil {
				return opt.SeedDone(seed, recs, failure)
			}
			return nil
		},
		Failed: func(_ int, f *FailedError) error { return f },
	})
	if err != nil {
		return nil, err
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

// treeOptions control runTree. A unit is one seed of one point (an index
// into runTree's scenarios).
type treeOptions struct {
	Workers   int
	KeepGoing bool
	Progress  func(done, total int)
	// Want reports whether a unit is to be trained.
	Want func(point, seed int) bool
	// UnitDone receives a trained unit's records (in Result order) and its
	// failure, if any (with KeepGoing a failed unit passes the records of
	// its arms that finished); an error from it stops the run.
	UnitDone func(point, seed int, recs []results.Record, failure *RunError) error
	// Failed gives the error that stops the run at a failed unit (without
	// KeepGoing).
	Failed func(point int, f *FailedError) error
}

// runTree trains the wanted units of scs, which share their world and
// measurements, on one tree of pipelines: for each seed, every stage that
// the points share is trained once and the model copied where they part
// ways. Seeds run in parallel on opt.Workers goroutines; the callbacks are
// called from one goroutine at a time. A unit's records are those Run would
// give its point alone, to the bit.
func runTree(ctx context.Context, scs []*scenarios.Scenario, opt treeOptions) error {
	sc0 := scs[0]
	cfg, ok := sc0.World.Config.(Config)
	if !ok {
		return fmt.Errorf("world %q: its configuration (%T) cannot build the world; expected a sim.Config", sc0.World.Kind, sc0.World.Config)
	}
	root, names, err := plan(scs...)
	if err != nil {
		return err
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	metrics := sc0.Measure.Metrics
	wants, todo, total := unitsOf(root, scs, opt.Want)

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
				want := wants[seed]
				r := runSeed(ctx, cfg, scs, root, seed, metrics, want, opt.KeepGoing, report)
				if ctx.Err() != nil {
					continue // interrupted: this seed did not finish
				}
				for p, sc := range scs {
					if !want[p] {
						continue
					}
					// Without KeepGoing a failed unit keeps nothing, as its
					// point alone stops at the failure; with it, the arms
					// that finished keep their records.
					var recs []results.Record
					if r.errs[p] == nil || opt.KeepGoing {
						recs = seedRecords(sc, names[p], metrics, seed, r.perArm[p], r.errs[p])
					}
					mu.Lock()
					err := opt.UnitDone(p, seed, recs, r.errs[p])
					mu.Unlock()
					if err != nil {
						cancel(err)
					}
					if r.errs[p] != nil && !opt.KeepGoing {
						cancel(opt.Failed(p, &FailedError{Err: r.errs[p]}))
					}
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
		return context.Cause(ctx)
	}
	return nil
}

// unitsOf lists, seed by seed, the points whose units want accepts
// (wants[seed][point]), the seeds with any, and the training steps of the
// tree that lead to them, each counted once per seed.
func unitsOf(root *node, scs []*scenarios.Scenario, want func(point, seed int) bool) (wants [][]bool, todo []int, total int) {
	for seed := 0; ; seed++ {
		w, any, more := make([]bool, len(scs)), false, false
		for p, sc := range scs {
			if seed < sc.Seeds {
				more = true
				w[p] = want(p, seed)
				any = any || w[p]
			}
		}
		if !more {
			return wants, todo, total
		}
		wants = append(wants, w)
		if any {
			todo = append(todo, seed)
			total += root.totalSteps(w)
		}
	}
}

// seedRecords turns one seed's probes into records, arm by arm, leaving
// out the arms that failure names (nil: none).
func seedRecords(sc *scenarios.Scenario, names [][]string, metrics []string, seed int, perArm [][]probe, failure *RunError) []results.Record {
	var recs []results.Record
	for ai, arm := range sc.Arms {
		if failure != nil && slices.Contains(failure.Arms, arm.Name) {
			continue
		}
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
// model where pipelines part ways, along the branches that lead to a wanted
// point. A stage that learns from a teacher arm waits, with its model,
// until the teacher's pipeline has ended; the arms form a DAG (the loader
// checks), so every waiting stage runs unless its teacher failed. A stage
// that fails fails every arm below it, and the students of those arms.
// Each point's failure is the first it would meet trained alone
// (failuresOf), so that it reads as Run of that point reports it; with
// keepGoing every branch is trained and the point's failure names every
// failed stage, in that order.
func runSeed(ctx context.Context, cfg Config, scs []*scenarios.Scenario, root *node, seed int, metrics []string, want []bool, keepGoing bool, report func(int)) seedRun {
	out := seedRun{perArm: make([][][]probe, len(scs)), errs: make([]*RunError, len(scs))}
	for p, sc := range scs {
		out.perArm[p] = make([][]probe, len(sc.Arms))
	}
	failed := map[*node]error{}
	pending := 0 // wanted points that have not failed
	for _, w := range want {
		if w {
			pending++
		}
	}
	isFailed := make([]bool, len(scs))
	failedLeaf := map[leaf]bool{} // arms that cannot finish
	fail := func(n *node, err error) {
		failed[n] = err
		var mark func(*node)
		mark = func(n *node) {
			for _, l := range n.leaves {
				failedLeaf[l] = true
				if want[l.point] && !isFailed[l.point] {
					isFailed[l.point] = true
					pending--
				}
			}
			for _, c := range n.children {
				mark(c)
			}
		}
		mark(n)
	}
	// Alone and without keepGoing, a point's run stops at its first failure
	// (nothing else of the seed is kept); with other points in the tree, or
	// with keepGoing, the rest runs on.
	stop := func() bool { return !keepGoing && len(scs) == 1 && pending == 0 }
	base := Streams{Seed: uint64(seed)}
	w, err := cfg.NewWorld(base)
	if err != nil {
		fail(root, err)
	}
	teaches := root.teachers(map[leaf]bool{})
	final := map[leaf]Model{} // the teachers' final models
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
				fail(n, err)
				return nil
			}
		case n.pos >= 0:
			var teacher Model
			if n.teacher != noTeacher {
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
				if err := checkFinite(metrics, pr.values, pr.ok, step); err != nil {
					return err
				}
				path = append(path, pr)
				report(step - last)
				last = step
				return nil
			}
			every := scs[0].Measure.Every
			if n.stage.Every > 0 {
				every = n.stage.Every
			}
			s := Streams{Seed: uint64(seed), Stage: n.name}
			var err error
			if teacher != nil {
				tw, ok := w.(TeacherWorld)
				if !ok {
					fail(n, fmt.Errorf("the %s world cannot run a stage that learns from another arm", scs[0].World.Kind))
					return nil
				}
				err = tw.RunTeacher(ctx, m, teacher, n.stage, s, every, probeFn)
			} else {
				err = w.Run(ctx, m, n.stage, s, every, probeFn)
			}
			if err != nil {
				var de *pipeline.DivergedError
				if errors.As(err, &de) || ctx.Err() == nil {
					fail(n, err)
					return nil
				}
				return err
			}
		}
		for _, l := range n.leaves {
			if want[l.point] {
				out.perArm[l.point][l.arm] = path
			}
			if teaches[l] {
				final[l] = m.Clone()
			}
		}
		var next []*node
		for _, c := range n.children {
			if c.has(want) {
				next = append(next, c)
			}
		}
		for i, c := range next {
			if stop() {
				break
			}
			cm := m
			if i < len(next)-1 && m != nil {
				cm = m.Clone()
			}
			// Each branch appends to its own copy of the shared path.
			if err := walk(c, cm, append([]probe(nil), path...)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(failed) == 0 {
		err = walk(root, nil, nil)
	}
	for err == nil && len(waits) > 0 && !stop() {
		ready := waits
		waits = nil
		ran := false
		for _, wt := range ready {
			if err != nil || stop() || final[wt.n.teacher] == nil {
				waits = append(waits, wt)
				continue
			}
			ran = true
			err = walk(wt.n, wt.m, wt.path)
		}
		if !ran && err == nil {
			// A teacher that never finished: failed (perhaps itself the
			// student of a failed arm), or a cycle.
			for marked := true; marked; {
				marked = false
				for _, wt := range waits {
					if _, ok := failed[wt.n]; !ok && failedLeaf[wt.n.teacher] {
						fail(wt.n, fmt.Errorf("arm %s, which this stage learns from, did not finish", scs[wt.n.teacher.point].Arms[wt.n.teacher.arm].Name))
						marked = true
					}
				}
			}
			for _, wt := range waits {
				if _, ok := failed[wt.n]; !ok {
					fail(wt.n, fmt.Errorf("arm %s never finished, so its students cannot run (the arms' teachers form a cycle)", scs[wt.n.teacher.point].Arms[wt.n.teacher.arm].Name))
				}
			}
			break
		}
	}
	if err != nil {
		fail(root, err)
	}
	for p, sc := range scs {
		if !want[p] {
			continue
		}
		fs := failuresOf(root, p, failed)
		if len(fs) == 0 {
			continue
		}
		if !keepGoing {
			fs = fs[:1] // alone, the point stops there
		}
		armNames := func(n *node) []string {
			var arms []string
			for _, a := range n.armsOf(p) {
				arms = append(arms, sc.Arms[a].Name)
			}
			return arms
		}
		first := fs[0]
		re := &RunError{Seed: seed, Arms: armNames(first), Stage: describeStage(first.name, first.stage), Err: failed[first]}
		for _, n := range fs[1:] {
			re.Arms = append(re.Arms, armNames(n)...)
			re.Err = fmt.Errorf("%w; and arms %v, stage %s: %v", re.Err, armNames(n), describeStage(n.name, n.stage), failed[n])
		}
		out.errs[p] = re
	}
	return out
}

// armsOf returns point p's arms at or below n, in the order a depth-first
// walk meets them.
func (n *node) armsOf(p int) []int {
	var arms []int
	for _, l := range n.leaves {
		if l.point == p {
			arms = append(arms, l.arm)
		}
	}
	for _, c := range n.children {
		arms = append(arms, c.armsOf(p)...)
	}
	return arms
}

// failuresOf returns the failed nodes that point p meets trained alone
// with KeepGoing, in the order it meets them: it replays the order of
// runSeed for p alone (depth first, a node's children in the order of p's
// first arm below each, as plan orders them for p alone; a stage whose
// teacher has not finished deferred to the rounds after the walk), going
// on past each failed node but never below it; the stages left waiting on
// a teacher that never finished come last. The first is the failure p
// alone stops at without KeepGoing.
func failuresOf(root *node, p int, failed map[*node]error) []*node {
	if _, ok := failed[root]; ok {
		return []*node{root}
	}
	done := map[leaf]bool{}
	var waits, out []*node
	var visit func(n *node)
	visit = func(n *node) {
		if n.teacher != noTeacher && !done[n.teacher] {
			waits = append(waits, n)
			return
		}
		if _, ok := failed[n]; ok {
			out = append(out, n)
			return
		}
		for _, l := range n.leaves {
			if l.point == p {
				done[l] = true
			}
		}
		var kids []*node
		for _, c := range n.children {
			if len(c.armsOf(p)) > 0 {
				kids = append(kids, c)
			}
		}
		slices.SortStableFunc(kids, func(a, b *node) int { return slices.Min(a.armsOf(p)) - slices.Min(b.armsOf(p)) })
		for _, c := range kids {
			visit(c)
		}
	}
	visit(root)
	for len(waits) > 0 {
		ready := waits
		waits = nil
		ran := false
		for _, n := range ready {
			if !done[n.teacher] {
				waits = append(waits, n)
				continue
			}
			ran = true
			visit(n)
		}
		if !ran {
			for _, n := range waits {
				if _, ok := failed[n]; ok {
					out = append(out, n)
				}
			}
			break
		}
	}
	return out
}

// describeStage names a stage for messages: its kind, where it came from and
// its learning rate, the knob a diverged run most often needs lowered.
func describeStage(name string, st pipeline.Stage) string {
	if st.Kind == "" {
		return "setup"
	}
	return fmt.Sprintf("%s (from %s, lr %g)", name, st.Label, st.LR)
}
