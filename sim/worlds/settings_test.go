package worlds

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
)

// A settable is one struct natmo explain describes, with the validation the
// loader runs on it.
type settable struct {
	what     string
	value    any // a pointer to the struct, holding its defaults
	settings []scenarios.Setting
	validate func() error
}

// settables lists every world configuration, stage kind and intervention of
// the built-in registry.
func settables(t *testing.T) []settable {
	reg := Default()
	var out []settable
	for _, n := range reg.Names() {
		k, _ := reg.Lookup(n)
		cfg := k.NewConfig()
		out = append(out, settable{"world " + n, cfg, scenarios.Settings(cfg), cfg.Validate})
		for _, sk := range k.Stages {
			// A trained stage (one that sets steps and a learning rate), with
			// the kind's own settings, if any, in Params.
			st := &pipeline.Stage{Kind: sk.Name, LR: 0.001, Steps: 10}
			if sk.Params != nil {
				st.Params = sk.Params()
			}
			out = append(out, settable{"stage " + sk.Name + " of " + n, st, scenarios.StageSettings(sk), func() error {
				if err := st.Validate(); err != nil {
					return err
				}
				if v, ok := st.Params.(interface{ Validate() error }); ok {
					if err := v.Validate(); err != nil {
						return err
					}
				}
				return st.RL.Validate()
			}})
		}
	}
	for _, n := range reg.Interventions().Names() {
		e, _ := reg.Interventions().Lookup(n)
		iv := e.New()
		out = append(out, settable{"intervention " + n, iv, scenarios.Settings(iv), iv.Validate})
	}
	return out
}

// TestSettingsDocumented checks that every key natmo explain lists says
// what it does: a doc:"" tag on every field the loader decodes.
func TestSettingsDocumented(t *testing.T) {
	n := 0
	for _, s := range settables(t) {
		if len(s.settings) == 0 && !strings.HasPrefix(s.what, "intervention knockout") {
			t.Errorf("%s: no settings listed", s.what)
		}
		for _, st := range s.settings {
			n++
			if st.Doc == "" || st.Type == "" {
				t.Errorf("%s: setting %s has no doc:\"\" tag or type", s.what, st.Key)
			}
		}
	}
	if n < 60 {
		t.Errorf("%d settings in all; the built-ins have more than 60", n)
	}
}

// TestSettingRangesHold checks every numeric range natmo explain states
// against the validation the loader runs: a value at an inclusive bound is
// accepted, one just past a bound is rejected with an error naming the key.
func TestSettingRangesHold(t *testing.T) {
	checked := 0
	for _, s := range settables(t) {
		if err := s.validate(); err != nil {
			// Some defaults are incomplete (a knockout names no stage, a
			// distill no teacher); give them what they need.
			fixBase(s.value)
			if err = s.validate(); err != nil {
				t.Errorf("%s: cannot check its ranges: its defaults do not validate: %v", s.what, err)
				continue
			}
		}
		for _, st := range s.settings {
			r, ok := parseRange(st.Range)
			if !ok {
				continue
			}
			field, err := fieldByKey(reflect.ValueOf(s.value).Elem(), st.Key)
			if stage, ok := s.value.(*pipeline.Stage); ok && err != nil && stage.Params != nil {
				field, err = fieldByKey(reflect.ValueOf(stage.Params).Elem(), st.Key)
			}
			if err != nil {
				t.Errorf("%s: %v", s.what, err)
				continue
			}
			isInt := field.Kind() == reflect.Int
			orig := reflect.ValueOf(field.Interface())
			try := func(v float64, want bool) {
				t.Helper()
				if isInt {
					field.SetInt(int64(v))
				} else {
					field.SetFloat(v)
				}
				err := s.validate()
				field.Set(orig)
				var fe *pipeline.FieldError
				switch {
				case want && err != nil:
					t.Errorf("%s: %s = %v is in its range %s but fails: %v", s.what, st.Key, v, st.Range, err)
				case !want && err == nil:
					t.Errorf("%s: %s = %v is outside its range %s but validates", s.what, st.Key, v, st.Range)
				case !want && (!errors.As(err, &fe) || fe.Field != st.Key):
					t.Errorf("%s: %s = %v fails with %v, which does not name %s", s.what, st.Key, v, err, st.Key)
				}
			}
			step := func(b float64) float64 {
				if isInt {
					return 1
				}
				return math.Max(1e-9, math.Abs(b)*1e-9)
			}
			if !math.IsInf(r.lo, -1) {
				try(r.lo, r.loIn)
				try(r.lo-step(r.lo), false)
				if !r.loIn {
					try(r.lo+step(r.lo), true)
				}
			}
			if !math.IsInf(r.hi, 1) {
				try(r.hi, r.hiIn)
				try(r.hi+step(r.hi), false)
				if !r.hiIn {
					try(r.hi-step(r.hi), true)
				}
			}
			checked++
		}
	}
	if checked < 40 {
		t.Errorf("%d ranges checked; the built-ins state more than 40", checked)
	}
}

