package sim

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRunnerNamesNoWorld: the runner's files name no world; worlds live in
// their own packages and reach the runner through a Registry and their Config.
func TestRunnerNamesNoWorld(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	worlds := regexp.MustCompile(`(?i)\b(persona|cot)\b`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if worlds.MatchString(line) {
				t.Errorf("%s:%d names a world: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
