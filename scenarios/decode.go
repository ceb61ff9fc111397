package scenarios

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// This file decodes YAML nodes into Go values strictly: unknown keys,
// repeated keys and values of the wrong type are errors that say where they
// are and what was expected. It understands the yaml struct tags that
// goccy/go-yaml does (name, "-", ",inline"), and hands types with their own
// UnmarshalYAML to goccy/go-yaml.

// decode decodes n into v (settable), strictly.
func (l *loader) decode(n ast.Node, v reflect.Value, c cursor) error {
	c = l.enter(c, n)
	t := v.Type()
	if _, ok := reflect.PointerTo(t).MethodByName("UnmarshalYAML"); ok {
		return l.decodeGoccy(n, v, c)
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		if s, ok := scalarText(n); ok {
			if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
				return l.errAtf(n, c, "bad value for %s: %v", c.where(), err)
			}
			return nil
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return l.decode(n, v.Elem(), c)
	case reflect.Struct:
		return l.decodeStruct(n, v, c, nil)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := intValue(n)
		if !ok || v.OverflowInt(i) {
			return l.mismatch(n, c, t)
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u, ok := uintValue(n)
		if !ok || v.OverflowUint(u) {
			return l.mismatch(n, c, t)
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, ok := floatValue(n)
		if !ok || (t.Kind() == reflect.Float32 && v.OverflowFloat(f)) {
			return l.mismatch(n, c, t)
		}
		v.SetFloat(f)
	case reflect.String:
		s, ok := scalarText(n)
		if !ok {
			return l.mismatch(n, c, t)
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			return l.mismatch(n, c, t)
		}
		v.SetBool(b.Value)
	case reflect.Slice:
		if isNull(n) {
			v.SetZero()
			return nil
		}
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			return l.mismatch(n, c, t)
		}
		s := reflect.MakeSlice(t, len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			if err := l.decode(item, s.Index(i), c.child(strconv.Itoa(i))); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Array:
		seq, ok := n.(*ast.SequenceNode)
		if !ok || len(seq.Values) != t.Len() {
			return l.mismatch(n, c, t)
		}
		for i, item := range seq.Values {
			if err := l.decode(item, v.Index(i), c.child(strconv.Itoa(i))); err != nil {
				return err
			}
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return l.decodeGoccy(n, v, c)
		}
		mvs, keys, err := l.entries(n, c, typeDesc(t))
		if err != nil {
			return err
		}
		if isNull(n) {
			v.SetZero()
			return nil
		}
		m := reflect.MakeMapWithSize(t, len(mvs))
		for i, mv := range mvs {
			e := reflect.New(t.Elem()).Elem()
			if err := l.decode(mv.Value, e, c.child(keys[i])); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(keys[i]).Convert(t.Key()), e)
		}
		v.Set(m)
	default:
		return l.decodeGoccy(n, v, c)
	}
	return nil
}

// decodeStruct decodes mapping n into struct v, keeping the values of the
// fields that n does not name (the defaults). Keys for which skip is true are
// left to the caller. A null n leaves v as it is.
func (l *loader) decodeStruct(n ast.Node, v reflect.Value, c cursor, skip func(string) bool) error {
	fields := structFields(v.Type())
	var names []string
	for _, f := range fields {
		if skip == nil || !skip(f.name) {
			names = append(names, f.name)
		}
	}
	mvs, keys, err := l.entries(n, c, "a mapping with keys "+list(names))
	if err != nil {
		return err
	}
outer:
	for i, mv := range mvs {
		k := keys[i]
		if skip != nil && skip(k) {
			continue
		}
		for _, f := range fields {
			if f.name == k {
				fv, err := fieldByIndex(v, f.index)
				if err != nil {
					return l.errAtf(mv.Key, l.enter(c, mv.Key), "cannot set %s: %v", k, err)
				}
				if err := l.decode(mv.Value, fv, c.child(k)); err != nil {
					return err
				}
				continue outer
			}
		}
		return l.unknownKey(mv.Key, l.enter(c, mv.Key), k, names)
	}
	return nil
}

// decodeGoccy decodes n into v with goccy/go-yaml in strict mode, for types
// this decoder does not know (custom unmarshalers, interfaces).
func (l *loader) decodeGoccy(n ast.Node, v reflect.Value, c cursor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = l.errAtf(n, c, "bad value for %s: %v", c.where(), r)
		}
	}()
	if n == nil {
		v.SetZero()
		return nil
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	if err := yaml.NodeToValue(n, p.Interface(), yaml.Strict()); err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			return l.errTok(ye.GetToken(), c.set, fmt.Sprintf("bad value for %s: %s", c.where(), ye.GetMessage()))
		}
		return l.errAtf(n, c, "bad value for %s: %v", c.where(), err)
	}
	v.Set(p.Elem())
	return nil
}

