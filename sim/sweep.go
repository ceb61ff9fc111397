package sim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// A Sweep is a scenario run over a grid of settings: one point per
// combination of its axes' values, every (point, arm, seed) one run.
type Sweep struct {
	Scenario  string                `json:"scenario"`  // name
	Title     string                `json:"title"`     // the scenario's title
	File      string                `json:"-"`         // a path or builtin:NAME (not part of its identity: points are)
	Overrides []string              `json:"overrides"` // --set values applied at every point
	Axes      []scenarios.SweepAxis `json:"axes"`
	// Figures are the metrics the sweep's figures show (dose or heatmap):
	// those of the scenario's figures, readout profiles aside, or else its
	// first metric.
	Figures []string `json:"figure_metrics,omitempty"`
	Points  []Point  `json:"points"`
}

// A Point is one point of a sweep's grid.
type Point struct {
	Index  int      `json:"index"`
	Values []string `json:"values"` // one per axis
	// ID is derived from the point's resolved scenario, so it names the
	// point's settings, not its place in a grid.
	ID    string   `json:"id"`
	Seeds int      `json:"seeds"`
	Arms  []string `json:"arms"`
	// Contrasts are the point's paired contrasts, {arm, against}.
	Contrasts [][2]string         `json:"contrasts,omitempty"`
	Scenario  *scenarios.Scenario `json:"-"`
}

// Label is the point's settings as key=value pairs.
func (s *Sweep) Label(p Point) string {
	var kv []string
	for i, a := range s.Axes {
		kv = append(kv, a.Set+"="+p.Values[i])
	}
	return strings.Join(kv, " ")
}

// PlanSweep loads the scenario at every point of the grid of axes (or of
// the scenario's own sweep: block when axes is empty), checking it against
// schema. A value that does not fit its setting is an error naming the
// override it became.
func PlanSweep(schema scenarios.Schema, nameOrPath string, overrides []string, axes []scenarios.SweepAxis) (*Sweep, error) {
	base, err := scenarios.Open(nameOrPath, overrides, schema)
	if err != nil {
		return nil, err
	}
	if len(axes) == 0 {
		axes = base.Sweep
	}
	if len(axes) == 0 {
		return nil, fmt.Errorf("%s has no sweep: block; give the grid with --over KEY=V1,V2,...", base.File)
	}
	sw := &Sweep{Scenario: base.Name, Title: base.Title, File: base.File, Overrides: append([]string{}, overrides...), Axes: axes,
		Figures: figureMetrics(base)}
	n := 1
	for _, a := range axes {
		if n *= len(a.Values); n > scenarios.MaxSweep {
			return nil, fmt.Errorf("the sweep's grid has more than %d points; sweep fewer values", scenarios.MaxSweep)
		}
	}
	for i := range n {
		vals := make([]string, len(axes))
		sets := append([]string{}, overrides...)
		r := i
		for k := len(axes) - 1; k >= 0; k-- { // the last axis varies fastest
			v := axes[k].Values[r%len(axes[k].Values)]
			r /= len(axes[k].Values)
			vals[k] = v
		}
		for k, a := range axes {
			sets = append(sets, a.Set+"="+vals[k])
		}
		sc, err := scenarios.Open(nameOrPath, sets, schema)
		if err != nil {
			return nil, err
		}
		sw.Points = append(sw.Points, Point{Index: i, Values: vals, ID: scenarioHash(sc), Seeds: sc.Seeds, Arms: sc.ArmNames(), Contrasts: contrastPairs(sc), Scenario: sc})
	}
	return sw, nil
}

// A unit is one seed of one point: the arms of a seed share their prefix,
// so they are trained together and stored in one file.
type unit struct{ point, seed int }

func (s *Sweep) units() []unit {
	var us []unit
	for _, p := range s.Points {
		for seed := range p.Seeds {
			us = append(us, unit{p.Index, seed})
		}
	}
	return us
}

