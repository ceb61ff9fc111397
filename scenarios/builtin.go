package scenarios

import (
	"embed"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// BuiltinNames returns the names of the built-in scenarios, sorted.
func BuiltinNames() []string {
	ents, err := builtinFS.ReadDir("builtin")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Builtin returns the text of the built-in scenario name.
func Builtin(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, `/\.`) {
		return nil, false
	}
	b, err := builtinFS.ReadFile(path.Join("builtin", name+".yaml"))
	return b, err == nil
}

// Open loads a scenario from a file or a built-in. nameOrPath is read as a
// file if such a file exists, or if it looks like a path (it contains a
// path separator or ends in .yaml or .yml); otherwise it names a built-in
// scenario, and the Scenario's File is "builtin:NAME". An unknown name is an
// error that lists the built-ins. Every error is an *Error.
func Open(nameOrPath string, overrides []string, schema Schema) (*Scenario, error) {
	if looksLikeFile(nameOrPath) {
		src, err := readFile(nameOrPath)
		if err != nil {
			return nil, err
		}
		return Load(nameOrPath, src, overrides, schema)
	}
	if src, ok := Builtin(nameOrPath); ok {
		return Load("builtin:"+nameOrPath, src, overrides, schema)
	}
	names := BuiltinNames()
	e := errorf(nameOrPath, "no such file or built-in scenario; expected a path to a .yaml file or one of the built-ins: %s", list(names))
	e.Suggest = suggest(nameOrPath, names)
	return nil, e
}

// looksLikeFile reports whether s should be read as a file path.
func looksLikeFile(s string) bool {
	if fi, err := os.Stat(s); err == nil && !fi.IsDir() {
		return true
	}
	return strings.ContainsAny(s, `/`+string(os.PathSeparator)) ||
		strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml")
}

// readFile reads a scenario file, reading no more than MaxSize+1 bytes so
// that Load can reject a file that is too large without reading it all.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, errorf(name, "cannot read the scenario: %v", unwrapPath(err))
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, errorf(name, "cannot read the scenario: %v", unwrapPath(err))
	}
	return src, nil
}

// unwrapPath drops the path from an *os.PathError, which the message already
// names.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
