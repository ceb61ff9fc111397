package scenarios

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/goccy/go-yaml/ast"
)

// emit writes a scenario's tree (after overrides) back as YAML, in one
// canonical block style: a mapping key per line, a list item per line,
// multi-line text as literal blocks. Loading the output gives the same
// scenario, and emitting that gives the same bytes. Comments are not kept.
//
// goccy/go-yaml's own printer is not used because it places nodes by their
// source columns, which nodes inserted by --set do not have.
func emit(root ast.Node) []byte {
	var b strings.Builder
	switch {
	case isCollection(root) && !isEmpty(root):
		writeBlock(&b, root, 0, false)
	default:
		writeScalar(&b, root, 2)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// writeBlock writes a non-empty mapping or list whose lines are indented by
// indent; if inline, the indentation of its first line is already written
// (after "- ").
func writeBlock(b *strings.Builder, n ast.Node, indent int, inline bool) {
	pad := strings.Repeat(" ", indent)
	if seq, ok := n.(*ast.SequenceNode); ok {
		for i, item := range seq.Values {
			if i > 0 || !inline {
				b.WriteString(pad)
			}
			b.WriteString("-")
			writeAfterIndicator(b, item, indent+2, true)
		}
		return
	}
	mvs, _ := mapEntries(n)
	for i, mv := range mvs {
		if i > 0 || !inline {
			b.WriteString(pad)
		}
		k, _ := keyText(mv.Key)
		b.WriteString(plainOrQuoted(k))
		b.WriteString(":")
		writeAfterIndicator(b, mv.Value, indent+2, false)
	}
}

// writeAfterIndicator writes value n after "key:" or "-": on the same line if
// it is a scalar, an empty collection, or (after "-") a collection written
// inline; else on the next lines, indented by indent.
func writeAfterIndicator(b *strings.Builder, n ast.Node, indent int, afterDash bool) {
	switch {
	case isShortList(n):
		var items []string
		for _, it := range n.(*ast.SequenceNode).Values {
			var ib strings.Builder
			writeScalar(&ib, it, indent)
			items = append(items, ib.String())
		}
		b.WriteString(" [" + strings.Join(items, ", ") + "]\n")
	case isCollection(n) && !isEmpty(n) && afterDash:
		b.WriteString(" ")
		writeBlock(b, n, indent, true)
	case isCollection(n) && !isEmpty(n):
		b.WriteString("\n")
		writeBlock(b, n, indent, false)
	default:
		b.WriteString(" ")
		writeScalar(b, n, indent)
		b.WriteString("\n")
	}
}

// writeScalar writes a scalar or an empty collection; the lines of a literal
// block are indented by indent.
func writeScalar(b *strings.Builder, n ast.Node, indent int) {
	switch x := n.(type) {
	case nil, *ast.NullNode:
		b.WriteString("null")
	case *ast.MappingNode, *ast.MappingValueNode:
		b.WriteString("{}")
	case *ast.SequenceNode:
		b.WriteString("[]")
	case *ast.StringNode:
		switch {
		case strings.Contains(x.Value, "\n"):
			writeText(b, x.Value, indent)
		case isPlain(x.Token) && safePlain(x.Value):
			b.WriteString(x.Value)
		default:
			b.WriteString(doubleQuote(x.Value))
		}
	case *ast.LiteralNode:
		s, _ := scalarText(x)
		writeText(b, s, indent)
	default:
		// Numbers, booleans, .inf and .nan, as written.
		b.WriteString(n.GetToken().Value)
	}
}

// writeText writes a string as a literal block if it can be one, else as a
// double-quoted string.
func writeText(b *strings.Builder, s string, indent int) {
	if !literalOK(s) {
		b.WriteString(doubleQuote(s))
		return
	}
	body, chomp := strings.TrimSuffix(s, "\n"), "|-"
	if len(body) < len(s) {
		chomp = "|"
	}
	b.WriteString(chomp)
	pad := strings.Repeat(" ", indent)
	for _, line := range strings.Split(body, "\n") {
		b.WriteString("\n")
		if line != "" {
			b.WriteString(pad + line)
		}
	}
}

// literalOK reports whether s reads back the same from a literal block
// (|, |-): several lines, at most one final newline, a first non-empty line
// that does not start with a blank (a reader takes the block's indentation
// from it), no blanks at line ends, only printable characters.
func literalOK(s string) bool {
	body := strings.TrimSuffix(s, "\n")
	if !strings.Contains(body, "\n") && body == s {
		return false
	}
	if body == "" || strings.HasSuffix(body, "\n") {
		return false
	}
	if first := strings.TrimLeft(body, "\n"); first == "" || first[0] == ' ' || first[0] == '\t' {
		return false
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasSuffix(line, " ") {
			return false
		}
		for _, r := range line {
			if !unicode.IsPrint(r) {
				return false
			}
		}
	}
	return true
}

// plainOrQuoted writes s plain if that reads back as the same text, else
// double-quoted.
func plainOrQuoted(s string) string {
	if safePlain(s) {
		return s
	}
	return doubleQuote(s)
}

// safePlain reports whether s can be written as a plain scalar in block
// context and read back unchanged: letters, digits, and a few punctuation
// marks that are not YAML indicators.
func safePlain(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' || strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	if (s[0] == '-' || s[0] == '+') && (len(s) == 1 || s[1] == ' ') {
		return false
	}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			continue
		}
		if !strings.ContainsRune(" _./+-()=", r) {
			return false
		}
	}
	return true
}

// doubleQuote returns s as a YAML double-quoted string.
func doubleQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			switch {
			case unicode.IsPrint(r):
				b.WriteRune(r)
			case r <= 0xFFFF:
				fmt.Fprintf(&b, `\u%04X`, r)
			default:
				fmt.Fprintf(&b, `\U%08X`, r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// isShortList reports whether n is a non-empty list of one-line scalars
// short enough to write on one line, in flow style.
func isShortList(n ast.Node) bool {
	seq, ok := n.(*ast.SequenceNode)
	if !ok || len(seq.Values) == 0 {
		return false
	}
	width := 0
	for _, it := range seq.Values {
		s, isText := scalarText(it)
		if isCollection(it) || (isText && strings.Contains(s, "\n")) {
			return false
		}
		width += len(s) + 2
	}
	return width <= 60
}

// isCollection reports whether n is a mapping or a list.
func isCollection(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		return true
	}
	return false
}

// isEmpty reports whether the collection n has no entries.
func isEmpty(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.MappingNode:
		return len(x.Values) == 0
	case *ast.SequenceNode:
		return len(x.Values) == 0
	}
	return false
}