// mismatch is the error for a value of the wrong type.
func (l *loader) mismatch(n ast.Node, c cursor, t reflect.Type) error {
	return l.errAtf(n, c, "expected %s for %s, got %s", typeDesc(t), c.where(), describe(n))
}

// A field is a struct field's YAML name and its index path.
type field struct {
	name  string
	index []int
}

// structFields lists the YAML fields of struct type t in declaration order,
// with inline fields spliced in; a name given twice keeps its first field.
func structFields(t reflect.Type) []field {
	var out []field
	seen := map[string]bool{}
	var walk func(t reflect.Type, prefix []int, depth int)
	walk = func(t reflect.Type, prefix []int, depth int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("yaml")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" && opts == "" {
				continue
			}
			index := append(append([]int(nil), prefix...), i)
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			inline := strings.Contains(","+opts+",", ",inline,") || (sf.Anonymous && name == "")
			if inline && ft.Kind() == reflect.Struct && depth < 8 {
				walk(ft, index, depth+1)
				continue
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(sf.Name)
			}
			if !seen[name] {
				seen[name] = true
				out = append(out, field{name, index})
			}
		}
	}
	walk(t, nil, 0)
	return out
}

// fieldByIndex is reflect.Value.FieldByIndex that allocates nil embedded
// pointers on the way.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, fmt.Errorf("unexported embedded pointer %s", v.Type())
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	if !v.CanSet() {
		return reflect.Value{}, fmt.Errorf("field of type %s is not settable", v.Type())
	}
	return v, nil
}

// typeDesc says what a value of type t looks like in YAML.
func typeDesc(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return typeDesc(t.Elem())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if t.Bits() == 64 {
			return "an integer"
		}
		return fmt.Sprintf("an integer from %d to %d", -1<<(t.Bits()-1), 1<<(t.Bits()-1)-1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if t.Bits() == 64 {
			return "an integer ≥ 0"
		}
		return fmt.Sprintf("an integer from 0 to %d", uint64(1)<<t.Bits()-1)
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of " + plural(t.Elem())
	case reflect.Array:
		return fmt.Sprintf("a list of %d %s", t.Len(), plural(t.Elem()))
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return "a value of type " + t.String()
}

// plural names values of type t in the plural, for "a list of ...".
func plural(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return plural(t.Elem())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "integers"
	case reflect.Float32, reflect.Float64:
		return "numbers"
	case reflect.String:
		return "strings"
	case reflect.Bool:
		return "booleans"
	case reflect.Slice, reflect.Array:
		return "lists"
	case reflect.Map, reflect.Struct:
		return "mappings"
	}
	return "values"
}

// isPlain reports whether tk is an unquoted scalar.
func isPlain(tk *token.Token) bool {
	return tk != nil && tk.Type == token.StringType
}

// intValue returns the integer n holds; an integral float such as 3.0 or
// 1e3 counts.
func intValue(n ast.Node) (int64, bool) {
	if x, ok := n.(*ast.IntegerNode); ok {
		switch v := x.Value.(type) {
		case int64:
			return v, true
		case uint64:
			if v <= math.MaxInt64 {
				return int64(v), true
			}
		}
		return 0, false
	}
	f, ok := floatValue(n)
	if !ok || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// uintValue returns the non-negative integer n holds.
func uintValue(n ast.Node) (uint64, bool) {
	if x, ok := n.(*ast.IntegerNode); ok {
		switch v := x.Value.(type) {
		case int64:
			return uint64(v), v >= 0
		case uint64:
			return v, true
		}
		return 0, false
	}
	f, ok := floatValue(n)
	if !ok || f != math.Trunc(f) || f < 0 || f >= 1<<64 {
		return 0, false
	}
	return uint64(f), true
}

// floatValue returns the number n holds: an integer, a float, .inf, .nan,
// or a plain (unquoted) string that reads as a number, such as 1e6.
func floatValue(n ast.Node) (float64, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		switch v := x.Value.(type) {
		case int64:
			return float64(v), true
		case uint64:
			return float64(v), true
		}
	case *ast.FloatNode:
		return x.Value, true
	case *ast.InfinityNode:
		return x.Value, true
	case *ast.NanNode:
		return math.NaN(), true
	case *ast.StringNode:
		if isPlain(x.Token) && isPlainNumber(x.Value) {
			f, err := strconv.ParseFloat(x.Value, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// scalarText returns the text of a scalar for a string field: a string's
// value, or a number or boolean as written. Null and collections have none.
func scalarText(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value, true
	case *ast.LiteralNode:
		if x.Value == nil {
			return "", true
		}
		return x.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return x.GetToken().Value, true
	}
	return "", false
}

// isPlainNumber reports whether s is a number in the YAML 1.2 core schema,
// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, which goccy/go-yaml
// leaves as a string when it has an exponent and no point (1e6).
func isPlainNumber(s string) bool {
	i := 0
	digits := func() int {
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