// RunID names the run of one arm and seed at a point, stably.
func (s *Sweep) RunID(p Point, arm string, seed int) string {
	sum := sha256.Sum256([]byte(p.ID + "\x00" + arm + "\x00" + strconv.Itoa(seed)))
	return hex.EncodeToString(sum[:6])
}

// A Shard is the I-th of N disjoint slices of a sweep's runs (0 ≤ I < N).
type Shard struct{ I, N int }

func (sh Shard) has(k int) bool { return sh.N <= 1 || k%sh.N == sh.I }

// SweepOptions control RunSweep.
type SweepOptions struct {
	Workers   int
	Progress  func(done, total int)
	Shard     Shard
	KeepGoing bool // let other runs finish when one fails
	Force     bool // replace an existing folder
	Resume    bool // finish an interrupted sweep (or add a shard) in the folder
}

// sweepGroups splits the sweep's points into groups that can share one tree
// of pipelines (sameTree), in the order of their first points.
func sweepGroups(sw *Sweep) [][]Point {
	var groups [][]Point
next:
	for _, p := range sw.Points {
		for i, g := range groups {
			if sameTree(g[0].Scenario, p.Scenario) {
				groups[i] = append(g, p)
				continue next
			}
		}
		groups = append(groups, []Point{p})
	}
	return groups
}

// RunSweep runs the sweep's runs that belong to opt.Shard into dir: it
// writes sweep.json, then each seed's records under runs/POINT-ID/ as they
// finish, atomically. Finished runs already in dir are not run again with
// Resume. An unsharded sweep is then merged in place (see MergeSweeps).
func RunSweep(ctx context.Context, sw *Sweep, dir string, opt SweepOptions) (*SweepResult, error) {
	grid, err := json.MarshalIndent(sw, "", "  ")
	if err != nil {
		return nil, err
	}
	grid = append(grid, '\n')
	for _, p := range sw.Points {
		if err := CheckMemory(p.Scenario, workersOf(opt.Workers)); err != nil {
			return nil, fmt.Errorf("point %d (%s): %w", p.Index, sw.Label(p), err)
		}
	}
	// The shards of a sweep may share its folder, each holding its own
	// part of the lock; a whole sweep, or a forced one, holds all of it.
	part := ""
	if opt.Shard.N > 1 && !opt.Force {
		part = fmt.Sprintf("shard-%d-of-%d", opt.Shard.I, opt.Shard.N)
	}
	lock, err := lockDir(dir, part)
	if err != nil {
		return nil, &DirError{Dir: dir, Err: err}
	}
	defer lock.Unlock()
	if err := prepareSweepDir(dir, grid, opt, part == ""); err != nil {
		return nil, &DirError{Dir: dir, Err: err}
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "sweep.json"), func(w *bufio.Writer) error {
		_, err := w.Write(grid)
		return err
	}); err != nil {
		return nil, err
	}
	mine := map[unit]bool{}
	for k, u := range sw.units() {
		if opt.Shard.has(k) {
			mine[u] = true
		}
	}
	// Points that share the world and the measurements train on one tree:
	// for each seed, the stages they share (same settings, same ancestry)
	// are trained once and forked, whichever shard the units fall in.
	groups := sweepGroups(sw)
	type job struct {
		points []Point
		scs    []*scenarios.Scenario
		want   func(point, seed int) bool
		total  int
	}
	var jobs []job
	total := 0
	// What an earlier run left, each file checked against its point.
	prev := make([]seedFiles, len(sw.Points))
	for i, p := range sw.Points {
		var err error
		if prev[i], err = previousSeeds(filepath.Join(dir, "runs", p.ID), identityOf(p.Scenario)); err != nil {
			return nil, &DirError{Dir: dir, Err: err}
		}
	}
	for _, g := range groups {
		j := job{points: g}
		for _, p := range g {
			j.scs = append(j.scs, p.Scenario)
			if err := os.MkdirAll(filepath.Join(dir, "runs", p.ID), 0o755); err != nil {
				return nil, err
			}
		}
		j.want = func(point, seed int) bool {
			p := j.points[point]
			return mine[unit{p.Index, seed}] && !prev[p.Index].done(seed, opt.KeepGoing)
		}
		root, _, err := plan(j.scs...)
		if err != nil {
			return nil, err
		}
		_, _, j.total = unitsOf(root, j.scs, j.want)
		total += j.total
		jobs = append(jobs, j)
	}
	offset := 0
	for _, j := range jobs {
		err := runTree(ctx, j.scs, treeOptions{
			Workers:   opt.Workers,
			KeepGoing: opt.KeepGoing,
			Progress: func(d, _ int) {
				if opt.Progress != nil {
					opt.Progress(offset+d, total)
				}
			},
			Want: j.want,
			UnitDone: func(point, seed int, recs []results.Record, failure *RunError) error {
				p := j.points[point]
				return writeSeed(filepath.Join(dir, "runs", p.ID), identityOf(p.Scenario), seed, recs, failure, opt.KeepGoing)
			},
			Failed: func(point int, f *FailedError) error {
				p := j.points[point]
				return fmt.Errorf("point %d (%s): %w", p.Index, sw.Label(p), f)
			},
		})
		offset += j.total
		if err != nil {
			if ctx.Err() != nil && !errors.As(err, new(*FailedError)) {
				return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
			}
			return nil, err
		}
	}
	if opt.Shard.N > 1 {
		return nil, nil
	}
	return MergeSweeps([]string{dir}, dir)
}

