package pipeline

import (
	"fmt"
	"math"
	"reflect"
	"strings"
)

// Settings lists the keys of st that an edit may change: the common ones
// (examples, epochs, steps, batch, lr, optimizer, every), the rl knobs on an
// rl stage, and the keys of the kind's own Params. Name is not among them:
// a stage keeps its name.
func (st *Stage) Settings() []string {
	var keys []string
	c := *st // settingFields copies Params; leave st's alone
	for _, f := range settingFields(&c) {
		keys = append(keys, f.key)
	}
	return keys
}

// Set changes the setting key of st to v, an int64, float64, string or
// bool as a YAML scalar decodes. Setting steps clears epochs and setting
// epochs clears steps, so that an edit can turn a stage of epochs into an
// early stop. An unknown key or a value of the wrong type is a *FieldError;
// the stage is not validated (call Validate).
func (st *Stage) Set(key string, v any) error {
	for _, f := range settingFields(st) {
		if f.key != key {
			continue
		}
		if err := assign(f.v, v); err != nil {
			return &FieldError{key, err.Error()}
		}
		switch key {
		case "steps":
			st.Epochs = 0
		case "epochs":
			st.Steps = 0
		}
		return nil
	}
	return &FieldError{key, fmt.Sprintf("a %s stage has no setting %q; expected one of %s", st.Kind, key, strings.Join(st.Settings(), ", "))}
}

type settingField struct {
	key string
	v   reflect.Value
}

// settingFields returns st's settable fields: they are addressable, so Set
// writes through them. The Params struct is copied first so that an edited
// stage never shares it with the stage it was cloned from.
func settingFields(st *Stage) []settingField {
	var fs []settingField
	add := func(v reflect.Value, skip func(string) bool) {
		t := v.Type()
		for i := range t.NumField() {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" || !t.Field(i).IsExported() || (skip != nil && skip(tag)) {
				continue
			}
			fs = append(fs, settingField{tag, v.Field(i)})
		}
	}
	sv := reflect.ValueOf(st).Elem()
	add(sv, func(k string) bool { return k == "name" })
	if st.Kind == "rl" {
		add(sv.FieldByName("RL"), nil)
	}
	if st.Params != nil {
		pv := reflect.ValueOf(st.Params)
		if pv.Kind() == reflect.Pointer && !pv.IsNil() && pv.Elem().Kind() == reflect.Struct {
			cp := reflect.New(pv.Elem().Type())
			cp.Elem().Set(pv.Elem())
			st.Params = cp.Interface()
			add(cp.Elem(), nil)
		}
	}
	return fs
}

// assign sets field f from a scalar v, converting between YAML's number
// forms where no information is lost.
func assign(f reflect.Value, v any) error {
	switch f.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		var i int64
		switch x := v.(type) {
		case int64:
			i = x
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return fmt.Errorf("expected an integer, got %v", x)
			}
			i = int64(x)
		default:
			return fmt.Errorf("expected an integer, got %v", v)
		}
		if f.OverflowInt(i) {
			return fmt.Errorf("%d is out of range", i)
		}
		f.SetInt(i)
	case reflect.Float64, reflect.Float32:
		switch x := v.(type) {
		case int64:
			f.SetFloat(float64(x))
		case float64:
			f.SetFloat(x)
		default:
			return fmt.Errorf("expected a number, got %v", v)
		}
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("expected a string, got %v", v)
		}
		f.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("expected true or false, got %v", v)
		}
		f.SetBool(b)
	default:
		return fmt.Errorf("cannot be set by an edit (a %s)", f.Type())
	}
	return nil
}
