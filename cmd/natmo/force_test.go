package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestForceKeepsUserFiles: run --force into a folder holding a file natmo
// did not write exits 2 and leaves every file; into a folder natmo wrote it
// replaces the folder.
func TestForceKeepsUserFiles(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "res")
	args := []string{"run", "testdata/tiny.yaml", "--seeds", "1", "--format", "svg", "-q", "--out", out}
	if code, _, e := natmo(t, args...); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, e)
	}
	stale := filepath.Join(out, "figures", "tiny-old.svg") // a figure an earlier run drew
	os.WriteFile(stale, []byte("<svg/>"), 0o644)
	if code, _, e := natmo(t, append(args, "--force")...); code != 0 {
		t.Fatalf("--force on natmo's folder: exit %d: %s", code, e)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("--force kept a figure of the run it replaced")
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err != nil {
		t.Errorf("--force run left no manifest: %v", err)
	}

	// A user's file in the folder, or a folder that is not natmo's at all.
	notes := filepath.Join(out, "notes.txt")
	os.WriteFile(notes, []byte("my notes"), 0o644)
	project := filepath.Join(dir, "project")
	os.MkdirAll(filepath.Join(project, "src"), 0o755)
	os.WriteFile(filepath.Join(project, "src", "main.go"), []byte("package main"), 0o644)
	os.WriteFile(filepath.Join(project, "metrics.csv"), []byte("a,b\n"), 0o644)
	for _, c := range []struct{ out, want string }{{out, "notes.txt"}, {project, "src/"}} {
		before := snapshot(t, c.out)
		code, _, e := natmo(t, append(args[:len(args)-1], c.out, "--force")...)
		if code != 2 || !strings.Contains(e, c.want) || !strings.Contains(e, "did not write") {
			t.Errorf("--force --out %s: exit %d, %q; want 2 naming %s", c.out, code, e, c.want)
		}
		if after := snapshot(t, c.out); after != before {
			t.Errorf("--force --out %s changed the folder:\n%s\n→\n%s", c.out, before, after)
		}
	}
}

// snapshot lists every file under dir with its contents.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			b.WriteString(p + "\t" + string(data) + "\n")
		}
		return nil
	})
	return b.String()
}
