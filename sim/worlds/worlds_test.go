package worlds_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/worlds"
)

// TestDefault checks that the built-in registry assembles and that every
// built-in scenario loads against it.
func TestDefault(t *testing.T) {
	r := worlds.Default()
	if len(r.Names()) < 2 {
		t.Fatalf("worlds %v; expected at least persona and cot", r.Names())
	}
	for _, name := range scenarios.BuiltinNames() {
		if _, err := scenarios.Open(name, nil, r.Schema()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// And so do the repository's own scenario files (the Slurm end-to-end's
	// sweep, the benchmark's persona-peer).
	files, err := filepath.Glob("../../testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata scenarios (%v)", err)
	}
	for _, f := range files {
		if _, err := scenarios.Open(f, nil, r.Schema()); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestPerDomainMetrics checks that a persona world offers a per-domain
// metric only for the domains it has: measured by default when it has the
// domain, an error naming the metric when it has not.
func TestPerDomainMetrics(t *testing.T) {
	const src = "name: t\nworld: {kind: persona, domains: 6}\nbaseline:\n  - pretrain: {examples: 100, epochs: 1, lr: 0.01}\n"
	dir := t.TempDir()
	write := func(name, text string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sc, err := scenarios.Open(write("all.yaml", src), nil, worlds.Default().Schema())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(sc.Measure.Metrics, "refusal@cooking") || slices.Contains(sc.Measure.Metrics, "refusal@fitness") {
		t.Errorf("default metrics %v; want refusal@cooking and not refusal@fitness (6 domains)", sc.Measure.Metrics)
	}
	_, err = scenarios.Open(write("bad.yaml", src+"measure: {metrics: [misalignment@fitness]}\n"), nil, worlds.Default().Schema())
	if err == nil || !strings.Contains(err.Error(), `unknown metric "misalignment@fitness"`) {
		t.Errorf("measuring a domain the world lacks: error %v; want an unknown metric", err)
	}
	if _, err := scenarios.Open(write("ok.yaml", src+"measure: {metrics: [misalignment@fitness]}\n"), []string{"world.domains=7"}, worlds.Default().Schema()); err != nil {
		t.Errorf("with 7 domains: %v", err)
	}
}
