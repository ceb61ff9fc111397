package scenarios

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// An Error is a problem in a scenario: where it is (a line and column of the
// file, or the --set override that caused it), what is wrong and what was
// expected. Every error that Load, Open and ParseOverride return is an *Error.
type Error struct {
	// File is the scenario's file name, or "builtin:NAME".
	File string
	// Line and Col are 1-based; they are 0 when the problem has no place in
	// the file (an override, or the file as a whole).
	Line, Col int
	// Override is the --set key=value text that caused the problem, if any.
	Override string
	// Msg says what is wrong and what was expected.
	Msg string
	// Suggest is the nearest known name, for a did-you-mean, or "".
	Suggest string

	// src is the text of line Line, for Snippet.
	src string
}

// Error formats the problem as "file:line:col: message; did you mean "x"?",
// or "--set key=value: message" when it came from an override.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Override != "":
		fmt.Fprintf(&b, "--set %s: ", e.Override)
	case e.Line > 0:
		fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Line, e.Col)
	case e.File != "":
		fmt.Fprintf(&b, "%s: ", e.File)
	}
	b.WriteString(e.Msg)
	if e.Suggest != "" {
		fmt.Fprintf(&b, "; did you mean %q?", e.Suggest)
	}
	return b.String()
}

// Snippet returns the offending source line with a caret under the column,
// like
//
//	12 | world: {kind: persona, colupling: 0}
//	   |                        ^
//
// or the override itself; it returns "" when there is nothing to show.
func (e *Error) Snippet() string {
	if e.Override != "" {
		return "  --set " + e.Override
	}
	if e.Line <= 0 || e.src == "" {
		return ""
	}
	num := fmt.Sprintf("%5d | ", e.Line)
	pad := strings.Repeat(" ", len(num)-2) + "| "
	// Show at most a window of a long line around the column.
	const width = 100
	line := []rune(e.src)
	at := min(max(e.Col-1, 0), len(line))
	lead := ""
	if len(line) > width {
		start := max(0, min(at-width/2, len(line)-width))
		end := min(len(line), start+width)
		if start > 0 {
			lead = "…"
		}
		tail := ""
		if end < len(line) {
			tail = "…"
		}
		line, at = line[start:end], at-start
		line = append([]rune(lead), append(line, []rune(tail)...)...)
		if lead != "" {
			at++
		}
	}
	// Keep tabs as tabs so that the caret lines up in a terminal.
	var caret strings.Builder
	for _, r := range line[:min(at, len(line))] {
		if r == '\t' {
			caret.WriteByte('\t')
		} else {
			caret.WriteByte(' ')
		}
	}
	return num + string(line) + "\n" + pad + caret.String() + "^"
}

// errorf returns an *Error without a place in the file.
func errorf(file, format string, a ...any) *Error {
	return &Error{File: file, Msg: fmt.Sprintf(format, a...)}
}

// lineCol returns the 1-based line and column (in runes) of byte offset off
// of src.
func lineCol(src []byte, off int) (line, col int) {
	off = min(off, len(src))
	line = 1 + strings.Count(string(src[:off]), "\n")
	start := strings.LastIndexByte(string(src[:off]), '\n') + 1
	return line, 1 + utf8.RuneCount(src[start:off])
}

// quoteTrunc quotes s for a message, cutting it if it is long.
func quoteTrunc(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		return fmt.Sprintf("%q…", string(r[:max]))
	}
	return fmt.Sprintf("%q", s)
}

// list joins names for a message: "a, b, c".
func list(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}
