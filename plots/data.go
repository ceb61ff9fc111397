package plots

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// An Input is what figures are drawn from: a run's results tables and how
// to label them.
type Input struct {
	// Scenario names the scenario; it prefixes every file name.
	Scenario string
	// Title is the figures' title unless a figure has its own.
	Title string
	// Arms are the arms in the order to draw them; the baseline arm, if
	// present, comes first wherever it is listed. An arm's colour is fixed by
	// its place here, so pass the same Arms to every figure of a scenario.
	// Empty means the arms in the order they first appear in Records, then
	// Summary.
	Arms []string
	// Records are the rows of metrics.csv, in the order a run writes them
	// (time order within each arm and seed).
	Records []results.Record
	// Summary are the rows of summary.csv. Bars and profiles are drawn from
	// it; if it has no row for an arm and metric, that row is computed from
	// Records with results.Summarise.
	Summary []results.Summary
	// Contrasts are the rows of contrasts.csv: a bars figure labels an arm
	// that has one (its first, for the metric) with its paired difference
	// from the arm it names instead of from the baseline.
	Contrasts []results.Contrast
	// Labels optionally name metrics for people ("P(harmful), other
	// domains"); a metric's label replaces its id on axes.
	Labels map[string]string
	// Sweep holds the runs of a sweep, for dose figures (the scenario's
	// sweep: the same scenario run at several values of one setting), and
	// SweepLabel names the swept setting on their x axis.
	Sweep      []SweepPoint
	SweepLabel string
	// SweepAxes name the swept settings of a sweep over two (heatmaps).
	SweepAxes []string
	// Intervals optionally remembers bootstrap intervals across figures
	// (a run's sim.Result.Intervals already holds its summary's). Nil: each
	// Render keeps its own, shared by the formats it writes.
	Intervals *results.Intervals
}

// arms returns the arms to draw, baseline first.
func (in *Input) arms() []string {
	var arms []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			arms = append(arms, a)
		}
	}
	for _, a := range in.Arms {
		add(a)
	}
	if len(in.Arms) == 0 {
		for _, r := range in.Records {
			add(r.Arm)
		}
		for _, s := range in.Summary {
			add(s.Arm)
		}
	}
	if i := slices.Index(arms, scenarios.BaselineArm); i > 0 {
		arms = slices.Insert(slices.Delete(arms, i, i+1), 0, scenarios.BaselineArm)
	}
	return arms
}

// label returns the axis label of metric m.
func (in *Input) label(m string) string {
	if d := in.Labels[m]; d != "" {
		return d
	}
	return m
}

// A stat is a mean over seeds with its 95% bootstrap interval.
type stat struct {
	N               int
	Mean, Low, High float64
}

// statOf returns the statistics of the values of a seed→value map, taken in
// seed order so that the bootstrap is reproducible, with the interval from
// iv.
func statOf(iv *results.Intervals, bySeed map[int]float64) stat {
	_, xs := results.BySeed(bySeed)
	var st stat
	st.N = len(xs)
	st.Mean, st.Low, st.High = iv.MeanCI(xs)
	return st
}

// finite reports whether v is neither NaN nor infinite. Non-finite values
// are left out of every statistic.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// A series key names one arm's metric in one stage.
type seriesKey struct{ arm, stage, metric string }

// An index groups records for drawing.
type index struct {
	// steps[arm, stage, metric][step][seed] = value (the last one recorded).
	steps map[seriesKey]map[int]map[int]float64
	// final[arm, "", metric][seed] = the metric's value at the seed's last
	// probe (none if the metric is missing there: an undefined value is not
	// replaced by an earlier one).
	final map[seriesKey]map[int]float64
	iv    *results.Intervals // where the statistics' intervals come from
}

func newIndex(recs []results.Record, iv *results.Intervals) *index {
	ix := &index{
		steps: map[seriesKey]map[int]map[int]float64{},
		final: map[seriesKey]map[int]float64{},
		iv:    iv,
	}
	last := results.LastProbes(recs)
	for _, r := range recs {
		fk := seriesKey{arm: r.Arm, metric: r.Metric}
		if !finite(r.Value) {
			// The seed has no value at this step, and none at the end if
			// this is its last record.
			delete(ix.final[fk], r.Seed)
			continue
		}
		k := seriesKey{r.Arm, r.Stage, r.Metric}
		bySteps := ix.steps[k]
		if bySteps == nil {
			bySteps = map[int]map[int]float64{}
			ix.steps[k] = bySteps
		}
		if bySteps[r.Step] == nil {
			bySteps[r.Step] = map[int]float64{}
		}
		bySteps[r.Step][r.Seed] = r.Value
		if last[results.RunKey{Arm: r.Arm, Seed: r.Seed}] != (results.Probe{Stage: r.Stage, Step: r.Step}) {
			continue
		}
		if ix.final[fk] == nil {
			ix.final[fk] = map[int]float64{}
		}
		ix.final[fk][r.Seed] = r.Value
	}
	return ix
}

