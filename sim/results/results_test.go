package results

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuantile(t *testing.T) {
	xs := []float64{1, 2, 3, 4}
	for _, c := range []struct{ p, want float64 }{{0, 1}, {0.25, 1.75}, {0.5, 2.5}, {0.9, 3.7}, {1, 4}} {
		if got := Quantile(xs, c.p); got != c.want {
			t.Errorf("Quantile(%v, %v) = %v, want %v (by hand: type 7)", xs, c.p, got, c.want)
		}
	}
}

func TestMeanCI(t *testing.T) {
	if m, lo, hi := MeanCI([]float64{0.3, 0.3, 0.3}); m != 0.3 || lo != 0.3 || hi != 0.3 {
		t.Errorf("constant sample: %v [%v, %v], want 0.3 [0.3, 0.3]", m, lo, hi)
	}
	if m, lo, hi := MeanCI([]float64{2}); m != 2 || lo != 2 || hi != 2 {
		t.Errorf("one value: %v [%v, %v]", m, lo, hi)
	}
	// By hand: resamples of {0, 1} have means 0, ½, 1 with chances ¼, ½, ¼,
	// so over 2000 resamples the 2.5% and 97.5% quantiles are 0 and 1.
	if m, lo, hi := MeanCI([]float64{0, 1}); m != 0.5 || lo != 0 || hi != 1 {
		t.Errorf("MeanCI([0 1]) = %v [%v, %v], want 0.5 [0, 1]", m, lo, hi)
	}
	xs := []float64{0, 0, 0, 0, 1, 1, 1, 1}
	m, lo, hi := MeanCI(xs)
	// The mean of 8 fair coin flips resampled has sd √(0.25/8) ≈ 0.177, so a
	// 95% interval is about 0.5 ± 0.35, on the grid of multiples of 1/8.
	if m != 0.5 || !(lo >= 0.125 && lo <= 0.25) || !(hi >= 0.75 && hi <= 0.875) {
		t.Errorf("MeanCI(%v) = %v [%v, %v], want 0.5 [≈0.19, ≈0.81]", xs, m, lo, hi)
	}
	if m2, lo2, hi2 := MeanCI(xs); m2 != m || lo2 != lo || hi2 != hi {
		t.Error("MeanCI is not deterministic")
	}
}

// TestSummarise checks the summary against values computed by hand: the
// last probe per seed is used, deltas are paired by seed.
func TestSummarise(t *testing.T) {
	recs := []Record{
		{"baseline", 0, "sft", 10, "m", 0.1}, {"baseline", 1, "sft", 10, "m", 0.2}, {"baseline", 2, "sft", 10, "m", 0.3},
		{"arm", 0, "finetune", 0, "m", 9}, // superseded by the later probe
		{"arm", 0, "finetune", 5, "m", 0.5}, {"arm", 1, "finetune", 5, "m", 0.4}, {"arm", 2, "finetune", 5, "m", 0.9},
	}
	rows := Summarise(recs, []string{"baseline", "arm"}, []string{"m"}, "baseline")
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	a := rows[1]
	// Means: arm (0.5+0.4+0.9)/3 = 0.6; deltas 0.4, 0.2, 0.6 → 0.4.
	if a.Arm != "arm" || a.N != 3 || !near(a.Mean, 0.6) || !near(a.Delta, 0.4) {
		t.Errorf("arm row %+v: want n 3, mean 0.6, delta 0.4", a)
	}
	if !(a.DLow >= 0.2-1e-12 && a.DLow < 0.4 && a.DHigh > 0.4 && a.DHigh <= 0.6+1e-12) {
		t.Errorf("delta interval [%v, %v] must lie within the deltas' range [0.2, 0.6] around 0.4", a.DLow, a.DHigh)
	}
	if b := rows[0]; b.Delta != 0 || b.DLow != 0 || b.DHigh != 0 || !near(b.Mean, 0.2) {
		t.Errorf("baseline row %+v: want mean 0.2 and a zero delta", b)
	}
}

