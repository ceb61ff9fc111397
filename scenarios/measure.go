package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// DefaultEvery is the probe interval when measure: does not give one.
const DefaultEvery = 50

// measure decodes the measure: block for a world of kind, filling defaults:
// every DefaultEvery steps, all the world's metrics. (The size of the
// evaluation sets is a world setting, world.eval_examples, because each
// world's sets differ.)
func (l *loader) measure(mv *ast.MappingValueNode, kind string) (Measure, error) {
	known := l.metrics(kind)
	m := Measure{Every: DefaultEvery}
	if mv == nil {
		m.Metrics = slices.Clone(known)
		return m, nil
	}
	c := l.enter(cursor{path: "measure"}, mv.Value)
	if err := l.decodeStruct(mv.Value, reflect.ValueOf(&m).Elem(), c, nil); err != nil {
		return Measure{}, err
	}
	mvs, keys, _ := l.entries(mv.Value, c, "")
	for _, f := range []struct {
		key string
		v   int
	}{{"every", m.Every}} {
		if f.v < 1 || f.v > MaxEvery {
			var at ast.Node = mv.Key
			if kv := find(mvs, keys, f.key); kv != nil {
				at = kv.Value
			}
			return Measure{}, l.errAtf(at, l.enter(c, at), "expected an integer from 1 to %d for measure.%s, got %d", MaxEvery, f.key, f.v)
		}
	}
	at := find(mvs, keys, "metrics")
	if at == nil || isNull(at.Value) {
		m.Metrics = slices.Clone(known)
		return m, nil
	}
	if len(m.Metrics) == 0 {
		return Measure{}, l.errAtf(at.Value, l.enter(c, at.Value), "expected a list of at least one metric for measure.metrics (or no metrics: key, for all of %s)", list(known))
	}
	if err := l.checkMetrics(at.Value, c.child("metrics"), m.Metrics, known, nil, kind); err != nil {
		return Measure{}, err
	}
	return m, nil
}

// metrics lists the metrics of the world kind that its configuration
// accepts (see MetricChecker).
func (l *loader) metrics(kind string) []string {
	known := l.schema.Metrics(kind)
	if mc, ok := l.worldConfig.(MetricChecker); ok {
		known = slices.DeleteFunc(slices.Clone(known), func(m string) bool { return !mc.HasMetric(m) })
	}
	return known
}

// checkMetrics checks that each of names (decoded from list n) is a known
// metric of the world kind, not repeated, and, if measured is not nil,
// measured.
func (l *loader) checkMetrics(n ast.Node, c cursor, names, known, measured []string, kind string) error {
	seq, _ := n.(*ast.SequenceNode)
	at := func(i int) (ast.Node, cursor) {
		c := l.enter(c, n)
		if seq != nil && i < len(seq.Values) {
			return seq.Values[i], l.enter(c, seq.Values[i])
		}
		return n, c
	}
	for i, name := range names {
		node, ic := at(i)
		switch {
		case !slices.Contains(known, name):
			e := l.errAtf(node, ic, "unknown metric %s for world %s", quoteTrunc(name), kind)
			if e.Suggest = suggest(name, known); e.Suggest == "" {
				e.Msg += "; expected one of " + list(known)
			}
			return e
		case slices.Contains(names[:i], name):
			return l.errAtf(node, ic, "metric %q listed twice in %s; expected each once", name, c.path)
		case measured != nil && !slices.Contains(measured, name):
			return l.errAtf(node, ic, "metric %q is not measured; expected one of measure.metrics (%s), or add it there", name, list(measured))
		}
	}
	return nil
}

// figureSpec is a figure as written: Figure's fields, and metric: as a
// shorthand for metrics: [one].
type figureSpec struct {
	Figure `yaml:",inline"`
	Metric string `yaml:"metric"`
}

