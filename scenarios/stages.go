package scenarios

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

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

// stageKinds returns the stage kinds of the scenario's world and their names.
func (l *loader) stageKinds() ([]StageKind, []string) {
	kinds := l.schema.StageKinds(l.worldKind)
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Name
	}
	return kinds, names
}

// baseline decodes the baseline: list of stages.
func (l *loader) baseline(mv *ast.MappingValueNode) (pipeline.Pipeline, []source, error) {
	kinds, names := l.stageKinds()
	example := "- pretrain: {examples: 20000, epochs: 3, lr: 0.05}"
	if len(names) > 0 {
		example = "- " + names[0] + ": {examples: 1000, epochs: 1, lr: 0.01}"
	}
	if mv == nil {
		return nil, nil, errorf(l.file, "missing baseline; expected a list of stages such as %s", example)
	}
	c := l.enter(cursor{path: "baseline"}, mv.Value)
	seq, ok := mv.Value.(*ast.SequenceNode)
	if !ok || len(seq.Values) == 0 {
		return nil, nil, l.errAtf(mv.Value, c, "expected a list of at least one stage for baseline, such as %s, got %s", example, describe(mv.Value))
	}
	var p pipeline.Pipeline
	var srcs []source
	for i, it := range seq.Values {
		ic := c.child(strconv.Itoa(i))
		kind, kv, err := l.item(it, ic, "stage kind", names, example[2:])
		if err != nil {
			return nil, nil, err
		}
		sc := l.enter(l.enter(ic, it), kv.Value).child(kind)
		st, err := l.stage(kinds[slices.Index(names, kind)], kv, sc, BaselineArm)
		if err != nil {
			return nil, nil, err
		}
		p = append(p, st)
		srcs = append(srcs, source{key: kv.Key, value: kv.Value, c: sc})
		if err := p.CheckNames(); err != nil {
			return nil, nil, l.nameErr(err, kv, sc)
		}
	}
	return p, srcs, nil
}

// nameErr places a duplicate-name error at the stage's name: key, or at the
// stage kind when it has none.
func (l *loader) nameErr(err error, kv *ast.MappingValueNode, c cursor) error {
	return l.fieldErr(&pipeline.FieldError{Field: "name", Msg: err.Error()}, kv.Value, c, kv.Key)
}

// stage decodes the settings of one stage of kind k: the common keys of
// pipeline.Stage (the rl knobs only in an rl stage) and the kind's own
// Params, strictly, then validates them.
func (l *loader) stage(k StageKind, kv *ast.MappingValueNode, c cursor, label string) (pipeline.Stage, error) {
	st := pipeline.Stage{Kind: k.Name, Label: label}
	rlKeys := fieldNames(reflect.TypeFor[pipeline.RLParams]())
	var own []string
	var params reflect.Value
	if k.Params != nil {
		p := k.Params()
		params = reflect.ValueOf(p)
		if p == nil || params.Kind() != reflect.Pointer || params.IsNil() || params.Elem().Kind() != reflect.Struct {
			return st, l.errAtf(kv.Key, c, "stage kind %q has bad Params (a bug in the world); expected a pointer to a struct", k.Name)
		}
		own = fieldNames(params.Elem().Type())
		st.Params = p
	}
	if k.Name != "rl" {
		if err := l.rejectKeys(kv.Value, c, rlKeys, "applies only to rl stages", own); err != nil {
			return st, err
		}
	}
	var known []string
	for _, f := range fieldNames(reflect.TypeFor[pipeline.Stage]()) {
		if k.Name == "rl" || !slices.Contains(rlKeys, f) {
			known = append(known, f)
		}
	}
	known = append(known, own...)
	mvs, keys, err := l.entries(kv.Value, c, "a mapping with keys "+list(known))
	if err != nil {
		return st, err
	}
	for i, key := range keys {
		if !slices.Contains(known, key) {
			return st, l.unknownKey(mvs[i].Key, l.enter(c, mvs[i].Key), key, known)
		}
	}
	isOwn := func(key string) bool { return slices.Contains(own, key) }
	if err := l.decodeStruct(kv.Value, reflect.ValueOf(&st).Elem(), c, isOwn); err != nil {
		return st, err
	}
	if own != nil {
		common := func(key string) bool { return !isOwn(key) }
		if err := l.decodeStruct(kv.Value, params.Elem(), c, common); err != nil {
			return st, err
		}
		if v, ok := st.Params.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				return st, l.fieldErr(err, kv.Value, c, kv.Key)
			}
		}
	}
	if st.Name != "" && !isName(st.Name, true) {
		return st, l.fieldErr(&pipeline.FieldError{Field: "name", Msg: fmt.Sprintf("bad stage name %s; expected lowercase letters, digits, - and _ (it names records and figure axes)", quoteTrunc(st.Name))}, kv.Value, c, kv.Key)
	}
	if err := st.Validate(); err != nil {
		return st, l.fieldErr(err, kv.Value, c, kv.Key)
	}
	return st, nil
}

