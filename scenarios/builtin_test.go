package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/natmo/natmo/scenarios"
)

func TestBuiltins(t *testing.T) {
	names := scenarios.BuiltinNames()
	if !slices.Contains(names, "emergent-misalignment") {
		t.Fatalf("BuiltinNames() = %v", names)
	}
	for _, name := range names {
		src, ok := scenarios.Builtin(name)
		if !ok || len(src) == 0 {
			t.Errorf("Builtin(%q) = %d bytes, %v", name, len(src), ok)
		}
		// The fake schema cannot know the real worlds' metrics and knobs:
		// cmd/natmo's TestBuiltinsLoad opens every built-in with sim.Schema().
		// Here: the file is YAML and its name is the built-in's name.
		var head struct {
			Name string `yaml:"name"`
		}
		if err := yaml.Unmarshal(src, &head); err != nil || head.Name != name {
			t.Errorf("builtin %s: name %q, err %v; want the file's name", name, head.Name, err)
		}
	}
	for _, bad := range []string{"", "nope", "../builtin/emergent-misalignment", "emergent-misalignment.yaml"} {
		if _, ok := scenarios.Builtin(bad); ok {
			t.Errorf("Builtin(%q) found something", bad)
		}
	}
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Open(p, []string{"seeds=3"}, newSchema())
	if err != nil || sc.File != p || sc.Seeds != 3 {
		t.Fatalf("Open(%q) = %+v, %v", p, sc, err)
	}
	// A file named like a builtin, in the working directory, wins.
	t.Chdir(dir)
	if err := os.WriteFile("emergent-misalignment", []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	if sc, err := scenarios.Open("emergent-misalignment", nil, newSchema()); err != nil || sc.Name != "min" {
		t.Errorf("Open of a local file named like a builtin = %+v, %v", sc, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", scenarios.MaxSize+10)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want string }{
		{"emergent-misalignmnt", `no such file or built-in scenario; expected a path to a .yaml file or one of the built-ins: ` +
			strings.Join(scenarios.BuiltinNames(), ", ") + `; did you mean "emergent-misalignment"?`},
		{filepath.Join(dir, "missing.yaml"), "cannot read the scenario: open: no such file or directory"},
		{"missing.yml", "cannot read the scenario"},
		{dir + "/", "cannot read the scenario"},
		{big, "larger than 1 MiB"},
	} {
		_, err := scenarios.Open(c.in, nil, newSchema())
		var e *scenarios.Error
		if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), c.in+": ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q) error = %v; want an *Error naming it and containing %q", c.in, err, c.want)
		}
	}
}