// figures decodes the figures: list. Each figure's kind must be one of
// FigureKinds, its metrics measured, its stage the name of a stage that
// some arm runs or StageAll; a figure without a name is named after its kind and metrics, and
// names must be unique.
func (l *loader) figures(mv *ast.MappingValueNode, kind string, measured, stages []string, scenario string) ([]Figure, error) {
	if mv == nil || isNull(mv.Value) {
		return nil, nil
	}
	c := l.enter(cursor{path: "figures"}, mv.Value)
	seq, ok := mv.Value.(*ast.SequenceNode)
	if !ok {
		return nil, l.errAtf(mv.Value, c, "expected a list of figures for figures, such as - {kind: curves, metrics: [%s]}, got %s", first(measured), describe(mv.Value))
	}
	known := l.metrics(kind)
	var figs []Figure
	for i, it := range seq.Values {
		fc := l.enter(c.child(strconv.Itoa(i)), it)
		if i >= MaxFigures {
			return nil, l.errAtf(it, fc, "more than %d figures; expected at most %d", MaxFigures, MaxFigures)
		}
		if isNull(it) {
			return nil, l.errAtf(it, fc, "expected a mapping such as {kind: curves, metrics: [%s]} for %s, got %s", first(measured), fc.where(), describe(it))
		}
		var fs figureSpec
		if err := l.decodeStruct(it, reflect.ValueOf(&fs).Elem(), fc, nil); err != nil {
			return nil, err
		}
		mvs, keys, _ := l.entries(it, fc, "")
		key := func(k string) (ast.Node, cursor) {
			if at := find(mvs, keys, k); at != nil {
				return at.Value, l.enter(l.enter(fc, at.Key), at.Value)
			}
			return it, fc
		}
		f := fs.Figure
		if !slices.Contains(FigureKinds(), f.Kind) {
			n, kc := key("kind")
			msg := "missing kind in " + fc.where()
			if f.Kind != "" {
				msg = "unknown figure kind " + quoteTrunc(f.Kind)
			}
			e := l.errAt(n, kc, msg)
			if e.Suggest = suggest(f.Kind, FigureKinds()); e.Suggest == "" {
				e.Msg += "; expected one of " + list(FigureKinds())
			}
			return nil, e
		}
		if fs.Metric != "" {
			if len(f.Metrics) > 0 {
				n, kc := key("metric")
				return nil, l.errAtf(n, kc, "both metric and metrics in %s; expected one of them", fc.where())
			}
			f.Metrics = []string{fs.Metric}
		}
		if len(f.Metrics) == 0 {
			n, kc := key("metrics")
			return nil, l.errAtf(n, kc, "no metrics in %s; expected metrics: [a, b] or metric: a, from %s", fc.where(), list(measured))
		}
		mn, mc := key("metrics")
		if fs.Metric != "" {
			mn, mc = key("metric")
		}
		if err := l.checkMetrics(mn, mc, f.Metrics, known, measured, kind); err != nil {
			return nil, err
		}
		if lo, hi := FigureArity(f.Kind); len(f.Metrics) < lo || hi > 0 && len(f.Metrics) > hi {
			want, expect := fmt.Sprintf("%d metrics", lo), "metrics: [x, y]"
			switch {
			case lo == 1 && hi == 1:
				want, expect = "one metric", "metric: m (for several, a figure each, or a curves or profile figure)"
			case hi == 0:
				want, expect = fmt.Sprintf("at least %d metrics", lo), "metrics: [a, b, ...]"
			}
			return nil, l.errAtf(mn, mc, "a %s figure draws %s, got %d in %s; expected %s", f.Kind, want, len(f.Metrics), fc.where(), expect)
		}
		if f.Stage != "" && f.Stage != StageAll && !slices.Contains(stages, f.Stage) {
			n, kc := key("stage")
			e := l.errAtf(n, kc, "stage %s is in no arm's pipeline (stages are named by kind, kind.2 for a repeat, or name:; %s draws every stage)", quoteTrunc(f.Stage), StageAll)
			if e.Suggest = suggest(f.Stage, stages); e.Suggest == "" {
				e.Msg += "; expected one of " + list(stages)
			}
			return nil, e
		}
		if f.Fit != "" && (f.Kind != "frontier" || f.Fit != "bon" && f.Fit != "rl") {
			n, kc := key("fit")
			return nil, l.errAtf(n, kc, "fit %s in %s; expected bon or rl, in a frontier figure", quoteTrunc(f.Fit), fc.where())
		}
		if f.Kind == "frontier" && len(f.Metrics) < 2 {
			n, kc := key("metrics")
			return nil, l.errAtf(n, kc, "a frontier figure draws metrics[1:] against metrics[0]; expected at least 2 metrics in %s", fc.where())
		}
		if f.Name == "" {
			f.Name = f.Kind + "-" + strings.Join(f.Metrics, "-")
		} else if !isName(f.Name, true) {
			n, kc := key("name")
			return nil, l.errAtf(n, kc, "bad figure name %s; expected lowercase letters, digits, - and _ (it names files)", quoteTrunc(f.Name))
		}
		if file := scenario + "-" + f.Name + ".svg"; len(file) > MaxFileName || (fs.Name != "" && len(f.Name) > MaxNameLen) {
			n, kc := key("name")
			return nil, l.errAtf(n, kc, "figure name %s makes the file name %d bytes long; expected a name of at most %d bytes, in a file name of at most %d (give the figure a shorter name:)",
				quoteTrunc(f.Name), len(file), MaxNameLen, MaxFileName)
		}
		for _, t := range []struct {
			key, s string
		}{{"title", f.Title}, {"caption", f.Caption}} {
			if why := badText(t.s, t.key == "caption", MaxTitleLen); why != "" {
				n, kc := key(t.key)
				return nil, l.errAtf(n, kc, "bad %s in %s: %s; expected plain text", t.key, fc.where(), why)
			}
		}
		for _, g := range figs {
			if g.Name == f.Name {
				n, kc := key("name")
				return nil, l.errAtf(n, kc, "two figures named %q; expected unique names (give one a name:)", f.Name)
			}
		}
		figs = append(figs, f)
	}
	return figs, nil
}

// first returns the first of names, or "METRIC".
func first(names []string) string {
	if len(names) == 0 {
		return "METRIC"
	}
	return names[0]
}
