package scenarios

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// A loader holds what the decoding steps of one Load share: the file name
// and text for error positions, the schema, and which nodes came from
// overrides.
type loader struct {
	file   string
	src    []byte
	schema Schema
	// origin maps the nodes that --set put into the tree to the override's
	// text, so that a problem found in them is reported against the override.
	origin map[ast.Node]string
	// world is the world kind, once decoded: it says which stage kinds
	// the pipeline may have.
	worldKind string
	// worldConfig is the world's configuration, once decoded: it may narrow
	// the metrics the world offers (MetricChecker).
	worldConfig WorldConfig
}

// A cursor says where the decoder is, for messages: the dotted path (the
// same path --set takes), a label such as the world kind, and the override
// that produced the node, if any.
type cursor struct {
	path  string
	label string
	set   string
}

// where names the place for a message: "world (persona)", "measure", or
// "the top level".
func (c cursor) where() string {
	s := c.path
	if s == "" {
		s = "the top level"
	}
	if c.label != "" {
		s += " (" + c.label + ")"
	}
	return s
}

// in is "in " + where, or "at the top level".
func (c cursor) in() string {
	if c.path == "" && c.label == "" {
		return "at the top level"
	}
	return "in " + c.where()
}

// child returns the cursor of key (or index) k below c.
func (c cursor) child(k string) cursor {
	if c.path != "" {
		k = c.path + "." + k
	}
	return cursor{path: k, set: c.set}
}

// enter returns c updated for node n: if n came from an override, problems
// in it are the override's.
func (l *loader) enter(c cursor, n ast.Node) cursor {
	if n == nil {
		return c
	}
	if s, ok := l.origin[n]; ok {
		c.set = s
	}
	return c
}

// errAt returns an *Error placed at node n (or at c's override).
func (l *loader) errAt(n ast.Node, c cursor, msg string) *Error {
	return l.errTok(nodeToken(n), c.set, msg)
}

// errAtf is errAt with formatting.
func (l *loader) errAtf(n ast.Node, c cursor, format string, a ...any) *Error {
	return l.errAt(n, c, fmt.Sprintf(format, a...))
}

// errTok returns an *Error placed at tk, or against the override set if it is
// not "".
func (l *loader) errTok(tk *token.Token, set, msg string) *Error {
	e := &Error{File: l.file, Override: set, Msg: msg}
	if set == "" && tk != nil && tk.Position != nil && tk.Position.Line > 0 {
		e.Line, e.Col = tk.Position.Line, tk.Position.Column
		e.src = sourceLine(l.src, e.Line)
	}
	return e
}

// unknownKey returns the error for key k (node kn) not among known in c.
func (l *loader) unknownKey(kn ast.Node, c cursor, k string, known []string) *Error {
	e := l.errAtf(kn, c, "unknown key %s %s", quoteTrunc(k), c.in())
	if e.Suggest = suggest(k, known); e.Suggest == "" {
		e.Msg += "; expected one of " + list(known)
	}
	return e
}

// entries returns the pairs of mapping n, checking that n is a mapping and
// that no key is repeated or complex. what describes the expected mapping
// for the message, e.g. "a mapping of arm name to a list of interventions".
// A null n has no entries.
func (l *loader) entries(n ast.Node, c cursor, what string) ([]*ast.MappingValueNode, []string, error) {
	if isNull(n) {
		return nil, nil, nil
	}
	mvs, ok := mapEntries(n)
	if !ok {
		return nil, nil, l.errAtf(n, c, "expected %s for %s, got %s", what, c.where(), describe(n))
	}
	keys := make([]string, len(mvs))
	seen := make(map[string]*ast.MappingValueNode, len(mvs))
	for i, mv := range mvs {
		kc := l.enter(c, mv.Key)
		k, ok := keyText(mv.Key)
		if !ok {
			return nil, nil, l.errAtf(mv.Key, kc, "complex key %s; expected a plain key", c.in())
		}
		if first, dup := seen[k]; dup {
			msg := fmt.Sprintf("duplicate key %s %s", quoteTrunc(k), c.in())
			if tk := nodeToken(first.Key); tk != nil && tk.Position != nil && l.enter(c, first.Key).set == "" {
				msg += fmt.Sprintf(" (first at line %d)", tk.Position.Line)
			}
			return nil, nil, l.errAt(mv.Key, kc, msg+"; expected each key once")
		}
		seen[k] = mv
		keys[i] = k
	}
	return mvs, keys, nil
}

// find returns the pair for key k in mvs (whose keys are keys), or nil.
func find(mvs []*ast.MappingValueNode, keys []string, k string) *ast.MappingValueNode {
	for i, kk := range keys {
		if kk == k {
			return mvs[i]
		}
	}
	return nil
}
