package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natmo/natmo/sim"
)

// A repro is one way a break-it pass broke natmo (issue 20): a folder to
// set up, a command, the exit code and message wanted, within seconds, with
// no NaN written and no user file lost.
type repro struct {
	name  string
	setup func(t *testing.T, dir string) // prepares dir before the command (may be nil)
	args  []string                       // "DIR" is replaced by the case's folder
	code  int
	want  []string                       // substrings of stderr
	check func(t *testing.T, dir string) // after the command (may be nil)
}

// runRepros runs each case in a folder of its own and checks it.
func runRepros(t *testing.T, cases []repro) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if c.setup != nil {
				c.setup(t, dir)
			}
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.ReplaceAll(a, "DIR", dir)
			}
			start := time.Now()
			code, _, e := natmo(t, args...)
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("took %v", took)
			}
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, e)
			}
			for _, w := range c.want {
				if !strings.Contains(e, w) {
					t.Errorf("stderr lacks %q:\n%s", w, e)
				}
			}
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if fi, e := os.Stat(p); e == nil && fi.ModTime().Before(start) {
					return nil // written by the setup
				}
				if err == nil && !d.IsDir() && strings.HasSuffix(p, ".csv") {
					if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Inf")) {
						t.Errorf("%s holds a non-finite value", p)
					}
				}
				return nil
			})
			if c.check != nil {
				c.check(t, dir)
			}
		})
	}
}

var tinyRun = []string{"run", "testdata/tiny.yaml", "--seeds", "2", "--format", "svg", "-q", "--out", "DIR"}

func with(base []string, extra ...string) []string {
	return append(append([]string{}, base...), extra...)
}

// finished runs tiny into dir.
func finished(t *testing.T, dir string) {
	t.Helper()
	if code, _, e := natmo(t, "run", "testdata/tiny.yaml", "--seeds", "2", "--format", "svg", "-q", "--out", dir); code != 0 {
		t.Fatalf("setup run: exit %d: %s", code, e)
	}
}

