package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
)

// TestKeepGoingCLI: with --keep-going an arm that diverges in every seed
// loses its runs, the other arms keep theirs (n = seeds in the summary),
// the failures are printed on stderr and the command exits 1; without it,
// the first failure stops the run (exit 1) and says what --keep-going does.
func TestKeepGoingCLI(t *testing.T) {
	dir := t.TempDir()
	hot := []string{"run", "testdata/tiny.yaml", "--seeds", "2", "--format", "svg", "-q", "--set", "arms.insecure.0.narrow-finetune.lr=1e6"}
	out := filepath.Join(dir, "keep")
	code, stdout, stderr := natmo(t, append(hot, "--keep-going", "--out", out)...)
	if code != 1 {
		t.Errorf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	for _, arm := range []string{"baseline", "secure"} {
		if rows := regexp.MustCompile(`(?m)^  `+arm+` +2 `).FindAllString(stdout, -1); len(rows) != 2 {
			t.Errorf("the summary shows %s with n 2 in %d of its 2 metrics:\n%s", arm, len(rows), stdout)
		}
	}
	if strings.Contains(stdout, "  insecure ") {
		t.Errorf("the summary shows the failed arm:\n%s", stdout)
	}
	for _, want := range []string{"failed: seed 0, arms [insecure], stage finetune", "failed: seed 1, arms [insecure]", "2 of 2 seeds failed", "the other arms of those seeds are kept"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	m, _ := os.ReadFile(filepath.Join(out, "metrics.csv"))
	if !strings.Contains(string(m), "\nsecure,1,finetune,") || strings.Contains(string(m), "\ninsecure,") {
		t.Errorf("metrics.csv should hold secure's seed 1 and no insecure run")
	}

	code, _, stderr = natmo(t, append(hot, "--workers", "1", "--out", filepath.Join(dir, "stop"))...)
	if code != 1 || !strings.Contains(stderr, "seed 0, arms [insecure]") || !strings.Contains(stderr, "--keep-going lets the other seeds, and this seed's arms that did not fail, finish") {
		t.Errorf("without --keep-going: exit %d, stderr:\n%s", code, stderr)
	}

	sweep := filepath.Join(dir, "sweep")
	code, _, stderr = natmo(t, "sweep", "testdata/tiny.yaml", "--seeds", "1", "--over", "arms.insecure.0.narrow-finetune.lr=0.001,1e6",
		"--keep-going", "--format", "svg", "-q", "--out", sweep)
	if code != 1 || !strings.Contains(stderr, "failed: point 1 (arms.insecure.0.narrow-finetune.lr=1e6): seed 0, arms [insecure]") {
		t.Errorf("sweep with --keep-going: exit %d, stderr:\n%s", code, stderr)
	}
	s, _ := os.ReadFile(filepath.Join(sweep, "summary.csv"))
	if !strings.Contains(string(s), "\n1,1e6,secure,") || strings.Contains(string(s), "\n1,1e6,insecure,") || !strings.Contains(string(s), "\n0,0.001,insecure,") {
		t.Errorf("the sweep's summary.csv should keep point 1's secure arm and lack its insecure arm:\n%s", s)
	}
}

// TestSummaryTableSaysWhatIsPaired checks that the printed table says when
// an arm's difference from baseline rests on fewer seeds than its n, and
// prints no difference, rather than 0, for an arm that shares no seed with
// the baseline.
func TestSummaryTableSaysWhatIsPaired(t *testing.T) {
	sc := &scenarios.Scenario{Name: "s", Title: "t"}
	res := &sim.Result{Metrics: []string{"m"}, Summary: []results.Summary{
		{Arm: "baseline", Metric: "m", N: 3, Paired: 3},
		{Arm: "a", Metric: "m", N: 4, Mean: 0.5, Delta: 0.25, Paired: 3},
		{Arm: "b", Metric: "m", N: 4, Mean: 0.5, Delta: 0.25, Paired: 4},
		{Arm: "c", Metric: "m", N: 2, Mean: 0.5, Unpaired: true},
	}}
	var buf bytes.Buffer
	printSummary(&buf, sc, res)
	lines := strings.Split(buf.String(), "\n")
	line := func(arm string) string {
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), arm+" ") {
				return l
			}
		}
		t.Fatalf("no row for %s in\n%s", arm, buf.String())
		return ""
	}
	if !strings.Contains(line("a"), "(3 paired seeds)") {
		t.Errorf("a's row does not say its difference pairs 3 seeds: %q", line("a"))
	}
	if strings.Contains(line("b"), "paired seeds") {
		t.Errorf("b's row notes its pairing though it pairs every seed: %q", line("b"))
	}
	if c := strings.TrimSpace(line("c")); !strings.HasSuffix(c, "[0.000, 0.000]  — (no seed shared with baseline)") {
		t.Errorf("c's row: %q; want its mean, then no difference", c)
	}
}