// rejectKeys reports the first key of mapping n that is in keys, saying why
// it does not belong there and which keys do (the stage's own keys too).
func (l *loader) rejectKeys(n ast.Node, c cursor, keys []string, why string, own []string) error {
	mvs, _ := mapEntries(n)
	for _, mv := range mvs {
		if k, _ := keyText(mv.Key); slices.Contains(keys, k) {
			var ok []string
			for _, f := range fieldNames(reflect.TypeFor[pipeline.Stage]()) {
				if !slices.Contains(keys, f) {
					ok = append(ok, f)
				}
			}
			ok = append(ok, own...)
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
		case len(name) > MaxNameLen:
			return nil, nil, l.errAtf(amv.Key, kc, "arm name %s is %d bytes; expected at most %d", quoteTrunc(name), len(name), MaxNameLen)
		case i+1 >= MaxArms:
			return nil, nil, l.errAtf(amv.Key, kc, "more than %d arms; expected at most %d, the baseline included", MaxArms-1, MaxArms)
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
			var err2 error
			switch e := iv.(type) {
			case *interventions.AddStage:
				err2 = l.addStage(kv, vc, e)
			case *interventions.Modify:
				err2 = l.modify(kv, vc, e)
			default:
				err2 = l.decode(kv.Value, v.Elem(), vc)
			}
			if err2 != nil {
				return nil, nil, err2
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
	if err := l.checkTeachers(arms, srcs); err != nil {
		return nil, nil, err
	}
	return arms, srcs, nil
}

// A teacherEdit is an intervention that makes its arm learn from another
// arm of the same seed (distill).
type teacherEdit interface{ TeacherArm() string }

// checkTeachers checks that every teacher an arm names is another arm and
// that no arm learns, through any chain of teachers, from itself: the arms
// must form a DAG so that each teacher trains before its students.
func (l *loader) checkTeachers(arms []Arm, srcs [][]source) error {
	names := make([]string, len(arms))
	for i, a := range arms {
		names[i] = a.Name
	}
	teachers := make([][]int, len(arms))
	at := map[[2]int]source{} // (student, teacher) → where it is written
	for a, arm := range arms {
		for j, iv := range arm.Interventions {
			te, ok := iv.(teacherEdit)
			if !ok {
				continue
			}
			s := srcs[a][j]
			t := slices.Index(names, te.TeacherArm())
			switch {
			case t < 0:
				e := l.fieldErr(&pipeline.FieldError{Field: "teacher", Msg: fmt.Sprintf("no arm is called %q; the arms are %s", te.TeacherArm(), strings.Join(names, ", "))}, s.value, s.c, s.key)
				e.Suggest = suggest(te.TeacherArm(), names)
				return e
			case t == a:
				return l.fieldErr(&pipeline.FieldError{Field: "teacher", Msg: fmt.Sprintf("arm %s cannot teach itself", arm.Name)}, s.value, s.c, s.key)
			}
			teachers[a] = append(teachers[a], t)
			at[[2]int{a, t}] = s
		}
	}
	// Depth-first search for a cycle; state 1 = on the path, 2 = done.
	state := make([]int, len(arms))
	var path []int
	var visit func(a int) error
	visit = func(a int) error {
		state[a] = 1
		path = append(path, a)
		for _, t := range teachers[a] {
			switch state[t] {
			case 1:
				cyc := path[slices.Index(path, t):]
				var ns []string
				for _, c := range cyc {
					ns = append(ns, arms[c].Name)
				}
				ns = append(ns, arms[t].Name)
				s := at[[2]int{a, t}]
				return l.fieldErr(&pipeline.FieldError{Field: "teacher", Msg: fmt.Sprintf("the arms learn from each other in a cycle (%s, each the student of the next); expected each teacher to train before its students", strings.Join(ns, " → "))}, s.value, s.c, s.key)
			case 0:
				if err := visit(t); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		state[a] = 2
		return nil
	}
	for a := range arms {
		if state[a] == 0 {
			if err := visit(a); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkStages builds every arm's pipeline, one intervention at a time, and
// asks the world whether it can run each stage; a problem is placed at the
// stage or intervention that introduced it. It returns the names of the
// stages that occur in some arm, and notes arms whose pipelines are the same.
func (l *loader) checkStages(cfg WorldConfig, base pipeline.Pipeline, baseSrc []source, arms []Arm, armSrc [][]source) ([]string, []string, error) {
	var names, notes []string
	note := func(p pipeline.Pipeline) {
		for _, n := range p.Names() {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	check := func(st pipeline.Stage) error {
		if err := checkSize(st); err != nil {
			return err
		}
		return cfg.CheckStage(st)
	}
	for i, st := range base {
		if err := check(st); err != nil {
			s := baseSrc[i]
			return nil, nil, l.fieldErr(err, s.value, s.c, s.key)
		}
	}
	note(base)
	pipes := make([]pipeline.Pipeline, len(arms))
	for a, arm := range arms {
		p := base.Clone()
		for j, iv := range arm.Interventions {
			s := armSrc[a][j]
			if m, ok := iv.(*interventions.Modify); ok {
				if err := l.checkModify(m, p, s); err != nil {
					return nil, nil, err
				}
			}
			next, err := iv.Apply(p)
			if err != nil {
				var ue *interventions.UnknownStageError
				if errors.As(err, &ue) {
					e := l.editErr(ue.FieldError(), s)
					e.Suggest = suggest(ue.Name, ue.Stages)
					return nil, nil, e
				}
				var fe *pipeline.FieldError
				if errors.As(err, &fe) {
					return nil, nil, l.editErr(fe, s)
				}
				return nil, nil, l.errAtf(s.key, l.enter(s.c, s.key), "cannot apply %s in %s to the pipeline so far (%s): %v", iv.Name(), s.c.where(), strings.Join(p.Names(), ", "), err)
			}
			// The stages before passed, so a failure now is this intervention's.
			for _, st := range next {
				if err := check(st); err != nil {
					return nil, nil, l.fieldErr(err, s.value, s.c, s.key)
				}
			}
			p = next
		}
		note(p)
		pipes[a] = p
		for b := range a {
			if reflect.DeepEqual(pipes[b], p) {
				notes = append(notes, fmt.Sprintf("arms %s and %s run the same pipeline (%s): their results will be equal", arms[b].Name, arm.Name, strings.Join(p.Names(), " → ")))
				break
			}
		}
	}
	return names, notes, nil
}

// editErr places a field error from an edit: at the intervention's own key
// when it names one, else at the key of its set: mapping (a modify), else
// at the intervention.
func (l *loader) editErr(fe *pipeline.FieldError, s source) *Error {
	mvs, _ := mapEntries(s.value)
	for _, mv := range mvs {
		if k, _ := keyText(mv.Key); k == fe.Field {
			return l.fieldErr(fe, s.value, s.c, s.key)
		}
	}
	if set := setNode(s.value); set != nil {
		sc := s.c.child("set")
		for _, mv := range set {
			if k, _ := keyText(mv.Key); k == fe.Field {
				return l.errAtf(mv.Key, l.enter(l.enter(sc, mv.Key), mv.Value), "bad value for %s in %s: %s", fe.Field, sc.where(), fe.Msg)
			}
		}
	}
	return l.fieldErr(fe, s.value, s.c, s.key)
}

// setNode returns the entries of a modify's set: mapping, if any.
func setNode(n ast.Node) []*ast.MappingValueNode {
	mvs, _ := mapEntries(n)
	for _, mv := range mvs {
		if k, _ := keyText(mv.Key); k == "set" {
			set, _ := mapEntries(mv.Value)
			return set
		}
	}
	return nil
}

// checkModify checks a modify's keys against the settings of the stage it
// names, with a did-you-mean, before it is applied.
func (l *loader) checkModify(m *interventions.Modify, p pipeline.Pipeline, s source) error {
	i := p.Index(m.Stage)
	if i < 0 {
		return nil // Apply says so
	}
	keys := p[i].Settings()
	sc := s.c.child("set")
	for _, mv := range setNode(s.value) {
		k, _ := keyText(mv.Key)
		if !slices.Contains(keys, k) {
			e := l.unknownKey(mv.Key, l.enter(sc, mv.Key), k, keys)
			e.Msg = fmt.Sprintf("stage %s (of kind %s) has no setting %s", m.Stage, p[i].Kind, quoteTrunc(k))
			if e.Suggest == "" {
				e.Msg += "; expected one of " + list(keys)
			}
			return e
		}
	}
	return nil
}

// addStage decodes add-stage: {KIND: {settings}, before: NAME | after: NAME}.
func (l *loader) addStage(kv *ast.MappingValueNode, c cursor, a *interventions.AddStage) error {
	kinds, names := l.stageKinds()
	known := append(slices.Clone(names), "before", "after")
	expect := "a mapping with one key naming the stage kind and optionally before: or after:, e.g. {sft: {examples: 1000, epochs: 1, lr: 0.001}, after: finetune}"
	mvs, keys, err := l.entries(kv.Value, c, expect)
	if err != nil {
		return err
	}
	var kind *ast.MappingValueNode
	for i, mv := range mvs {
		kc := l.enter(c, mv.Key)
		switch k := keys[i]; {
		case k == "before" || k == "after":
			dst := &a.Before
			if k == "after" {
				dst = &a.After
			}
			if err := l.decode(mv.Value, reflect.ValueOf(dst).Elem(), c.child(k)); err != nil {
				return err
			}
		case slices.Contains(names, k):
			if kind != nil {
				return l.errAtf(mv.Key, kc, "two stage kinds (%s and %s) in %s; expected one stage per add-stage", keys[slices.Index(mvs, kind)], k, c.where())
			}
			kind = mv
			st, err := l.stage(kinds[slices.Index(names, k)], mv, l.enter(kc, mv.Value).child(k), a.Name())
			if err != nil {
				return err
			}
			a.Stage = st
		default:
			e := l.unknownKey(mv.Key, kc, k, known)
			e.Msg = fmt.Sprintf("unknown key %s in %s: the world runs stage kinds %s", quoteTrunc(k), c.where(), list(names))
			return e
		}
	}
	if kind == nil {
		return l.errAtf(kv.Key, l.enter(c, kv.Key), "no stage kind in %s; expected %s, with a kind the world runs: %s", c.where(), expect, list(names))
	}
	if err := a.Validate(); err != nil {
		var fe *pipeline.FieldError
		if errors.As(err, &fe) && (fe.Field == "before" || fe.Field == "after") {
			return l.fieldErr(err, kv.Value, c, kv.Key)
		}
		return l.fieldErr(err, kind.Value, l.enter(c, kind.Key).child(a.Stage.Kind), kind.Key)
	}
	return nil
}

// modify decodes modify: {stage: NAME, set: {key: value, ...}}; the keys
// are checked against the stage's settings once the pipeline is known.
func (l *loader) modify(kv *ast.MappingValueNode, c cursor, m *interventions.Modify) error {
	const expect = "a mapping with stage: NAME and set: {key: value}, e.g. {stage: rl, set: {kl: 0.03}}"
	mvs, keys, err := l.entries(kv.Value, c, expect)
	if err != nil {
		return err
	}
	for i, mv := range mvs {
		kc := l.enter(c, mv.Key)
		switch keys[i] {
		case "stage":
			if err := l.decode(mv.Value, reflect.ValueOf(&m.Stage).Elem(), c.child("stage")); err != nil {
				return err
			}
		case "set":
			sc := l.enter(c.child("set"), mv.Value)
			set, skeys, err := l.entries(mv.Value, sc, "a mapping of setting to value, e.g. {lr: 0.001, steps: 100}")
			if err != nil {
				return err
			}
			for j, smv := range set {
				v, ok := scalarSetting(smv.Value)
				if !ok {
					return l.errAtf(smv.Value, l.enter(sc.child(skeys[j]), smv.Value), "expected a number, string or true/false for %s, got %s", sc.child(skeys[j]).where(), describe(smv.Value))
				}
				m.Set = append(m.Set, interventions.Setting{Key: skeys[j], Value: v})
			}
		default:
			return l.unknownKey(mv.Key, kc, keys[i], []string{"stage", "set"})
		}
	}
	if err := m.Validate(); err != nil {
		return l.fieldErr(err, kv.Value, c, kv.Key)
	}
	return nil
}

// scalarSetting reads a scalar as a modify stores it.
func scalarSetting(n ast.Node) (any, bool) {
	if i, ok := intValue(n); ok {
		return i, true
	}
	if f, ok := floatValue(n); ok {
		return f, true
	}
	if b, ok := n.(*ast.BoolNode); ok {
		return b.Value, true
	}
	if _, ok := n.(*ast.StringNode); ok {
		s, _ := scalarText(n)
		return s, true
	}
	return nil, false
}