// A curvePoint is the statistic over seeds at one step.
type curvePoint struct {
	Step int
	stat
}

// curve returns an arm's metric at each step of stage, in step order.
func (ix *index) curve(arm, stage, metric string) []curvePoint {
	bySteps := ix.steps[seriesKey{arm, stage, metric}]
	steps := make([]int, 0, len(bySteps))
	for s := range bySteps {
		steps = append(steps, s)
	}
	slices.Sort(steps)
	// Each point's bootstrap is independent of the others: share them out
	// over the CPUs (a curves figure is most of a run's drawing time).
	out := make([]curvePoint, len(steps))
	workers := min(runtime.GOMAXPROCS(0), len(steps))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(steps); i += workers {
				out[i] = curvePoint{Step: steps[i], stat: statOf(ix.iv, bySteps[steps[i]])}
			}
		})
	}
	wg.Wait()
	return out
}

// finalStat returns the statistic of an arm's last values of metric.
func (ix *index) finalStat(arm, metric string) (stat, bool) {
	v := ix.final[seriesKey{arm: arm, metric: metric}]
	if len(v) == 0 {
		return stat{}, false
	}
	return statOf(ix.iv, v), true
}

// finalValues returns each seed's last value of an arm's metric.
func (ix *index) finalValues(arm, metric string) map[int]float64 {
	return ix.final[seriesKey{arm: arm, metric: metric}]
}

// defaultStage is the stage that the arms other than baseline end in, or
// scenarios.StageAll when they end in different stages (so that no arm's
// last stage is left out); with only a baseline, its last stage.
func defaultStage(recs []results.Record) string {
	last := map[string]string{}
	var arms []string
	for _, r := range recs {
		if _, ok := last[r.Arm]; !ok {
			arms = append(arms, r.Arm)
		}
		last[r.Arm] = r.Stage
	}
	stage := ""
	for _, a := range arms {
		if a == scenarios.BaselineArm && len(arms) > 1 {
			continue
		}
		switch {
		case stage == "":
			stage = last[a]
		case last[a] != stage:
			return scenarios.StageAll
		}
	}
	return stage
}

// summaries returns the summary row of every arm and metric: from
// in.Summary where it has one, else computed from in.Records. Rows with no
// seeds are left out.
func (in *Input) summaries(arms, metrics []string) map[[2]string]results.Summary {
	out := map[[2]string]results.Summary{}
	for _, s := range in.Summary {
		out[[2]string{s.Arm, s.Metric}] = s
	}
	var missing bool
	for _, a := range arms {
		for _, m := range metrics {
			if _, ok := out[[2]string{a, m}]; !ok {
				missing = true
			}
		}
	}
	if missing && len(in.Records) > 0 {
		// A seed whose last value is not finite has no final value.
		type run struct {
			arm, metric string
			seed        int
		}
		lastOK := map[run]bool{}
		for _, r := range in.Records {
			lastOK[run{r.Arm, r.Metric, r.Seed}] = finite(r.Value)
		}
		var recs []results.Record
		for _, r := range in.Records {
			if finite(r.Value) && lastOK[run{r.Arm, r.Metric, r.Seed}] {
				recs = append(recs, r)
			}
		}
		for _, s := range in.Intervals.Summarise(recs, arms, metrics, scenarios.BaselineArm) {
			k := [2]string{s.Arm, s.Metric}
			if _, ok := out[k]; !ok {
				out[k] = s
			}
		}
	}
	for k, s := range out {
		if s.N == 0 {
			delete(out, k)
		}
	}
	return out
}

// A table is the data a figure draws, written beside it as CSV.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(row ...string) { t.rows = append(t.rows, row) }

// Headers of the figure tables.
var (
	curvesHeader = []string{"arm", "stage", "step", "metric", "n", "mean", "ci_low", "ci_high", "source"}
)

func itoa(i int) string                    { return strconv.Itoa(i) }
func ftoa(v float64) string                { return results.FormatFloat(v) }
func errorf(format string, a ...any) error { return fmt.Errorf("plots: "+format, a...) }

// seedCount returns the number of seeds behind rows, as "4" or "3–4".
func seedCount(ns []int) string {
	if len(ns) == 0 {
		return "0"
	}
	lo, hi := slices.Min(ns), slices.Max(ns)
	if lo == hi {
		return itoa(lo)
	}
	return itoa(lo) + "–" + itoa(hi)
}
