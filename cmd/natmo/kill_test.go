package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run this package's main in a child process (the test
// binary re-executed with NATMO_TEST_MAIN=1), to send it real signals.
func TestMain(m *testing.M) {
	if os.Getenv("NATMO_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSweepKilledThenResumed kills a sweep part-way, by SIGINT, SIGTERM and
// SIGKILL, and resumes it: the tables are the bytes of an uninterrupted sweep, and the
// resumed run trains nothing that had finished.
func TestSweepKilledThenResumed(t *testing.T) {
	dir := t.TempDir()
	args := []string{"sweep", "testdata/tiny.yaml", "--over", "arms.insecure.0.narrow-finetune.steps=20,40,60", "--format", "svg", "-q"}
	whole := filepath.Join(dir, "whole")
	if code, _, e := natmo(t, append(args, "--out", whole)...); code != 0 {
		t.Fatalf("whole sweep: exit %d: %s", code, e)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		part := filepath.Join(dir, "part-"+sig.String())
		cmd := exec.Command(os.Args[0], append(args, "--out", part, "--workers", "1")...)
		cmd.Env = append(os.Environ(), "NATMO_TEST_MAIN=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for the first finished seed, then interrupt.
		deadline := time.Now().Add(60 * time.Second)
		for {
			if fs, _ := filepath.Glob(filepath.Join(part, "runs", "*", "seed-*.csv")); len(fs) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		done, _ := filepath.Glob(filepath.Join(part, "runs", "*", "seed-*.csv"))
		if len(done) == 0 || len(done) == 9 {
			t.Fatalf("%v: %d of 9 seeds had finished when the sweep stopped (%v); want some but not all", sig, len(done), err)
		}
		if want := map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143}[sig]; want != 0 {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != want || !strings.Contains(stderr.String(), "--resume") {
				t.Errorf("%v: %v, stderr %q; want exit %d and the command to resume", sig, err, stderr.String(), want)
			}
		}
		if _, err := os.Stat(filepath.Join(part, "metrics.csv")); err == nil {
			t.Errorf("%v: an interrupted sweep wrote metrics.csv", sig)
		}
		before := map[string][]byte{}
		for _, f := range done {
			before[f], _ = os.ReadFile(f)
		}
		code, _, e := natmo(t, append(args, "--out", part, "--resume")...)
		if code != 0 {
			t.Fatalf("%v: resume: exit %d: %s", sig, code, e)
		}
		for f, b := range before {
			if a, _ := os.ReadFile(f); !bytes.Equal(a, b) {
				t.Errorf("%v: resume rewrote %s, which had finished", sig, f)
			}
		}
		for _, f := range []string{"metrics.csv", "summary.csv"} {
			x, _ := os.ReadFile(filepath.Join(whole, f))
			y, _ := os.ReadFile(filepath.Join(part, f))
			if len(x) == 0 || !bytes.Equal(x, y) {
				t.Errorf("%v: %s after resume differs from the uninterrupted sweep", sig, f)
			}
		}
	}
}
