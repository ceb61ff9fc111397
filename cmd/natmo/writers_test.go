//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
)

// TestOneWriterPerFolder starts two runs of different scenarios into one
// folder: exactly one proceeds; the other exits 2 at once, naming the
// holder's PID, and the folder is the first run's alone.
func TestOneWriterPerFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "res")
	first := exec.Command(os.Args[0], "run", "testdata/tiny.yaml", "--workers", "1", "--set", "baseline.0.pretrain.examples=20000", "--format", "svg", "-q", "--out", out)
	first.Env = append(os.Environ(), "NATMO_TEST_MAIN=1")
	var stderr bytes.Buffer
	first.Stderr = &stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(first.Process.Pid)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, _ := os.ReadFile(filepath.Join(out, results.LockName)); strings.TrimSpace(string(b)) == pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first run never took the lock")
		}
		time.Sleep(time.Millisecond)
	}
	for _, extra := range [][]string{nil, {"--force"}, {"--resume"}} {
		start := time.Now()
		code, _, e := natmo(t, append([]string{"run", "testdata/tiny.yaml", "--seeds", "1", "-q", "--out", out}, extra...)...)
		if code != 2 || !strings.Contains(e, "PID "+pid) || time.Since(start) > 2*time.Second {
			t.Errorf("second writer %v: exit %d after %v, %q; want 2 at once naming PID %s", extra, code, time.Since(start), e, pid)
		}
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first run: %v: %s", err, stderr.String())
	}
	var m sim.Manifest
	b, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil || !m.Complete || m.Seeds != 3 {
		t.Errorf("the folder after both: complete %v, %d seeds (%v); want the first run's 3 seeds, complete", m.Complete, m.Seeds, err)
	}
	if seeds, _ := filepath.Glob(filepath.Join(out, "runs", "seed-*.csv")); len(seeds) != 3 {
		t.Errorf("%d seed files, want the first run's 3", len(seeds))
	}
	if _, err := os.Stat(filepath.Join(out, results.LockName)); err == nil {
		t.Error("the lock file is left after the run")
	}
}
