package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the repository's root, seen from this package's folder.
const repoRoot = "../.."

// outside are the ways of citing the design material natmo started from,
// which someone who cloned the repository does not have: docs/design.md is
// the project's own account. (Spelled in pieces so that this file does not
// cite them itself.)
var outside = []*regexp.Regexp{
	regexp.MustCompile(`\.\./` + `shared`),
	regexp.MustCompile(`\b` + `DESIGN` + `(\.md)?\s*§?\d`),
}

// designRef finds a citation of a section of docs/design.md, e.g.
// "docs/design.md §5.1" or "[design.md](design.md) §5".
var designRef = regexp.MustCompile(`design\.md\)?\s*§(\d+(?:\.\d+)*)`)

// sectionHead finds a numbered heading of docs/design.md, e.g. "### 5.1 persona".
var sectionHead = regexp.MustCompile(`(?m)^#+ (\d+(?:\.\d+)*)\.? `)

// projectText returns the repository's README, docs, Go files and YAML
// files (test data aside) by path, relative to the root.
func projectText(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != repoRoot && (strings.HasPrefix(n, ".") || n == "testdata" || n == "results") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".md", ".go", ".yaml", ".yml":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files["README.md"] == "" || files["docs/design.md"] == "" {
		t.Fatalf("README.md or docs/design.md not found from %s", repoRoot)
	}
	return files
}

// TestDocsSelfContained checks that the README, the docs, the Go files and
// the scenarios cite nothing outside the repository for the design, and
// that every section of docs/design.md they cite exists.
func TestDocsSelfContained(t *testing.T) {
	files := projectText(t)
	sections := map[string]bool{}
	for _, m := range sectionHead.FindAllStringSubmatch(files["docs/design.md"], -1) {
		sections[m[1]] = true
	}
	if !sections["5.1"] || !sections["5.2"] {
		t.Fatalf("docs/design.md has no sections 5.1 and 5.2 (found %v)", sections)
	}
	for path, text := range files {
		for _, re := range outside {
			if loc := re.FindStringIndex(text); loc != nil {
				t.Errorf("%s:%d cites %q, which is outside the repository; cite docs/design.md instead", path, line(text, loc[0]), text[loc[0]:loc[1]])
			}
		}
		refs := designRef.FindAllStringSubmatchIndex(text, -1)
		if path == "docs/design.md" {
			refs = regexp.MustCompile(`§(\d+(?:\.\d+)*)`).FindAllStringSubmatchIndex(text, -1)
		}
		for _, r := range refs {
			if s := text[r[2]:r[3]]; !sections[s] {
				t.Errorf("%s:%d cites docs/design.md §%s, which has no such section", path, line(text, r[0]), s)
			}
		}
	}
}

// line is the 1-based line of byte offset i in text.
func line(text string, i int) int { return strings.Count(text[:i], "\n") + 1 }