// hasRun reports whether dir holds a finished run of the point's seed (its
// records or its failure) that checks out against the point.
func hasRun(dir string, p Point, seed int) bool {
	sf, err := previousSeeds(filepath.Join(dir, "runs", p.ID), identityOf(p.Scenario))
	_, ok := sf[seed]
	return err == nil && ok
}

// prepareSweepDir checks, under the folder's lock, that dir may be written
// (or resumed) and replaces it for Force; exclusive says the lock is all
// the folder's, so that no writer's temporary files are in use.
func prepareSweepDir(dir string, grid []byte, opt SweepOptions, exclusive bool) error {
	old, err := os.ReadFile(filepath.Join(dir, "sweep.json"))
	if opt.Resume && errors.Is(err, fs.ErrNotExist) && results.CheckTarget(dir, false) == nil {
		opt.Resume = false // nothing there yet: a retried job simply starts
	}
	switch {
	case opt.Resume && err != nil:
		return fmt.Errorf("--resume: %s holds no sweep to resume: %w", dir, err)
	case opt.Resume && !bytes.Equal(old, grid):
		return fmt.Errorf("--resume: the sweep differs from the one %s was started with (its sweep.json); resume with the same scenario, --set and --over values, or start a new folder", dir)
	case opt.Resume && exclusive:
		return results.RemoveTemps(dir)
	case opt.Resume:
		return nil
	}
	if err := results.CheckTarget(dir, opt.Force); err != nil {
		if errors.Is(err, results.ErrExists) && old != nil {
			return fmt.Errorf("%w; if a sweep there was interrupted, add --resume to finish it", err)
		}
		return err
	}
	if opt.Force {
		return results.Replace(dir)
	}
	if exclusive {
		return results.RemoveTemps(dir)
	}
	return nil
}

// MaxSweepRuns bounds the runs of a sweep (points × seeds × arms).
const MaxSweepRuns = 1 << 20

