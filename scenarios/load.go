package scenarios

import (
	"errors"
	"reflect"
	"slices"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/natmo/natmo/pipeline"
)

// DefaultSeeds is the number of seeds of a scenario that does not say.
const DefaultSeeds = 8

// topKeys lists the keys a scenario may have at the top level, in the order
// they are decoded.
func topKeys() []string {
	return []string{"name", "title", "about", "world", "seeds", "baseline", "arms", "measure", "figures", "sweep"}
}

// Load parses and validates a scenario. file names the source in messages;
// overrides are --set key.path=value strings (see ParseOverride) applied,
// in order, to the YAML before it is decoded.
//
// Load is strict: unknown keys (with a did-you-mean), repeated keys, values
// of the wrong type, unknown names and bad numbers are errors. Every error
// is an *Error that says where the problem is (a line and column of file,
// or the override that caused it) and what was expected. The rules:
//
//   - name is required (lowercase letters, digits, -); title defaults to it.
//   - world: {kind: K, ...}: K one of schema.WorldKinds(); the other keys
//     fill schema.NewWorldConfig(K), whose Validate must pass.
//   - seeds: an integer ≥ 1, DefaultSeeds when absent.
//   - baseline: a list of one-key mappings, stage kind (StageKinds) to
//     pipeline.Stage settings, each passing Stage.Validate; rl settings
//     only in rl stages.
//   - arms: a mapping of arm name to a list of one-key mappings,
//     intervention name to its settings; the arm name "baseline" is
//     reserved, and Scenario.Arms starts with BaselineArm. Every stage of
//     every arm must pass the world's CheckStage.
//   - measure: defaults every DefaultEvery, all
//     of schema.Metrics(K).
//   - figures: a list; kind one of FigureKinds, metric: m is short for
//     metrics: [m], metrics must be measured, a figure's stage must occur in
//     some arm, and a figure without a name is named KIND-METRICS.
//
// Numbers may be written 1e-3 (YAML leaves it a string; Load reads it as a
// number where one is expected), but not quoted. Anchors, aliases, tags and
// merge keys are rejected, as are files over MaxSize bytes and deep
// nesting. Scenario.Resolved is the YAML after overrides, in a canonical
// block style without comments; loading it gives the same scenario.
func Load(file string, src []byte, overrides []string, schema Schema) (*Scenario, error) {
	text, err := checkText(file, src)
	if err != nil {
		return nil, err
	}
	if schema == nil {
		return nil, errorf(file, "no schema given; expected the world kinds and interventions to check the scenario against")
	}
	l := &loader{file: file, src: text, schema: schema, origin: map[ast.Node]string{}}
	root, err := parseDoc(text, func(tk *token.Token, msg string) *Error { return l.errTok(tk, "", msg) })
	if err != nil {
		return nil, err
	}
	switch n := root.(type) {
	case nil:
		return nil, errorf(file, "empty scenario; expected a mapping with name, world, baseline and arms")
	case *ast.MappingValueNode:
		root = ast.Mapping(n.GetToken(), false, n)
	case *ast.MappingNode:
	default:
		return nil, l.errAtf(root, cursor{}, "expected a mapping of %s at the top level, got %s", list(topKeys()), describe(root))
	}
	for _, set := range overrides {
		if err := l.applyOverride(root, set); err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.File = file
			}
			return nil, err
		}
	}
	sc := &Scenario{File: file, Overrides: slices.Clone(overrides), Resolved: emit(root)}
	if err := l.scenario(root, sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// scenario decodes the top-level mapping into sc.
func (l *loader) scenario(root ast.Node, sc *Scenario) error {
	top := cursor{}
	mvs, keys, err := l.entries(root, top, "a mapping of scenario keys")
	if err != nil {
		return err
	}
	for i, k := range keys {
		if !slices.Contains(topKeys(), k) {
			return l.unknownKey(mvs[i].Key, l.enter(top, mvs[i].Key), k, topKeys())
		}
	}
	get := func(k string) *ast.MappingValueNode { return find(mvs, keys, k) }
	if sc.Sweep, err = l.sweep(get("sweep")); err != nil {
		return err
	}

	if err := l.name(get("name"), sc); err != nil {
		return err
	}
	if err := l.text(get("title"), "title", &sc.Title, false); err != nil {
		return err
	}
	if sc.Title == "" {
		sc.Title = sc.Name
	}
	if err := l.text(get("about"), "about", &sc.About, true); err != nil {
		return err
	}
	world, err := l.world(get("world"))
	if err != nil {
		return err
	}
	sc.World = world
	l.worldKind = world.Kind
	if sc.Seeds, err = l.seeds(get("seeds")); err != nil {
		return err
	}
	base, baseSrc, err := l.baseline(get("baseline"))
	if err != nil {
		return err
	}
	sc.Baseline = base
	arms, armSrc, err := l.arms(get("arms"))
	if err != nil {
		return err
	}
	sc.Arms = arms
	stages, notes, err := l.checkStages(world.Config, base, baseSrc, arms, armSrc)
	if err != nil {
		return err
	}
	sc.Notes = notes
	l.worldConfig = world.Config
	if sc.Measure, err = l.measure(get("measure"), world.Kind); err != nil {
		return err
	}
	if err := l.checkContrasts(get("measure"), sc.Measure.Contrasts, sc.ArmNames()); err != nil {
		return err
	}
	sc.Figures, err = l.figures(get("figures"), world.Kind, sc.Measure.Metrics, stages, sc.Name)
	return err
}

// name decodes name: required, lowercase letters, digits and -.
func (l *loader) name(mv *ast.MappingValueNode, sc *Scenario) error {
	if mv == nil {
		return errorf(l.file, "missing name; expected name: a short id of lowercase letters, digits and -, such as emergent-misalignment")
	}
	c := cursor{path: "name"}
	if err := l.decode(mv.Value, reflect.ValueOf(&sc.Name).Elem(), c); err != nil {
		return err
	}
	if !isName(sc.Name, false) {
		return l.errAtf(mv.Value, l.enter(c, mv.Value), "bad name %s; expected lowercase letters, digits and -, such as emergent-misalignment", quoteTrunc(sc.Name))
	}
	if len(sc.Name) > MaxNameLen {
		return l.errAtf(mv.Value, l.enter(c, mv.Value), "name %s is %d bytes; expected at most %d (it names files)", quoteTrunc(sc.Name), len(sc.Name), MaxNameLen)
	}
	return nil
}

// text decodes an optional string at mv into s: one line of at most
// MaxTitleLen bytes, or any number of lines (multiline), without control
// characters (see badText).
func (l *loader) text(mv *ast.MappingValueNode, key string, s *string, multiline bool) error {
	if mv == nil {
		return nil
	}
	c := cursor{path: key}
	if err := l.decode(mv.Value, reflect.ValueOf(s).Elem(), c); err != nil {
		return err
	}
	max := MaxTitleLen
	if multiline {
		max = 0 // the file's size bounds it
	}
	if why := badText(*s, multiline, max); why != "" {
		return l.errAtf(mv.Value, l.enter(c, mv.Value), "bad %s: %s; expected plain text", key, why)
	}
	return nil
}

// seeds decodes seeds: an integer ≥ 1, DefaultSeeds when absent.
func (l *loader) seeds(mv *ast.MappingValueNode) (int, error) {
	if mv == nil {
		return DefaultSeeds, nil
	}
	c := l.enter(cursor{path: "seeds"}, mv.Value)
	n, ok := intValue(mv.Value)
	if !ok || n < 1 || n > MaxSeeds {
		return 0, l.errAtf(mv.Value, c, "expected an integer from 1 to %d for seeds, got %s", MaxSeeds, describe(mv.Value))
	}
	return int(n), nil
}

// world decodes the world: block: its kind, then the kind's configuration,
// strictly, then the configuration's own validation.
func (l *loader) world(mv *ast.MappingValueNode) (World, error) {
	kinds := l.schema.WorldKinds()
	if mv == nil {
		return World{}, errorf(l.file, "missing world; expected world: {kind: KIND, ...} with KIND one of %s", list(kinds))
	}
	c := l.enter(cursor{path: "world"}, mv.Value)
	const what = "a mapping with kind: and the world's settings"
	mvs, keys, err := l.entries(mv.Value, c, what)
	if err != nil {
		return World{}, err
	}
	kmv := find(mvs, keys, "kind")
	if kmv == nil {
		return World{}, l.errAtf(mv.Key, c, "missing kind in world; expected kind: one of %s", list(kinds))
	}
	var kind string
	kc := c.child("kind")
	if err := l.decode(kmv.Value, reflect.ValueOf(&kind).Elem(), kc); err != nil {
		return World{}, err
	}
	if !slices.Contains(kinds, kind) {
		e := l.errAtf(kmv.Value, l.enter(kc, kmv.Value), "unknown world kind %s", quoteTrunc(kind))
		if e.Suggest = suggest(kind, kinds); e.Suggest == "" {
			e.Msg += "; expected one of " + list(kinds)
		}
		return World{}, e
	}
	cfg, ok := l.schema.NewWorldConfig(kind)
	v := reflect.ValueOf(cfg)
	if !ok || cfg == nil || v.Kind() != reflect.Pointer || v.IsNil() {
		return World{}, l.errAtf(kmv.Value, kc, "world kind %q has no configuration (a bug in the schema); expected a pointer to a struct", kind)
	}
	c.label = kind
	if err := l.decodeStruct(mv.Value, v.Elem(), c, func(k string) bool { return k == "kind" }); err != nil {
		return World{}, err
	}
	if err := cfg.Validate(); err != nil {
		return World{}, l.fieldErr(err, mv.Value, c, mv.Key)
	}
	return World{Kind: kind, Config: cfg}, nil
}

// fieldErr places err, from a Validate or CheckStage, at the key of the
// field it names (a *pipeline.FieldError) in mapping n, or else at fallback.
func (l *loader) fieldErr(err error, n ast.Node, c cursor, fallback ast.Node) *Error {
	var fe *pipeline.FieldError
	if !errors.As(err, &fe) {
		return l.errAtf(fallback, l.enter(c, fallback), "%s: %v", c.where(), err)
	}
	mvs, _ := mapEntries(n)
	for _, mv := range mvs {
		if k, _ := keyText(mv.Key); k == fe.Field {
			return l.errAtf(mv.Key, l.enter(l.enter(c, mv.Key), mv.Value), "bad value for %s in %s: %s", fe.Field, c.where(), fe.Msg)
		}
	}
	return l.errAtf(fallback, l.enter(c, fallback), "bad value for %s in %s (not set here, so the default): %s", fe.Field, c.where(), fe.Msg)
}

// isName reports whether s is a lowercase name: letters a-z, digits and -,
// and, if underscore, _ too; an arm or figure name (underscore true) must
// not start with - or _.
func isName(s string, underscore bool) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		case r == '-' && (i > 0 || !underscore):
		case r == '_' && underscore && i > 0:
		default:
			return false
		}
	}
	return true
}

// FigureKinds lists the kinds of figure a scenario can ask for.
func FigureKinds() []string {
	return []string{"curves", "bars", "dose", "heatmap", "scatter", "grid", "profile", "frontier", "seeds"}
}

// FigureArity returns how many metrics a figure of kind draws: at least lo
// and at most hi (0: any number). bars, dose and heatmap draw one, scatter
// two, frontier two or more (an x and its ys), the others one or more.
func FigureArity(kind string) (lo, hi int) {
	switch kind {
	case "bars", "dose", "heatmap":
		return 1, 1
	case "scatter":
		return 2, 2
	case "frontier":
		return 2, 0
	}
	return 1, 0
}