// A numRange is an interval, from a range:"" tag.
type numRange struct {
	lo, hi     float64
	loIn, hiIn bool
}

// parseRange reads "[a, b]", "(a, b)", "[a, b)", "(a, b]", "≥ a" or "> a".
func parseRange(s string) (numRange, bool) {
	switch {
	case strings.HasPrefix(s, "≥ "), strings.HasPrefix(s, "> "):
		v, err := strconv.ParseFloat(strings.TrimSpace(s[strings.Index(s, " ")+1:]), 64)
		return numRange{lo: v, hi: math.Inf(1), loIn: s[0] != '>'}, err == nil
	case len(s) > 4 && strings.ContainsAny(s[:1], "[(") && strings.ContainsAny(s[len(s)-1:], "])"):
		a, b, ok := strings.Cut(s[1:len(s)-1], ",")
		lo, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
		hi, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
		return numRange{lo, hi, s[0] == '[', s[len(s)-1] == ']'}, ok && err1 == nil && err2 == nil
	}
	return numRange{}, false
}

// fieldByKey finds the field a key (parent.key for nested structs) names
// by its yaml tag, through inline structs.
func fieldByKey(v reflect.Value, key string) (reflect.Value, error) {
	name, rest, nested := strings.Cut(key, ".")
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		tag, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		f := v.Field(i)
		if strings.Contains(opts, "inline") && f.Kind() == reflect.Struct {
			if g, err := fieldByKey(f, key); err == nil {
				return g, nil
			}
			continue
		}
		if tag == name {
			if nested {
				return fieldByKey(f, rest)
			}
			return f, nil
		}
	}
	return reflect.Value{}, errors.New("no field for key " + key)
}

// fixBase fills the settings whose defaults are empty but required: a stage
// name, a teacher arm, a stage to add.
func fixBase(v any) {
	rv := reflect.ValueOf(v).Elem()
	for key, val := range map[string]any{"stage": "sft", "teacher": "insecure"} {
		if f, err := fieldByKey(rv, key); err == nil && f.CanSet() {
			switch f.Kind() {
			case reflect.String:
				f.SetString(val.(string))
			case reflect.Slice:
				f.Set(reflect.ValueOf([]string{val.(string)}).Convert(f.Type()))
			}
		}
	}
	if f := rv.FieldByName("Stage"); f.IsValid() && f.Type() == reflect.TypeFor[pipeline.Stage]() {
		f.Set(reflect.ValueOf(pipeline.Stage{Kind: "sft", LR: 0.001}))
	}
	if f := rv.FieldByName("Set"); f.IsValid() && f.Kind() == reflect.Slice && f.Len() == 0 {
		f.Set(reflect.MakeSlice(f.Type(), 1, 1))
	}
}

// TestMetricsLabelled checks that every metric of every world has a label
// for figures and reports, in words rather than its id.
func TestMetricsLabelled(t *testing.T) {
	reg := Default()
	for _, n := range reg.Names() {
		k, _ := reg.Lookup(n)
		for _, m := range k.Metrics {
			if m.Label == "" || m.Label == m.Name {
				t.Errorf("world %s: metric %s has no label (sim.Metric.Label), so figures would name it by its id", n, m.Name)
			}
		}
	}
}