// ParseSweep reads a sweep.json and checks it is whole: axes with values,
// points numbered in order with one value per axis, a point ID of 12 hex
// digits, at least one seed and arm, and no more than MaxSweepRuns runs.
func ParseSweep(b []byte) (*Sweep, error) {
	var sw Sweep
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sw); err != nil {
		return nil, fmt.Errorf("not a natmo sweep: %w", err)
	}
	if len(sw.Axes) == 0 || len(sw.Points) == 0 {
		return nil, errors.New("a sweep without axes or points")
	}
	runs := 0
	for i, p := range sw.Points {
		switch {
		case p.Index != i:
			return nil, fmt.Errorf("point %d has index %d", i, p.Index)
		case len(p.Values) != len(sw.Axes):
			return nil, fmt.Errorf("point %d has %d values for %d axes", i, len(p.Values), len(sw.Axes))
		case !pointIDPattern.MatchString(p.ID):
			return nil, fmt.Errorf("point %d: id %q is not 12 hex digits", i, p.ID)
		case p.Seeds < 1 || len(p.Arms) == 0:
			return nil, fmt.Errorf("point %d: %d seeds and %d arms, want at least one of each", i, p.Seeds, len(p.Arms))
		case p.Seeds > MaxSweepRuns || len(p.Arms) > MaxSweepRuns:
			return nil, fmt.Errorf("point %d: %d seeds and %d arms, more than a sweep can hold", i, p.Seeds, len(p.Arms))
		}
		if runs += p.Seeds * len(p.Arms); runs > MaxSweepRuns {
			return nil, fmt.Errorf("more than %d runs", MaxSweepRuns)
		}
	}
	return &sw, nil
}

var pointIDPattern = regexp.MustCompile(`^[0-9a-f]{12}$`)

// A SweepResult is a merged sweep: per point, what its runs measured.
type SweepResult struct {
	Sweep  *Sweep
	Points []*Result // indexed like Sweep.Points
}

// MissingError lists the runs a merge could not find.
type MissingError struct {
	Missing []string // "RUN-ID (point 3: key=value, arm insecure, seed 2)"
}

func (e *MissingError) Error() string {
	const show = 12
	m := e.Missing
	more := ""
	if len(m) > show {
		m, more = m[:show], fmt.Sprintf("\n  ... and %d more", len(e.Missing)-show)
	}
	return fmt.Sprintf("%d runs are missing (run their shards, or the sweep with --resume):\n  %s%s", len(e.Missing), strings.Join(m, "\n  "), more)
}

// MergeSweeps combines the folders of a sweep's shards into out: it checks
// that they hold the same sweep, gathers every run's records, reports any
// missing run by its id, and writes metrics.csv, summary.csv and, if the
// scenario declares contrasts, contrasts.csv (each with a
// point column and one column per swept setting) and sweep.json. The tables
// are the same bytes however the runs were split.
func MergeSweeps(dirs []string, out string) (*SweepResult, error) {
	g, err := gatherSweep(dirs)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	files := []struct {
		name  string
		write func(w *bufio.Writer) error
	}{
		{"metrics.csv", func(w *bufio.Writer) error { return results.WriteMetricsGroups(w, g.header, g.metrics) }},
		{"summary.csv", func(w *bufio.Writer) error { return results.WriteSummaryGroups(w, g.header, g.summary) }},
		{"sweep.json", func(w *bufio.Writer) error { _, err := w.Write(g.grid); return err }},
	}
	if len(g.contrasts) > 0 {
		files = append(files, struct {
			name  string
			write func(w *bufio.Writer) error
		}{"contrasts.csv", func(w *bufio.Writer) error { return results.WriteContrastsGroups(w, g.header, g.contrasts) }})
	}
	for _, f := range files {
		if err := results.WriteFileAtomic(filepath.Join(out, f.name), f.write); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
	}
	return g.res, nil
}

// ReadSweep reads back the sweep in folder dir, as MergeSweeps gathers it,
// without writing anything.
func ReadSweep(dir string) (*SweepResult, error) {
	g, err := gatherSweep([]string{dir})
	if err != nil {
		return nil, err
	}
	return g.res, nil
}

// A gathered sweep is the runs of a sweep's folders, ready to write.
type gathered struct {
	res                         *SweepResult
	grid                        []byte // sweep.json
	header                      []string
	metrics, summary, contrasts []results.Group
}

