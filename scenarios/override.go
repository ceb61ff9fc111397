package scenarios

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// ParseOverride splits a --set override "key.path=value" into its path and
// value. Path segments are separated by dots; a segment that is an integer
// indexes a list (arms.insecure.0.narrow-finetune.examples). The value is a
// YAML flow value: 3, 1e-3, text, "quoted text", [a, b] or {k: v}; an empty
// value is null. The error is an *Error naming the override.
func ParseOverride(s string) (path []string, value string, err error) {
	lhs, value, ok := strings.Cut(s, "=")
	lhs = strings.TrimSpace(lhs)
	if !ok || lhs == "" {
		return nil, "", &Error{Override: s, Msg: "expected key.path=value, e.g. world.coupling=0 or seeds=4"}
	}
	path = strings.Split(lhs, ".")
	for i, seg := range path {
		if seg == "" {
			return nil, "", &Error{Override: s, Msg: fmt.Sprintf("empty segment %d in path %q; expected keys and indexes separated by single dots", i+1, lhs)}
		}
	}
	if _, err := parseValue(s, value); err != nil {
		return nil, "", err
	}
	return path, value, nil
}

// parseValue parses an override's value as a YAML flow value.
func parseValue(set, value string) (ast.Node, error) {
	at := func(_ *token.Token, msg string) *Error { return &Error{Override: set, Msg: msg} }
	if strings.ContainsAny(value, "\n\r") {
		return nil, at(nil, "a line break in the value; expected a one-line YAML flow value")
	}
	if len(value) > MaxSize {
		return nil, at(nil, fmt.Sprintf("value is %d bytes; expected under %d", len(value), MaxSize))
	}
	if _, err := checkText("", []byte(value)); err != nil {
		return nil, at(nil, "the value is not UTF-8 text; expected UTF-8")
	}
	n, err := parseDoc([]byte(value), at)
	if err != nil {
		return nil, err
	}
	switch x := n.(type) {
	case nil:
		return ast.Null(token.New("null", "null", &token.Position{Line: 1, Column: 1})), nil
	case *ast.MappingNode:
		if x.IsFlowStyle {
			return n, nil
		}
	case *ast.SequenceNode:
		if x.IsFlowStyle {
			return n, nil
		}
	case *ast.LiteralNode, *ast.MappingValueNode:
	default:
		return n, nil
	}
	return nil, at(nil, "expected a YAML flow value such as 3, text, [a, b] or {key: value}; quote text that contains \": \" or starts with - or |")
}

// applyOverride applies one --set override to the tree rooted at root (a
// mapping), recording the nodes it adds in l.origin.
func (l *loader) applyOverride(root ast.Node, set string) error {
	path, raw, err := ParseOverride(set)
	if err != nil {
		return err
	}
	value, err := parseValue(set, raw)
	if err != nil {
		return err
	}
	fail := func(format string, a ...any) error {
		return &Error{File: l.file, Override: set, Msg: fmt.Sprintf(format, a...)}
	}
	where := func(i int) string {
		if i == 0 {
			return "the top level"
		}
		return strings.Join(path[:i], ".")
	}
	in := func(i int) string {
		if i == 0 {
			return "at the top level"
		}
		return "in " + where(i)
	}
	// replace sets the node at the current place; it starts at the root,
	// which an override never replaces (the path has a segment).
	var replace func(ast.Node)
	cur := root
	for i, seg := range path {
		last := i == len(path)-1
		switch n := cur.(type) {
		case *ast.MappingNode, *ast.MappingValueNode:
			mvs, _ := mapEntries(n)
			var keys []string
			var hit *ast.MappingValueNode
			for _, mv := range mvs {
				k, _ := keyText(mv.Key)
				keys = append(keys, k)
				if k == seg && hit == nil {
					hit = mv
				}
			}
			switch {
			case hit != nil && last:
				hit.Value = value
				l.origin[value] = set
				return nil
			case hit != nil:
				cur, replace = hit.Value, func(v ast.Node) { hit.Value = v }
			case last:
				l.insert(n, replace, seg, value, set)
				return nil
			default:
				e := fail("no key %q %s (it has %s); to add it, set the whole value, e.g. --set %s={...}",
					seg, in(i), list(keys), strings.Join(path[:i+1], "."))
				e.(*Error).Suggest = suggest(seg, keys)
				return e
			}
		case *ast.SequenceNode:
			idx, err := strconv.Atoi(seg)
			switch {
			case len(n.Values) == 0:
				return fail("%s is an empty list, so it has no item %q; set the whole list instead, e.g. --set %s=[...]", where(i), seg, where(i))
			case err != nil:
				return fail("%s is a list; expected an index from 0 to %d, got %q", where(i), len(n.Values)-1, seg)
			case idx < 0 || idx >= len(n.Values):
				return fail("index %d is out of range: %s has %s; expected an index from 0 to %d", idx, where(i), items(len(n.Values)), len(n.Values)-1)
			case last:
				n.Values[idx] = value
				l.origin[value] = set
				return nil
			default:
				cur, replace = n.Values[idx], func(v ast.Node) { n.Values[idx] = v }
			}
		case nil, *ast.NullNode:
			if last && replace != nil {
				if _, err := strconv.Atoi(seg); err != nil {
					m := ast.Mapping(token.New("{", "{", &token.Position{Line: 1, Column: 1}), true)
					replace(m)
					l.insert(m, nil, seg, value, set)
					return nil
				}
			}
			return fail("%s is empty, so it has no %q; set the whole value instead, e.g. --set %s={...}", where(i), seg, where(i))
		default:
			return fail("%s is a single value (%s), so it has no %q; expected a path to a key or list item", where(i), describe(n), seg)
		}
	}
	return nil
}

// insert adds key: value to mapping m (replacing m through replace if it is
// a lone pair that cannot grow in place).
func (l *loader) insert(m ast.Node, replace func(ast.Node), key string, value ast.Node, set string) {
	pos := &token.Position{Line: 1, Column: 1}
	k := ast.String(token.New(key, key, pos))
	mv := ast.MappingValue(token.New(":", ":", pos), k, value)
	l.origin[k], l.origin[value], l.origin[mv] = set, set, set
	switch x := m.(type) {
	case *ast.MappingNode:
		x.Values = append(x.Values, mv)
	case *ast.MappingValueNode:
		nm := ast.Mapping(token.New("{", "{", pos), false, x, mv)
		if replace != nil {
			replace(nm)
		}
	}
}

// items says "1 item" or "n items".
func items(n int) string {
	if n == 1 {
		return "1 item"
	}
	return strconv.Itoa(n) + " items"
}
