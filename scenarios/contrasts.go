package scenarios

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/goccy/go-yaml/ast"
)

// checkContrasts checks measure.contrasts (decoded into cs from the
// measure: entry mv): each names two different arms of the scenario, with
// arm: and against:, and no pair comes twice.
func (l *loader) checkContrasts(mv *ast.MappingValueNode, cs []Contrast, arms []string) error {
	if len(cs) == 0 {
		return nil
	}
	c := l.enter(cursor{path: "measure"}, mv.Value)
	mvs, keys, _ := l.entries(mv.Value, c, "")
	at := find(mvs, keys, "contrasts")
	lc := l.enter(c.child("contrasts"), at.Value)
	seq, _ := at.Value.(*ast.SequenceNode)
	for i, ct := range cs {
		var item ast.Node = at.Value
		if seq != nil && i < len(seq.Values) {
			item = seq.Values[i]
		}
		ic := l.enter(lc.child(strconv.Itoa(i)), item)
		imvs, ikeys, _ := l.entries(item, ic, "")
		key := func(k string) (ast.Node, cursor) {
			if kv := find(imvs, ikeys, k); kv != nil {
				return kv.Value, l.enter(l.enter(ic, kv.Key), kv.Value)
			}
			return item, ic
		}
		for _, f := range []struct{ key, arm string }{{"arm", ct.Arm}, {"against", ct.Against}} {
			n, kc := key(f.key)
			switch {
			case f.arm == "":
				return l.errAtf(n, kc, "missing %s in %s; expected {arm: ARM, against: ARM}, naming two of the arms %s", f.key, ic.where(), list(arms))
			case !slices.Contains(arms, f.arm):
				e := l.errAtf(n, kc, "no arm is called %s", quoteTrunc(f.arm))
				if e.Suggest = suggest(f.arm, arms); e.Suggest == "" {
					e.Msg += "; expected one of " + list(arms)
				}
				return e
			}
		}
		if ct.Arm == ct.Against {
			n, kc := key("against")
			return l.errAtf(n, kc, "arm %s contrasted with itself; expected two different arms", quoteTrunc(ct.Arm))
		}
		for _, prev := range cs[:i] {
			if prev == ct {
				return l.errAtf(item, ic, "contrast %s against %s listed twice; expected each once", ct.Arm, ct.Against)
			}
		}
	}
	return nil
}

// String names the contrast as tables and messages show it: "a − b".
func (c Contrast) String() string { return fmt.Sprintf("%s − %s", c.Arm, c.Against) }