// TestSummariseMissing: a metric missing at a seed's last probe (a world
// records nothing for an undefined value) leaves that seed out of its row;
// an earlier probe's value never stands in for it.
func TestSummariseMissing(t *testing.T) {
	recs := []Record{
		{Arm: "baseline", Seed: 0, Stage: "s", Step: 0, Metric: "recall", Value: 0.5},
		{Arm: "baseline", Seed: 0, Stage: "s", Step: 0, Metric: "rate", Value: 0.1},
		{Arm: "baseline", Seed: 0, Stage: "s", Step: 10, Metric: "rate", Value: 0}, // recall missing at the end
		{Arm: "baseline", Seed: 1, Stage: "s", Step: 0, Metric: "recall", Value: 0.9},
		{Arm: "baseline", Seed: 1, Stage: "s", Step: 0, Metric: "rate", Value: 0.2},
		{Arm: "baseline", Seed: 1, Stage: "s", Step: 10, Metric: "recall", Value: 0.8},
		{Arm: "baseline", Seed: 1, Stage: "s", Step: 10, Metric: "rate", Value: 0.3},
		{Arm: "a", Seed: 0, Stage: "s", Step: 0, Metric: "recall", Value: 0.7},
		{Arm: "a", Seed: 0, Stage: "t", Step: 5, Metric: "rate", Value: 0.4}, // recall missing at the end
	}
	rows := Summarise(recs, []string{"baseline", "a"}, []string{"recall", "rate"}, "baseline")
	got := map[string]Summary{}
	for _, r := range rows {
		got[r.Arm+"/"+r.Metric] = r
	}
	if r := got["baseline/recall"]; r.N != 1 || r.Mean != 0.8 {
		t.Errorf("baseline/recall = %+v, want n 1, mean 0.8 (seed 1 alone)", r)
	}
	if r := got["baseline/rate"]; r.N != 2 || r.Mean != 0.15 {
		t.Errorf("baseline/rate = %+v, want n 2, mean 0.15", r)
	}
	if r, ok := got["a/recall"]; ok {
		t.Errorf("a/recall = %+v from an earlier probe, want no row", r)
	}
	if len(rows) != 3 {
		t.Errorf("%d rows, want 3", len(rows))
	}
}

func TestTablesRoundTrip(t *testing.T) {
	recs := []Record{{"baseline", 0, "sft", 10, "m", 0.1}, {"a,b", 3, "finetune.2", 7, "x", 1.0 / 3}}
	var buf bytes.Buffer
	if err := WriteMetrics(&buf, recs); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMetrics(&buf)
	if err != nil || len(got) != 2 || got[0] != recs[0] || got[1] != recs[1] {
		t.Fatalf("round trip: %v %v", got, err)
	}
	sum := []Summary{{Arm: "a", Metric: "m", N: 3, Mean: 0.1, Low: 0, High: 0.2, Delta: 0.05, DLow: -0.1, DHigh: 0.3}}
	buf.Reset()
	WriteSummary(&buf, sum)
	gs, err := ReadSummary(&buf)
	if err != nil || len(gs) != 1 || gs[0] != sum[0] {
		t.Fatalf("round trip: %v %v", gs, err)
	}
	if _, err := ReadMetrics(bytes.NewBufferString("arm,seed\n")); err == nil {
		t.Error("a table with the wrong header was accepted")
	}
}

func TestWriteFileAtomicLeavesNoPartial(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.csv")
	os.WriteFile(p, []byte("old"), 0o644)
	err := WriteFileAtomic(p, func(w *bufio.Writer) error {
		w.WriteString("half")
		return os.ErrClosed
	})
	if err == nil {
		t.Fatal("want the writer's error")
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("file = %q, want the old content", b)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("%d entries left, want only the old file", len(es))
	}
}

func TestCheckTarget(t *testing.T) {
	dir := t.TempDir()
	if err := CheckTarget(filepath.Join(dir, "new"), false); err != nil {
		t.Errorf("a new folder: %v", err)
	}
	if err := CheckTarget(dir, false); err != nil {
		t.Errorf("an empty folder: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "x"), nil, 0o644)
	if err := CheckTarget(dir, false); !errors.Is(err, ErrExists) {
		t.Errorf("a folder with files: %v, want ErrExists", err)
	}
	if err := CheckTarget(dir, true); !errors.Is(err, ErrNotOurs) {
		t.Errorf("with force, a folder natmo did not write: %v, want ErrNotOurs", err)
	}
	if err := CheckTarget(filepath.Join(dir, "x"), true); !errors.Is(err, ErrExists) {
		t.Errorf("a file in the way: %v, want ErrExists", err)
	}
}

func near(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }

// TestIntervalsMemo checks that a remembered interval is the computed one
// to the bit, that values differing in one bit or in order are different
// keys, and that a nil memo computes.
func TestIntervalsMemo(t *testing.T) {
	iv := NewIntervals()
	xs := []float64{0.1, 0.5, 0.2, 0.9, 0.3}
	same := func(a, b [3]float64) bool {
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				return false
			}
		}
		return true
	}
	var want [3]float64
	want[0], want[1], want[2] = MeanCI(xs)
	for range 3 {
		var got [3]float64
		got[0], got[1], got[2] = iv.MeanCI(xs)
		if !same(got, want) {
			t.Fatalf("remembered %v, computed %v", got, want)
		}
	}
	if iv.Len() != 1 {
		t.Errorf("%d intervals remembered, want 1", iv.Len())
	}
	ys := []float64{0.1, 0.5, 0.2, 0.3, 0.9} // same values, another order: another resample
	zs := append([]float64(nil), xs...)
	zs[4] = math.Nextafter(zs[4], 1)
	for _, v := range [][]float64{ys, zs} {
		var got, fresh [3]float64
		got[0], got[1], got[2] = iv.MeanCI(v)
		fresh[0], fresh[1], fresh[2] = MeanCI(v)
		if !same(got, fresh) {
			t.Errorf("MeanCI(%v) = %v remembered, %v computed", v, got, fresh)
		}
	}
	if iv.Len() != 3 {
		t.Errorf("%d intervals remembered, want 3", iv.Len())
	}
	var none *Intervals
	var got [3]float64
	got[0], got[1], got[2] = none.MeanCI(xs)
	if !same(got, want) || none.Len() != 0 {
		t.Errorf("nil memo: %v, want %v", got, want)
	}
}

