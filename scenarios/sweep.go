package scenarios

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// A SweepAxis is one swept setting: the path a --set override would take
// and the values it runs at, as YAML scalars. A sweep runs the scenario
// once per point of the grid of its axes; each value is checked against the
// schema when its point is loaded, as an override would be.
type SweepAxis struct {
	Set    string
	Values []string
}

// sweep decodes `sweep:`, one axis {set: PATH, values: [...]} or a list of
// them.
func (l *loader) sweep(mv *ast.MappingValueNode) ([]SweepAxis, error) {
	if mv == nil || isNull(mv.Value) {
		return nil, nil
	}
	c := l.enter(cursor{}, mv.Key).child("sweep")
	c = l.enter(c, mv.Value)
	items := []ast.Node{mv.Value}
	if seq, ok := mv.Value.(*ast.SequenceNode); ok {
		items = seq.Values
		if len(items) == 0 {
			return nil, l.errAtf(mv.Value, c, "expected at least one axis {set: PATH, values: [...]} for sweep, got an empty list")
		}
	}
	var axes []SweepAxis
	seen := map[string]bool{}
	points := 1
	for i, it := range items {
		ic := c
		if len(items) > 1 || it != mv.Value {
			ic = l.enter(c.child(fmt.Sprint(i)), it)
		}
		mvs, keys, err := l.entries(it, ic, "a mapping {set: PATH, values: [...]}")
		if err != nil {
			return nil, err
		}
		for j, k := range keys {
			if k != "set" && k != "values" {
				return nil, l.unknownKey(mvs[j].Key, l.enter(ic, mvs[j].Key), k, []string{"set", "values"})
			}
		}
		set, vals := find(mvs, keys, "set"), find(mvs, keys, "values")
		if set == nil || vals == nil {
			return nil, l.errAtf(it, ic, "expected both set: PATH and values: [...] in %s", ic.where())
		}
		path, ok := scalarText(set.Value)
		if !ok || path == "" {
			return nil, l.errAtf(set.Value, l.enter(ic.child("set"), set.Value), "expected a path such as world.coupling for %s.set, got %s", ic.where(), describe(set.Value))
		}
		if _, _, err := ParseOverride(path + "=0"); err != nil {
			return nil, l.errAtf(set.Value, l.enter(ic.child("set"), set.Value), "bad path %q for %s.set: %v", path, ic.where(), strings.TrimPrefix(err.Error(), "--set "+path+"=0: "))
		}
		if seen[path] {
			return nil, l.errAtf(set.Value, l.enter(ic.child("set"), set.Value), "%s is swept twice; expected each path once", path)
		}
		seen[path] = true
		seq, ok := vals.Value.(*ast.SequenceNode)
		vc := l.enter(ic.child("values"), vals.Value)
		if !ok || len(seq.Values) == 0 {
			return nil, l.errAtf(vals.Value, vc, "expected a non-empty list of values for %s.values, got %s", ic.where(), describe(vals.Value))
		}
		ax := SweepAxis{Set: path}
		for k, v := range seq.Values {
			s, ok := scalarText(v)
			if !ok {
				return nil, l.errAtf(v, l.enter(vc.child(fmt.Sprint(k)), v), "expected a scalar value in %s.values, got %s", ic.where(), describe(v))
			}
			ax.Values = append(ax.Values, s)
		}
		if points *= len(ax.Values); points > MaxSweep {
			return nil, l.errAtf(vals.Value, vc, "the sweep's grid has more than %d points; expected at most %d", MaxSweep, MaxSweep)
		}
		axes = append(axes, ax)
	}
	return axes, nil
}