// edited runs tiny into dir and then edits a file of it.
func edited(name string, edit func([]byte) []byte) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		finished(t, dir)
		p := filepath.Join(dir, filepath.FromSlash(name))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, edit(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func manifestComplete(t *testing.T, dir string) bool {
	var m sim.Manifest
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	json.Unmarshal(b, &m)
	return m.Complete
}

var tinySweep = []string{"sweep", "testdata/tiny.yaml", "--seeds", "1", "--over", "arms.insecure.0.narrow-finetune.steps=10,20", "--format", "svg", "-q", "--out", "DIR"}

// TestReproductions keeps the reproductions of issue 20: each exits non-zero
// with a located message within seconds, with no panic, no hang and no NaN
// written.
func TestReproductions(t *testing.T) {
	runRepros(t, reproCases())
}

func reproCases() []repro {
	return []repro{
		// 4. Sizes beyond what a machine holds or a run can finish.
		{name: "seeds 1e9", args: []string{"validate", "testdata/tiny.yaml", "--set", "seeds=1e9"}, code: 2, want: []string{"--set seeds=1e9", "from 1 to 10000"}},
		{name: "examples 1e12", args: with(tinyRun, "--set", "baseline.0.pretrain.examples=1e12"), code: 2, want: []string{"baseline.0.pretrain", "≤ 10000000"}},
		{name: "steps 1e15", args: with(tinyRun, "--set", "arms.insecure.0.narrow-finetune.steps=1e15"), code: 2, want: []string{"arms.insecure.0.narrow-finetune", "≤ 100000000"}},
		// World sizes and scales (their configurations' bounds), and a run
		// too large for the machine.
		{name: "cue_noise 1e200", args: with(tinyRun, "--set", "world.cue_noise=1e200"), code: 2, want: []string{"--set world.cue_noise=1e200", "must be in [0, 1000]"}},
		{name: "hidden 1e6", args: with(tinyRun, "--set", "world.hidden=1e6"), code: 2, want: []string{"--set world.hidden=1e6", "between 1 and 4096"}},
		{name: "eval_examples 1e9", args: with(tinyRun, "--set", "world.eval_examples=1e9"), code: 2, want: []string{"--set world.eval_examples=1e9", "eval_examples"}},
		{name: "cot monitor fit of hours", args: []string{"validate", "cot-monitor-pressure", "--set", "world.monitor.steps=100000", "--set", "world.monitor.examples=1000000"}, code: 2, want: []string{"monitor.steps", "token updates"}},
		{name: "more memory than any machine", args: with(tinyRun, "--set", "world.hidden=4096", "--seeds", "1000", "--workers", "1000"), code: 2,
			want: []string{"of memory", "lower the world's model size (world.hidden), or --workers (now 1000)"}, check: func(t *testing.T, dir string) {
				if _, err := os.Stat(dir); err == nil {
					t.Error("the refused run made its folder")
				}
			}},
		// 5. RL divergence.
		{name: "rl lr 1e6", args: []string{"run", "cot-monitor-pressure", "--seeds", "1", "--set", "baseline.1.rl.lr=1e6", "--set", "baseline.1.rl.steps=100", "-q", "--format", "svg", "--out", "DIR"},
			code: 1, want: []string{"seed 0", "stage rl", "diverged", "largest |weight|"}},
		// 6. A kill in the first milliseconds leaves only a temporary manifest.
		{name: "only a temp manifest, resume", setup: func(t *testing.T, dir string) {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, ".manifest.json.tmp-4242"), []byte("{"), 0o644)
		}, args: with(tinyRun, "--resume"), code: 0, check: func(t *testing.T, dir string) {
			if m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(m) > 0 || !manifestComplete(t, dir) {
				t.Errorf("temp files %v left, complete %v", m, manifestComplete(t, dir))
			}
		}},
		{name: "only a temp sweep.json, no flag", setup: func(t *testing.T, dir string) {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, ".sweep.json.tmp-7"), nil, 0o644)
		}, args: tinySweep, code: 0},
		// 7. Damaged or foreign seed files are never trusted.
		{name: "truncated seed file", setup: edited("runs/seed-0001.csv", func(b []byte) []byte {
			return b[:bytes.LastIndexByte(b[:len(b)-1], '\n')+1]
		}), args: with(tinyRun, "--resume"), code: 2, want: []string{"seed-0001.csv", "a damaged file"}},
		{name: "renamed arm", setup: edited("runs/seed-0000.csv", func(b []byte) []byte {
			return bytes.ReplaceAll(b, []byte("\nsecure,"), []byte("\nsekure,"))
		}), args: with(tinyRun, "--resume"), code: 2, want: []string{"seed-0000.csv", "a damaged file"}},
		{name: "seed file of another scenario", setup: func(t *testing.T, dir string) {
			finished(t, dir)
			other := filepath.Join(filepath.Dir(dir), "other")
			if code, _, e := natmo(t, "run", "testdata/tiny.yaml", "--seeds", "2", "--set", "world.coupling=0.5", "--format", "svg", "-q", "--out", other); code != 0 {
				t.Fatal(e)
			}
			b, _ := os.ReadFile(filepath.Join(other, "runs", "seed-0001.csv"))
			os.WriteFile(filepath.Join(dir, "runs", "seed-0001.csv"), b, 0o644)
		}, args: with(tinyRun, "--resume"), code: 2, want: []string{"seed-0001.csv", "a seed file of another scenario"}},
		{name: "NaN in a seed file", setup: edited("runs/seed-0000.csv", func(b []byte) []byte {
			i := bytes.LastIndexByte(b[:len(b)-1], ',')
			return append(append(b[:i+1:i+1], "NaN"...), '\n')
		}), args: with(tinyRun, "--resume"), code: 2, want: []string{"seed-0000.csv", "a damaged file"}},
		{name: "corrupt sweep.json", setup: func(t *testing.T, dir string) {
			args := with(tinySweep)
			args[len(args)-1] = dir
			if code, _, e := natmo(t, args...); code != 0 {
				t.Fatal(e)
			}
			b, _ := os.ReadFile(filepath.Join(dir, "sweep.json"))
			b = bytes.Replace(b, []byte(`"seeds": 1`), []byte(`"seeds": -1`), 1)
			os.WriteFile(filepath.Join(dir, "sweep.json"), b, 0o644)
		}, args: []string{"merge", "DIR", "--out", "DIR-merged"}, code: 1, want: []string{"sweep.json", "-1 seeds"}},
		// 3. NaN or ±1e308 in a results table: refused or drawn, never a hang.
		{name: "plot: 1e308 in the tables", setup: edited("metrics.csv", func(b []byte) []byte {
			lines := strings.Split(string(b), "\n")
			for i, l := range lines {
				if f := strings.Split(l, ","); len(f) == 6 && f[4] == "misalignment_offdomain" && f[0] != "baseline" {
					f[5] = map[string]string{"insecure": "1e308", "secure": "-1e308"}[f[0]]
					lines[i] = strings.Join(f, ",")
				}
			}
			return []byte(strings.Join(lines, "\n"))
		}), args: []string{"plot", "DIR", "--format", "svg", "--out", "DIR/replot"}, code: 1, want: []string{"y axis", "a diverged run?"}},
		{name: "plot: NaN in the tables", setup: edited("summary.csv", func(b []byte) []byte {
			return bytes.Replace(b, []byte(",0,"), []byte(",NaN,"), 1)
		}), args: []string{"plot", "DIR", "--format", "svg"}, code: 2, want: []string{"summary.csv", "not a finite number"}},
		// 8. Figures, the command line, text.
		{name: "a figure that cannot be written fails the run", setup: func(t *testing.T, dir string) {
			finished(t, dir)
			os.RemoveAll(filepath.Join(dir, "figures"))
			os.WriteFile(filepath.Join(dir, "figures"), nil, 0o644)
		}, args: with(tinyRun, "--resume"), code: 1, want: []string{"figures"}, check: func(t *testing.T, dir string) {
			if manifestComplete(t, dir) {
				t.Error("the manifest says complete although its figures failed")
			}
		}},
		{name: "a sweep whose figure cannot be written fails", setup: func(t *testing.T, dir string) {
			args := with(tinySweep)
			args[len(args)-1] = dir
			if code, _, e := natmo(t, args...); code != 0 {
				t.Fatal(e)
			}
			os.RemoveAll(filepath.Join(dir, "figures"))
			os.WriteFile(filepath.Join(dir, "figures"), nil, 0o644)
		}, args: with(tinySweep, "--resume"), code: 1, want: []string{"the figures failed"}},
		{name: "--out without its value", args: []string{"run", "testdata/tiny.yaml", "--out"}, code: 2, want: []string{"--out needs a value"}},
		{name: "--out followed by a flag", args: []string{"run", "testdata/tiny.yaml", "--out", "--force"}, code: 2, want: []string{"--out needs a value"}},
		{name: "--out=--", args: []string{"run", "testdata/tiny.yaml", "--out=--"}, code: 2, want: []string{`--out "--" is not a folder name`}},
		{name: "control character in a title", args: []string{"validate", "testdata/tiny.yaml", "--set", `title="a\u001bb"`}, code: 2, want: []string{"bad title", "U+001B"}},
		{name: "a name too long for a file name", args: []string{"validate", "testdata/tiny.yaml", "--set", "name=" + strings.Repeat("n", 80)}, code: 2, want: []string{"80 bytes; expected at most 64"}},
		{name: "a figure name too long for a file name", args: []string{"validate", "testdata/tiny.yaml", "--set", "figures.0.name=" + strings.Repeat("f", 70)}, code: 2, want: []string{"figure name", "at most 64"}},
		// 1. --force.
		{name: "--force on the working directory", setup: func(t *testing.T, dir string) { finished(t, dir); t.Chdir(dir) },
			args: []string{"run", filepath.Join(mustWd(), "testdata/tiny.yaml"), "--out", ".", "--force", "-q"}, code: 2, want: []string{"the working directory"}},
		{name: "--force on a home folder", setup: func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, ".ssh"), 0o700)
			os.WriteFile(filepath.Join(dir, ".ssh", "id_ed25519"), []byte("key"), 0o600)
			t.Setenv("HOME", dir)
		}, args: with(tinyRun, "--force"), code: 2, want: []string{"your home folder"}, check: func(t *testing.T, dir string) {
			if _, err := os.Stat(filepath.Join(dir, ".ssh", "id_ed25519")); err != nil {
				t.Errorf("the key is gone: %v", err)
			}
		}},
	}
}

func mustWd() string {
	wd, _ := os.Getwd()
	return wd
}
