package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A tutorialStep is a command to run or a file to write, in the order
// docs/tutorial.md gives them.
type tutorialStep struct {
	line    int    // where it is in the tutorial
	command string // a shell command, or
	file    string // a file to write, with
	text    string // this text
}

// tutorialSteps reads the steps of the tutorial: every line of an sh block
// (lines ending in \ continue), and every block under a
// "<!-- file: PATH -->" line as the file PATH.
func tutorialSteps(t *testing.T, path string) []tutorialStep {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []tutorialStep
	fileMark := regexp.MustCompile(`^<!-- file: (\S+) -->$`)
	sc := bufio.NewScanner(f)
	n, pending, lang, in := 0, "", "", false
	var block []string
	start := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		switch {
		case !in && strings.HasPrefix(l, "```"):
			in, lang, block, start = true, strings.TrimPrefix(l, "```"), nil, n
		case in && l == "```":
			in = false
			switch {
			case pending != "":
				steps = append(steps, tutorialStep{line: start, file: pending, text: strings.Join(block, "\n") + "\n"})
				pending = ""
			case lang == "sh":
				cmd := ""
				for i, b := range block {
					if strings.HasPrefix(strings.TrimSpace(b), "#") || strings.TrimSpace(b) == "" {
						continue
					}
					if c, ok := strings.CutSuffix(b, `\`); ok {
						cmd += c
						continue
					}
					steps = append(steps, tutorialStep{line: start + 1 + i, command: strings.TrimSpace(cmd + b)})
					cmd = ""
				}
			}
		case in:
			block = append(block, l)
		default:
			if m := fileMark.FindStringSubmatch(l); m != nil {
				pending = m[1]
			}
		}
	}
	return steps
}

// TestTutorial runs every command of docs/tutorial.md in order in an empty
// folder, with natmo on the PATH, on 2 seeds (--seeds 2 added to each run
// and sweep). Go files it writes under cmd/ are built from the repository
// through an overlay, as if saved in a clone, and go run runs that build.
func TestTutorial(t *testing.T) {
	if raceEnabled {
		t.Skip("the tutorial runs in the plain go test, not under the race detector")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	steps := tutorialSteps(t, filepath.Join(repo, "docs", "tutorial.md"))
	work, bin := t.TempDir(), t.TempDir()
	wrapper := "#!/bin/sh\nNATMO_TEST_MAIN=1 exec " + shellQuote(os.Args[0]) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "natmo"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	overlay := map[string]string{}
	goRun := regexp.MustCompile(`^go run (\./cmd/[\w-]+)(.*)$`)
	seeds := regexp.MustCompile(`\s--seeds[ =]\d+`)
	var commands, files int
	for _, st := range steps {
		if st.file != "" {
			files++
			dst := filepath.Join(work, st.file)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, []byte(st.text), 0o644); err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(st.file, ".go") {
				overlay[filepath.Join(repo, st.file)] = dst
			}
			continue
		}
		commands++
		cmd := st.command
		switch {
		case strings.HasPrefix(cmd, "natmo run ") || strings.HasPrefix(cmd, "natmo sweep "):
			cmd = seeds.ReplaceAllString(cmd, "") + " --seeds 2"
		case goRun.MatchString(cmd):
			m := goRun.FindStringSubmatch(cmd)
			exe := filepath.Join(bin, filepath.Base(m[1]))
			buildWithOverlay(t, repo, m[1], exe, overlay)
			cmd = shellQuote(exe) + m[2] + " seeds=2"
		}
		c := exec.Command("bash", "-c", cmd)
		c.Dir, c.Env = work, env
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("docs/tutorial.md:%d: %s: %v\n%s", st.line, st.command, err, out)
		}
		if strings.Contains(st.command, "earlystop") && !strings.Contains(string(out), "stopped-early") {
			t.Errorf("docs/tutorial.md:%d: %s printed no stopped-early arm:\n%s", st.line, st.command, out)
		}
	}
	if commands < 10 || files < 3 {
		t.Fatalf("read %d commands and %d files from the tutorial; it has more", commands, files)
	}
	// What the tutorial says the commands leave behind is there.
	for _, f := range []string{
		"results/emergent-misalignment/report.html",
		"results/uncoupled/report.html",
		"results/insecure-then-repair/report.html",
		"results/insecure-then-repair-sweep/figures/insecure-then-repair-dose-misalignment_offdomain.svg",
		"results/insecure-then-repair-sweep/figures/insecure-then-repair-dose-helpfulness.png",
		"results/steps-by-coupling/report.html",
		"results/steps-by-coupling/figures/insecure-then-repair-heatmap-misalignment_offdomain.svg",
	} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Errorf("after the tutorial: %v", err)
		}
	}
}

// buildWithOverlay builds the package pkg of the repository with the files
// of overlay in place, into exe.
func buildWithOverlay(t *testing.T, repo, pkg, exe string, overlay map[string]string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"Replace": overlay})
	ovl := filepath.Join(t.TempDir(), "overlay.json")
	if err := os.WriteFile(ovl, b, 0o644); err != nil {
		t.Fatal(err)
	}
	c := exec.Command("go", "build", "-overlay", ovl, "-o", exe, pkg)
	c.Dir = repo
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("go build %s (the tutorial's Go code): %v\n%s", pkg, err, out)
	}
}
