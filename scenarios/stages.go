package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"github.com/goccy/go-yaml/ast"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
)

// A source remembers where a stage or an intervention was written, so that
// problems found later (by the world's CheckStage) can point at it.
type source struct {
	key   ast.Node // the key naming the stage kind or intervention
	value ast.Node // its settings (a mapping, or null)
	c     cursor   // its place, e.g. baseline.0.pretrain
}

// item decodes one list item that must be a mapping with exactly one key,
// naming a stage kind or an intervention (what, e.g. "stage kind"), from
// names. It returns the name and its pair.
func (l *loader) item(n ast.Node, c cursor, what string, names []string, example string) (string, *ast.MappingValueNode, error) {
	c = l.enter(c, n)
	expect := fmt.Sprintf("a mapping with one key naming the %s, e.g. %s", what, example)
	mvs, keys, err := l.entries(n, c, expect)
	if err != nil {
		return "", nil, err
	}
	switch {
	case isNull(n) || len(mvs) == 0:
		return "", nil, l.errAtf(n, c, "expected %s for %s, got %s", expect, c.where(), describe(n))
	case len(mvs) > 1:
		return "", nil, l.errAtf(mvs[1].Key, l.enter(c, mvs[1].Key),
			"%d keys (%s) in %s; expected one key naming the %s, with its settings indented below it or in {}",
			len(mvs), list(keys), c.where(), what)
	}
	name := keys[0]
	if !slices.Contains(names, name) {
		e := l.errAtf(mvs[0].Key, l.enter(c, mvs[0].Key), "unknown %s %s in %s", what, quoteTrunc(name), c.where())
		if e.Suggest = suggest(name, names); e.Suggest == "" {
			e.Msg += "; expected one of " + list(names)
		}
		return "", nil, e
	}
	return name, mvs[0], nil
}

// baseline decodes the baseline: list of stages.
func (l *loader) baseline(mv *ast.MappingValueNode) (pipeline.Pipeline, []source, error) {
	const example = "- pretrain: {examples: 20000, epochs: 3, lr: 0.05}"
	if mv == nil {
		return nil, nil, errorf(l.file, "missing baseline; expected a list of stages such as %s", example)
	}
	c := l.enter(cursor{path: "baseline"}, mv.Value)
	seq, ok := mv.Value.(*ast.SequenceNode)
	if !ok || len(seq.Values) == 0 {
		return nil, nil, l.errAtf(mv.Value, c, "expected a list of at least one stage for baseline, such as %s, got %s", example, describe(mv.Value))
	}
	rlKeys := fieldNames(reflect.TypeFor[pipeline.RLParams]())
	var p pipeline.Pipeline
	var srcs []source
	for i, it := range seq.Values {
		ic := c.child(strconv.Itoa(i))
		kind, kv, err := l.item(it, ic, "stage kind", StageKinds(), example[2:])
		if err != nil {
			return nil, nil, err
		}
		sc := l.enter(l.enter(ic, it), kv.Value).child(kind)
		st := pipeline.Stage{Kind: kind, Label: BaselineArm}
		if kind != "rl" {
			if err := l.rejectKeys(kv.Value, sc, rlKeys, "applies only to rl stages"); err != nil {
				return nil, nil, err
			}
		}
		if err := l.decodeStruct(kv.Value, reflect.ValueOf(&st).Elem(), sc, nil); err != nil {
			return nil, nil, err
		}
		if err := st.Validate(); err != nil {
			return nil, nil, l.fieldErr(err, kv.Value, sc, kv.Key)
		}
		p = append(p, st)
		srcs = append(srcs, source{key: kv.Key, value: kv.Value, c: sc})
	}
	return p, srcs, nil
}

// rejectKeys reports the first key of mapping n that is in keys, saying why
// it does not belong there and which keys do.
func (l *loader) rejectKeys(n ast.Node, c cursor, keys []string, why string) error {
	mvs, _ := mapEntries(n)
	for _, mv := range mvs {
		if k, _ := keyText(mv.Key); slices.Contains(keys, k) {
			var ok []string
			for _, f := range fieldNames(reflect.TypeFor[pipeline.Stage]()) {
				if !slices.Contains(keys, f) {
					ok = append(ok, f)
				}
			}
			return l.errAtf(mv.Key, l.enter(c, mv.Key), "key %q in %s %s; expected one of %s", k, c.where(), why, list(ok))
		}
	}
	return nil
}

// fieldNames lists the YAML keys of struct type t.
func fieldNames(t reflect.Type) []string {
	var ns []string
	for _, f := range structFields(t) {
		ns = append(ns, f.name)
	}
	return ns
}