// TestSummarisePairsBySeed: the delta from baseline pairs an arm's seeds
// with the baseline's same seeds, over the seeds both have (a failed seed
// of either arm is left out of the pairs), never by position.
func TestSummarisePairsBySeed(t *testing.T) {
	var recs []Record
	add := func(arm string, seed int, v float64) {
		recs = append(recs, Record{Arm: arm, Seed: seed, Stage: "s", Step: 10, Metric: "m", Value: v})
	}
	for seed, v := range []float64{1, 2, 3} { // seed 3 of baseline failed
		add("baseline", seed, v)
	}
	for _, sv := range [][2]float64{{0, 10}, {2, 30}, {3, 40}} { // seed 1 of a failed
		add("a", int(sv[0]), sv[1])
	}
	rows := Summarise(recs, []string{"baseline", "a"}, []string{"m"}, "baseline")
	if len(rows) != 2 || rows[0].N != 3 || rows[1].N != 3 {
		t.Fatalf("rows %+v, want n 3 for both arms", rows)
	}
	d, lo, hi := MeanCI([]float64{10 - 1, 30 - 3}) // seeds 0 and 2
	if r := rows[1]; r.Delta != d || r.DLow != lo || r.DHigh != hi {
		t.Errorf("a's delta = %v [%v, %v], want %v [%v, %v] over seeds 0 and 2", r.Delta, r.DLow, r.DHigh, d, lo, hi)
	}
	if m, _, _ := MeanCI([]float64{10, 30, 40}); rows[1].Mean != m {
		t.Errorf("a's mean = %v, want %v over its own three seeds", rows[1].Mean, m)
	}
	if rows[1].Paired != 2 || rows[1].Unpaired || rows[0].Paired != 3 {
		t.Errorf("paired seeds %d (unpaired %v) for a, %d for baseline; want 2 and 3", rows[1].Paired, rows[1].Unpaired, rows[0].Paired)
	}
}

// TestSummaryUnpaired checks an arm that shares no seed with the baseline
// (the baseline failed wherever the arm finished): no difference — not a
// difference of 0 — in the table and in summary.csv, which reads back.
func TestSummaryUnpaired(t *testing.T) {
	recs := []Record{
		{Arm: "baseline", Seed: 0, Stage: "s", Step: 1, Metric: "m", Value: 1},
		{Arm: "a", Seed: 1, Stage: "s", Step: 1, Metric: "m", Value: 5},
		{Arm: "a", Seed: 2, Stage: "s", Step: 1, Metric: "m", Value: 7},
	}
	rows := Summarise(recs, []string{"baseline", "a"}, []string{"m"}, "baseline")
	if len(rows) != 2 || !rows[1].Unpaired || rows[1].Paired != 0 || rows[1].Delta != 0 || rows[0].Unpaired {
		t.Fatalf("rows %+v; want a unpaired with no difference, baseline paired", rows)
	}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\na,m,2,6,") || !strings.HasSuffix(buf.String(), ",,,\n") {
		t.Fatalf("summary.csv:\n%s\nwant a's difference cells empty", buf.String())
	}
	back, err := ReadSummary(&buf)
	if err != nil || len(back) != 2 || !back[1].Unpaired || back[0].Unpaired {
		t.Fatalf("read back %+v, %v", back, err)
	}
	// One empty cell of three is damage, not an unpaired row.
	bad := "arm,metric,n,mean,ci_low,ci_high,delta,delta_ci_low,delta_ci_high\na,m,2,6,5,7,,0,0\n"
	if _, err := ReadSummary(strings.NewReader(bad)); err == nil {
		t.Errorf("a row with one empty difference cell was read")
	}
}
