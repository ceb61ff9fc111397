package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/natmo/natmo/pipeline"
)

// A Setting is one key a scenario may write in a world's configuration, a
// stage's settings or an intervention's: what the loader accepts there,
// described for people (natmo explain).
type Setting struct {
	// Key is the key as written; a key inside a nested mapping is written
	// with its parent's, as in monitor.threshold.
	Key string
	// Type is what the value looks like: "integer", "number", "string",
	// "list of strings", "true or false".
	Type string
	// Default is the value the loader starts from, as YAML.
	Default string
	// Range is the values Validate accepts, from the field's range:"" tag:
	// "[0, 1]", "≥ 1", "> 0", "(0, 1)", "adam or sgd"; "" when any.
	Range string
	// Doc is one line on what the setting does, from the field's doc:"" tag.
	Doc string
}

// Settings lists the settings of v, a pointer to a struct with yaml tags
// that holds its defaults (a world's NewConfig(), an intervention's New()),
// in declaration order; the fields of a nested struct become keys
// parent.key. A field the loader fills itself (yaml:"-") is listed if it
// has a key:"" tag, with its type from a type:"" tag.
func Settings(v any) []Setting {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil
	}
	return settingsOf(rv, "")
}

func settingsOf(v reflect.Value, prefix string) []Setting {
	var out []Setting
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		if key := sf.Tag.Get("key"); key != "" && sf.Tag.Get("yaml") == "-" {
			out = append(out, Setting{Key: prefix + key, Type: sf.Tag.Get("type"), Range: sf.Tag.Get("range"), Doc: sf.Tag.Get("doc")})
		}
	}
	for _, f := range structFields(v.Type()) {
		sf := v.Type().FieldByIndex(f.index)
		fv := v.FieldByIndex(f.index)
		if fv.Kind() == reflect.Struct && !hasUnmarshaler(fv) {
			out = append(out, settingsOf(fv, prefix+f.name+".")...)
			continue
		}
		out = append(out, Setting{
			Key:     prefix + f.name,
			Type:    strings.TrimPrefix(strings.TrimPrefix(typeDesc(sf.Type), "an "), "a "),
			Default: yamlValue(fv),
			Range:   sf.Tag.Get("range"),
			Doc:     sf.Tag.Get("doc"),
		})
	}
	return out
}

// hasUnmarshaler reports whether v decodes itself from YAML.
func hasUnmarshaler(v reflect.Value) bool {
	if !v.CanAddr() {
		return false
	}
	_, ok := v.Addr().Interface().(interface {
		UnmarshalYAML(func(any) error) error
	})
	return ok
}

// yamlValue writes a default as YAML.
func yamlValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return plainOrQuoted(v.String())
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Slice, reflect.Array:
		var items []string
		for i := range v.Len() {
			items = append(items, yamlValue(v.Index(i)))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "null"
		}
		return yamlValue(v.Elem())
	}
	return fmt.Sprint(v.Interface())
}

// StageSettings lists the settings a stage of kind k accepts, as the loader
// decodes them: pipeline.Stage's common keys (its rl keys only in an rl
// stage), then the kind's own Params.
func StageSettings(k StageKind) []Setting {
	rlKeys := fieldNames(reflect.TypeFor[pipeline.RLParams]())
	var out []Setting
	for _, s := range Settings(&pipeline.Stage{Kind: k.Name}) {
		if s.Default == "0" || s.Default == `""` {
			s.Default = "" // unset: the world or the trainer decides
		}
		if k.Name == "rl" || !slices.Contains(rlKeys, s.Key) {
			out = append(out, s)
		}
	}
	if k.Params != nil {
		out = append(out, Settings(k.Params())...)
	}
	return out
}
