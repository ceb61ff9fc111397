package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Limits on a scenario's text. A scenario is a page of YAML; these stop a
// hostile or broken file from costing time or memory (goccy/go-yaml's parser
// is quadratic in nesting depth).
const (
	// MaxSize is the largest scenario file accepted, in bytes.
	MaxSize = 1 << 20
	// maxFlowDepth bounds the nesting of [ ] and { }.
	maxFlowDepth = 64
	// maxEntriesPerLine bounds "- - - x" and "? ? x" on one line, the other
	// way to nest deeply in little text.
	maxEntriesPerLine = 16
)

// checkText checks the raw bytes of a scenario before parsing: size, UTF-8,
// and no byte-order mark left in the way. It returns the text to parse.
func checkText(file string, src []byte) ([]byte, error) {
	if len(src) > MaxSize {
		return nil, errorf(file, "the file is larger than 1 MiB; expected a scenario of a few kilobytes")
	}
	src = bytes.TrimPrefix(src, []byte("\uFEFF"))
	if !utf8.Valid(src) {
		off := 0
		for off < len(src) {
			r, size := utf8.DecodeRune(src[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		line, col := lineCol(src, off)
		e := &Error{File: file, Line: line, Col: col,
			Msg: fmt.Sprintf("invalid UTF-8 byte 0x%02x; expected UTF-8 text", src[off])}
		e.src = strings.ToValidUTF8(sourceLine(src, line), "\uFFFD")
		return nil, e
	}
	return src, nil
}

// sourceLine returns line n (1-based) of src, without its newline.
func sourceLine(src []byte, n int) string {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(src, '\n')
		if j < 0 {
			return ""
		}
		src = src[j+1:]
	}
	if j := bytes.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	return strings.TrimSuffix(string(src), "\r")
}

// lexCheck rejects, before parsing, what a scenario never needs and what
// could make parsing slow: anchors, aliases, tags, merge keys, and deep
// nesting. at makes the error for a token.
func lexCheck(src string, at func(tk *token.Token, msg string) *Error) error {
	depth := 0
	line, entries := 0, 0
	for _, tk := range lexer.Tokenize(src) {
		switch tk.Type {
		case token.AnchorType, token.AliasType:
			return at(tk, "anchors and aliases (&name, *name) are not supported; expected each value written out (a scenario is small)")
		case token.TagType:
			return at(tk, fmt.Sprintf("tags such as %s are not supported; expected a plain value (quote it to make it a string)", tk.Value))
		case token.MergeKeyType:
			return at(tk, "merge keys (<<) are not supported; expected each key written out")
		case token.SequenceStartType, token.MappingStartType:
			if depth++; depth > maxFlowDepth {
				return at(tk, fmt.Sprintf("nesting deeper than %d levels; expected a shallow scenario", maxFlowDepth))
			}
		case token.SequenceEndType, token.MappingEndType:
			depth--
		case token.SequenceEntryType, token.MappingKeyType:
			if tk.Position.Line != line {
				line, entries = tk.Position.Line, 0
			}
			if entries++; entries > maxEntriesPerLine {
				return at(tk, fmt.Sprintf("more than %d nested entries on one line; expected a shallow scenario", maxEntriesPerLine))
			}
		}
	}
	return nil
}

// parseDoc parses src into the body of its single document; the body is nil
// when src holds no document (empty, or only comments). at makes the error
// for a token, file for the file as a whole.
func parseDoc(src []byte, at func(tk *token.Token, msg string) *Error) (body ast.Node, err error) {
	defer func() {
		// The parser is third-party code: never let it take the caller down.
		if r := recover(); r != nil {
			body, err = nil, at(nil, fmt.Sprintf("invalid YAML: the parser failed (%v); expected well-formed YAML", r))
		}
	}()
	if err := lexCheck(string(src), at); err != nil {
		return nil, err
	}
	f, perr := parser.ParseBytes(src, 0, parser.AllowDuplicateMapKey())
	if perr != nil {
		return nil, syntaxError(perr, at)
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	switch len(docs) {
	case 0:
		return nil, nil
	case 1:
		return docs[0].Body, nil
	default:
		return nil, at(nodeToken(docs[1].Body), "a second YAML document; expected one document (remove the ---)")
	}
}

// syntaxError turns a goccy parse error into an *Error, with plainer words
// for the common cases.
func syntaxError(err error, at func(tk *token.Token, msg string) *Error) *Error {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return at(nil, "invalid YAML: "+err.Error())
	}
	msg := ye.GetMessage()
	switch {
	case strings.Contains(msg, "'\t'") || strings.Contains(msg, "tab character"):
		msg = "a tab character; expected spaces for indentation"
	case strings.HasPrefix(msg, "mapping value is not allowed in this context"):
		msg = "unexpected \":\"; expected a key on its own line at the right indentation, or a quoted value if it contains \": \""
	case strings.HasPrefix(msg, "could not find end character of double-quoted text"):
		msg = "unterminated string; expected a closing \""
	case strings.HasPrefix(msg, "could not find end character of single-quoted text"):
		msg = "unterminated string; expected a closing '"
	default:
		msg = "invalid YAML: " + msg
	}
	return at(ye.GetToken(), msg)
}

// nodeToken returns the token that best marks where n starts: the first
// key of a mapping, the start of a sequence, a scalar's own token.
func nodeToken(n ast.Node) *token.Token {
	switch n := n.(type) {
	case nil:
		return nil
	case *ast.MappingNode:
		if len(n.Values) > 0 {
			return nodeToken(n.Values[0])
		}
		return n.Start
	case *ast.MappingValueNode:
		return nodeToken(n.Key)
	case *ast.SequenceNode:
		return n.Start
	case *ast.LiteralNode:
		return n.Start
	case *ast.MappingKeyNode:
		return n.Start
	case *ast.DocumentNode:
		return nodeToken(n.Body)
	}
	return n.GetToken()
}

// mapEntries returns the key-value pairs of a mapping node, and false when n
// is not a mapping.
func mapEntries(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch n := n.(type) {
	case *ast.MappingNode:
		return n.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}, true
	}
	return nil, false
}

// isNull reports whether n is null (written ~, null, or nothing).
func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return n == nil || ok
}

// keyText returns the text of a mapping key, and false for keys that are not
// plain scalars (such as "? [a, b]").
func keyText(k ast.MapKeyNode) (string, bool) {
	switch k := k.(type) {
	case *ast.StringNode:
		return k.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode, *ast.InfinityNode, *ast.NanNode:
		return k.GetToken().Value, true
	}
	return "", false
}

// describe says what n is, for "got ..." in a message.
func describe(n ast.Node) string {
	switch n := n.(type) {
	case nil, *ast.NullNode:
		return "null (nothing)"
	case *ast.StringNode:
		return quoteTrunc(n.Value)
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value
	}
	return n.Type().YAMLName()
}
