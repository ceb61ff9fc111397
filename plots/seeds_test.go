package plots

import (
	"bytes"
	"encoding/csv"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
)

// TestSeeds draws a seeds figure of two metrics and checks its table: a
// row per arm and seed holding that seed's final value, then the arm's
// mean with a CI around it; the caption states n, the axis the metric's
// description; two renders give the same bytes.
func TestSeeds(t *testing.T) {
	in := testInput()
	fig := scenarios.Figure{Kind: "seeds", Metrics: []string{"misalignment_offdomain", "capability"}}
	dir1, dir2 := t.TempDir(), t.TempDir()
	if _, err := Render(fig, in, dir1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Render(fig, in, dir2, nil); err != nil {
		t.Fatal(err)
	}
	base := "toy-" + Name(fig)
	for _, ext := range []string{"svg", "png", "pdf", "csv"} {
		if !bytes.Equal(read(t, filepath.Join(dir1, base+"."+ext)), read(t, filepath.Join(dir2, base+"."+ext))) {
			t.Errorf("%s differs between two renders of the same input", ext)
		}
	}
	svg := string(read(t, filepath.Join(dir1, base+".svg")))
	for _, s := range []string{"n = 4 per arm", "in-domain accuracy", "misalignment_offdomain", "narrow-finetune"} {
		if !strings.Contains(svg, s) {
			t.Errorf("SVG lacks %q", s)
		}
	}

	rows, err := csv.NewReader(bytes.NewReader(read(t, filepath.Join(dir1, base+".csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows)-1, 2*len(testArms)*(4+1); got != want {
		t.Fatalf("CSV has %d rows, want %d", got, want)
	}
	ix := newIndex(in.Records, nil)
	sums := map[[2]string][]float64{}
	for _, r := range rows[1:] {
		arm, m, seed := r[0], r[1], r[2]
		v, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		k := [2]string{arm, m}
		if seed != "" {
			s, _ := strconv.Atoi(seed)
			if want := ix.finalValues(arm, m)[s]; v != want {
				t.Errorf("%s %s seed %s: %v, want its final value %v", arm, m, seed, v, want)
			}
			sums[k] = append(sums[k], v)
			continue
		}
		lo, _ := strconv.ParseFloat(r[4], 64)
		hi, _ := strconv.ParseFloat(r[5], 64)
		mean := 0.0
		for _, x := range sums[k] {
			mean += x
		}
		mean /= float64(len(sums[k]))
		if len(sums[k]) != 4 || math.Abs(v-mean) > 1e-9 || !(lo <= v && v <= hi) {
			t.Errorf("%s %s: mean row %q, want the mean %v of 4 seeds inside its CI", arm, m, r, mean)
		}
	}
}

// TestSeedsErrors: a seeds figure needs a metric with final values.
func TestSeedsErrors(t *testing.T) {
	in := testInput()
	for _, fig := range []scenarios.Figure{{Kind: "seeds"}, {Kind: "seeds", Metrics: []string{"nonesuch"}}} {
		if _, err := Render(fig, in, t.TempDir(), []string{"svg"}); err == nil {
			t.Errorf("%v: no error", fig.Metrics)
		}
	}
}