// gatherSweep collects the runs of a sweep from the folders of its shards.
func gatherSweep(dirs []string) (*gathered, error) {
	if len(dirs) == 0 {
		return nil, errors.New("merge: no folders given")
	}
	var grid []byte
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "sweep.json"))
		if err != nil {
			return nil, fmt.Errorf("merge: %s is not a sweep folder: %w", d, err)
		}
		if grid == nil {
			grid = b
		} else if !bytes.Equal(grid, b) {
			return nil, fmt.Errorf("merge: %s and %s hold different sweeps (their sweep.json differ); merge only the shards of one sweep", dirs[0], d)
		}
	}
	sw, err := ParseSweep(grid)
	if err != nil {
		return nil, fmt.Errorf("merge: %s: %w", filepath.Join(dirs[0], "sweep.json"), err)
	}
	res := &SweepResult{Sweep: sw}
	var missing []string
	var mgroups, sgroups, cgroups []results.Group
	for _, p := range sw.Points {
		var prev []seedFiles
		for _, d := range dirs {
			sf, err := previousSeeds(filepath.Join(d, "runs", p.ID), identity{ID: p.ID, Arms: p.Arms})
			if err != nil {
				return nil, fmt.Errorf("merge: %w", err)
			}
			prev = append(prev, sf)
		}
		find := func(seed int) ([]results.Record, *RunError, bool) {
			for _, sf := range prev {
				if recs, fail, ok := sf.lookup(seed); ok {
					return recs, fail, true
				}
			}
			return nil, nil, false
		}
		var metrics []string
		seeds := make([][]results.Record, p.Seeds)
		var failed []RunError
		for seed := range p.Seeds {
			recs, fail, ok := find(seed)
			if !ok {
				for _, a := range p.Arms {
					missing = append(missing, fmt.Sprintf("%s (point %d: %s, arm %s, seed %d)", sw.RunID(p, a, seed), p.Index, sw.Label(p), a, seed))
				}
				continue
			}
			if fail != nil {
				failed = append(failed, *fail)
			}
			seeds[seed] = recs
			for _, r := range recs {
				if !slices.Contains(metrics, r.Metric) {
					metrics = append(metrics, r.Metric)
				}
			}
		}
		r := &Result{Arms: p.Arms, Metrics: metrics, Failed: failed}
		for _, arm := range p.Arms {
			for _, recs := range seeds {
				for _, rec := range recs {
					if rec.Arm == arm {
						r.Records = append(r.Records, rec)
					}
				}
			}
		}
		r.Summary = results.Summarise(r.Records, r.Arms, r.Metrics, scenarios.BaselineArm)
		r.Contrasts = results.Contrasts(r.Records, p.Contrasts, r.Metrics)
		res.Points = append(res.Points, r)
		extra := append([]string{strconv.Itoa(p.Index)}, p.Values...)
		mgroups = append(mgroups, results.Group{Extra: extra, Records: r.Records})
		sgroups = append(sgroups, results.Group{Extra: extra, Summary: r.Summary})
		if len(r.Contrasts) > 0 {
			cgroups = append(cgroups, results.Group{Extra: extra, Contrasts: r.Contrasts})
		}
	}
	if len(missing) > 0 {
		return nil, &MissingError{Missing: missing}
	}
	header := []string{"point"}
	for _, a := range sw.Axes {
		header = append(header, a.Set)
	}
	return &gathered{res: res, grid: grid, header: header, metrics: mgroups, summary: sgroups, contrasts: cgroups}, nil
}

// figureMetrics returns the metrics the figures of sc draw, in order, but
// for profiles (readouts of many metrics at once), or else sc's first
// measured metric.
func figureMetrics(sc *scenarios.Scenario) []string {
	var ms []string
	for _, f := range sc.Figures {
		if f.Kind == "profile" {
			continue
		}
		for _, m := range f.Metrics {
			if !slices.Contains(ms, m) {
				ms = append(ms, m)
			}
		}
	}
	if len(ms) == 0 && len(sc.Measure.Metrics) > 0 {
		ms = sc.Measure.Metrics[:1]
	}
	return ms
}