// arms decodes the arms: mapping, keeping the file's order, after the
// implicit baseline arm.
func (l *loader) arms(mv *ast.MappingValueNode) ([]Arm, [][]source, error) {
	arms := []Arm{{Name: BaselineArm}}
	srcs := [][]source{nil}
	if mv == nil {
		return arms, srcs, nil
	}
	c := l.enter(cursor{path: "arms"}, mv.Value)
	mvs, keys, err := l.entries(mv.Value, c, "a mapping of arm name to a list of interventions")
	if err != nil {
		return nil, nil, err
	}
	if len(mvs) == 0 {
		// Written but empty is a slip; leave arms: out for a baseline-only run.
		return nil, nil, l.errAtf(mv.Value, c, "expected at least one arm in arms (the baseline arm is implicit), e.g. arms: {insecure: [%s]}", "{narrow-finetune: {domain: code}}")
	}
	reg := l.schema.Interventions()
	if reg == nil {
		reg = &interventions.Registry{}
	}
	names := reg.Names()
	const example = "- narrow-finetune: {domain: code}"
	for i, amv := range mvs {
		name := keys[i]
		kc := l.enter(c, amv.Key)
		switch {
		case name == BaselineArm:
			return nil, nil, l.errAtf(amv.Key, kc, "arm name %q is reserved: it is the implicit arm with no interventions; expected another name", name)
		case !isName(name, true):
			return nil, nil, l.errAtf(amv.Key, kc, "bad arm name %s; expected lowercase letters, digits, - and _, starting with a letter or digit", quoteTrunc(name))
		}
		ac := l.enter(l.enter(c.child(name), amv.Key), amv.Value)
		arm := Arm{Name: name}
		var asrc []source
		var items []ast.Node
		switch v := amv.Value.(type) {
		case *ast.NullNode:
		case *ast.SequenceNode:
			items = v.Values
		default:
			return nil, nil, l.errAtf(amv.Value, ac, "expected a list of interventions for arm %s, such as [{narrow-finetune: {domain: code}}] or [], got %s", name, describe(amv.Value))
		}
		for j, it := range items {
			ic := ac.child(strconv.Itoa(j))
			ivName, kv, err := l.item(it, ic, "intervention", names, example[2:])
			if err != nil {
				return nil, nil, err
			}
			vc := l.enter(l.enter(ic, it), kv.Value).child(ivName)
			entry, _ := reg.Lookup(ivName)
			if entry.New == nil {
				return nil, nil, l.errAtf(kv.Key, vc, "intervention %q cannot be made (a bug in the registry)", ivName)
			}
			iv := entry.New()
			v := reflect.ValueOf(iv)
			if iv == nil || v.Kind() != reflect.Pointer || v.IsNil() {
				return nil, nil, l.errAtf(kv.Key, vc, "intervention %q is not a pointer (a bug in the registry)", ivName)
			}
			if err := l.decode(kv.Value, v.Elem(), vc); err != nil {
				return nil, nil, err
			}
			if err := iv.Validate(); err != nil {
				return nil, nil, l.fieldErr(err, kv.Value, vc, kv.Key)
			}
			arm.Interventions = append(arm.Interventions, iv)
			asrc = append(asrc, source{key: kv.Key, value: kv.Value, c: vc})
		}
		arms = append(arms, arm)
		srcs = append(srcs, asrc)
	}
	return arms, srcs, nil
}

// checkStages builds every arm's pipeline, one intervention at a time, and
// asks the world whether it can run each stage; a problem is placed at the
// stage or intervention that introduced it. It returns the stage kinds that
// occur in some arm.
func (l *loader) checkStages(cfg WorldConfig, base pipeline.Pipeline, baseSrc []source, arms []Arm, armSrc [][]source) ([]string, error) {
	var kinds []string
	note := func(p pipeline.Pipeline) {
		for _, st := range p {
			if !slices.Contains(kinds, st.Kind) {
				kinds = append(kinds, st.Kind)
			}
		}
	}
	for i, st := range base {
		if err := cfg.CheckStage(st); err != nil {
			s := baseSrc[i]
			return nil, l.fieldErr(err, s.value, s.c, s.key)
		}
	}
	note(base)
	for a, arm := range arms {
		p := base.Clone()
		for j, iv := range arm.Interventions {
			s := armSrc[a][j]
			next, err := iv.Apply(p)
			if err != nil {
				return nil, l.errAtf(s.key, l.enter(s.c, s.key), "cannot apply %s in %s to the pipeline so far: %v", iv.Name(), s.c.where(), err)
			}
			// The stages before passed, so a failure now is this intervention's.
			for _, st := range next {
				if err := cfg.CheckStage(st); err != nil {
					return nil, l.fieldErr(err, s.value, s.c, s.key)
				}
			}
			p = next
		}
		note(p)
	}
	return kinds, nil
}
