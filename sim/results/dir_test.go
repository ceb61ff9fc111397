package results

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tree writes files (slash paths relative to dir, "" content) and returns
// dir.
func tree(t *testing.T, dir string, files ...string) string {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		body := "x"
		switch filepath.Base(f) {
		case "manifest.json":
			body = `{"natmo_version": "(devel)", "resolved_scenario": "name: t\n"}`
		case "sweep.json":
			body = `{"scenario": "t", "axes": [], "points": []}`
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// list returns every file under dir, as slash paths.
func list(t *testing.T, dir string) []string {
	var fs []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			r, _ := filepath.Rel(dir, p)
			fs = append(fs, filepath.ToSlash(r))
		}
		return nil
	})
	return fs
}

var natmoRun = []string{
	"manifest.json", "metrics.csv", "summary.csv", ".natmo.lock", ".summary.csv.tmp-123",
	"runs/seed-0000.csv", "runs/seed-0001.failed.json", "runs/.seed-0002.csv.tmp-9",
	"figures/t-bars-m.svg", "figures/t-bars-m.png", "figures/t-bars-m.pdf", "figures/t-bars-m.csv",
}

var natmoSweep = []string{
	"sweep.json", "metrics.csv", "summary.csv",
	"runs/0123456789ab/seed-0000.csv", "runs/0123456789ab/seed-10000.failed.json", "figures/t-dose-m.svg",
}

// TestForceReplacesOnlyNatmoFolders: --force replaces a run or sweep folder
// natmo wrote, and refuses, touching nothing, a folder with anything else in
// it, one without natmo's identity, and the working directory.
func TestForceReplacesOnlyNatmoFolders(t *testing.T) {
	for name, files := range map[string][]string{"run": natmoRun, "sweep": natmoSweep} {
		dir := tree(t, t.TempDir(), files...)
		if err := CheckTarget(dir, true); err != nil {
			t.Fatalf("%s folder: %v", name, err)
		}
		if err := Replace(dir); err != nil {
			t.Fatalf("%s folder: %v", name, err)
		}
		if got := list(t, dir); !slices.Equal(got, []string{".natmo.lock"}) && len(got) != 0 {
			t.Errorf("%s folder after Replace holds %v; want nothing but the lock", name, got)
		}
		if es, _ := os.ReadDir(dir); len(es) > 1 {
			t.Errorf("%s folder after Replace: %d entries left", name, len(es))
		}
	}

	refused := []struct {
		name  string
		files []string
		want  string
	}{
		{"a source file", append([]string{"main.go"}, natmoRun...), "main.go"},
		{"a user's folder", append([]string{"src/a.go"}, natmoRun...), "src/"},
		{"a file in runs", append([]string{"runs/notes.txt"}, natmoRun...), "runs/notes.txt"},
		{"a file in figures", append([]string{"figures/paper.tex"}, natmoRun...), "figures/paper.tex"},
		{"a deeper folder", append([]string{"runs/0123456789ab/x/seed-0000.csv"}, natmoSweep...), "runs/0123456789ab/x/"},
		{"a .ssh folder", []string{".ssh/id_ed25519", "manifest.json"}, ".ssh/"},
		{"no identity", []string{"metrics.csv", "summary.csv"}, "no natmo manifest.json"},
		{"a temp file of another name", append([]string{".bashrc.tmp-1"}, natmoRun...), ".bashrc.tmp-1"},
	}
	for _, c := range refused {
		dir := tree(t, t.TempDir(), c.files...)
		before := list(t, dir)
		for _, err := range []error{CheckTarget(dir, true), Replace(dir)} {
			if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v; want ErrNotOurs naming %q", c.name, err, c.want)
			}
		}
		if after := list(t, dir); !slices.Equal(before, after) {
			t.Errorf("%s: files changed: %v → %v", c.name, before, after)
		}
	}

	// Never the working directory or a parent of it, even a natmo folder.
	dir := tree(t, t.TempDir(), natmoRun...)
	t.Chdir(filepath.Join(dir, "runs"))
	for _, d := range []string{dir, ".", "..", filepath.Join(dir, "runs")} {
		if err := Replace(d); !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), "working directory") {
			t.Errorf("Replace(%s) with the working directory in it: %v", d, err)
		}
	}
	if err := Replace("/"); !errors.Is(err, ErrNotOurs) {
		t.Errorf("Replace(/): %v", err)
	}
	if got := list(t, dir); len(got) != len(natmoRun) {
		t.Errorf("files lost: %d of %d left", len(got), len(natmoRun))
	}
}

// TestFresh: a folder holding only the lock and temporary files of a run
// killed before its first rename counts as new.
func TestFresh(t *testing.T) {
	for _, c := range []struct {
		files []string
		fresh bool
	}{
		{nil, true},
		{[]string{".manifest.json.tmp-12345"}, true},
		{[]string{".sweep.json.tmp-1", ".natmo.lock"}, true},
		{[]string{"manifest.json"}, false},
		{[]string{".notes.tmp-1"}, false},
		{[]string{"runs/"}, false},
	} {
		dir := t.TempDir()
		for _, f := range c.files {
			if strings.HasSuffix(f, "/") {
				os.Mkdir(filepath.Join(dir, f), 0o755)
			} else {
				os.WriteFile(filepath.Join(dir, f), nil, 0o644)
			}
		}
		if got, err := Fresh(dir); err != nil || got != c.fresh {
			t.Errorf("Fresh(%v) = %v, %v; want %v", c.files, got, err, c.fresh)
		}
		if err := CheckTarget(dir, false); (err == nil) != c.fresh {
			t.Errorf("CheckTarget(%v) = %v", c.files, err)
		}
	}
}
