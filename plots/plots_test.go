package plots

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

var testArms = []string{"baseline", "narrow-finetune", "filtered-finetune"}

var testMetrics = []string{"misalignment_offdomain", "capability", "readout_yes", "readout_no", "readout_unsure"}

// testInput is a small fixed run: 3 arms × 4 seeds; every arm pretrains
// (3 probes), the two intervention arms then fine-tune (4 probes).
func testInput() Input {
	var recs []results.Record
	for ai, arm := range testArms {
		for seed := range 4 {
			noise := func(step, mi int) float64 {
				return 0.03 * math.Sin(float64(7*seed+3*step+11*mi+5*ai))
			}
			for _, step := range []int{0, 50, 100} {
				for mi, m := range testMetrics {
					v := 0.1 + 0.002*float64(step)/float64(mi+1) + noise(step, mi)
					recs = append(recs, results.Record{Arm: arm, Seed: seed, Stage: "pretrain", Step: step, Metric: m, Value: v})
				}
			}
			if arm == scenarios.BaselineArm {
				continue
			}
			for _, step := range []int{0, 10, 20, 30} {
				for mi, m := range testMetrics {
					v := 0.3 + float64(ai)*0.004*float64(step)/float64(mi+1) + noise(step, mi)
					recs = append(recs, results.Record{Arm: arm, Seed: seed, Stage: "finetune", Step: step, Metric: m, Value: v})
				}
			}
		}
	}
	return Input{
		Scenario:   "toy",
		Title:      "Toy emergent misalignment",
		Arms:       testArms,
		Records:    recs,
		Summary:    results.Summarise(recs, testArms, testMetrics, scenarios.BaselineArm),
		Labels:     map[string]string{"capability": "in-domain accuracy"},
		Sweep:      testSweep(recs),
		SweepLabel: "fine-tuning examples",
	}
}

// testSweep makes a sweep of four runs from recs, the effect of fine-tuning
// growing with the swept number of examples.
func testSweep(recs []results.Record) []SweepPoint {
	var sweep []SweepPoint
	for _, n := range []float64{3000, 100, 300, 1000} { // out of order
		scaled := slices.Clone(recs)
		for i, r := range scaled {
			if r.Stage == "finetune" {
				scaled[i].Value = 0.2 + (r.Value-0.2)*math.Log10(n)/3.5
			}
		}
		sweep = append(sweep, SweepPoint{Value: n, Summary: results.Summarise(scaled, testArms, testMetrics, scenarios.BaselineArm)})
	}
	return sweep
}

// testFigures are figures of each kind, with the number of rows each
// figure's table should have and the text its SVG should contain.
var testFigures = []struct {
	fig  scenarios.Figure
	rows int
	want []string
}{
	{scenarios.Figure{Kind: "curves", Metrics: []string{"misalignment_offdomain", "capability"}},
		2 * (2*4 + 2), []string{"finetune step", "misalignment_offdomain", "in-domain accuracy", "Toy emergent misalignment", "bootstrap CI"}},
	{scenarios.Figure{Kind: "bars", Metrics: []string{"misalignment_offdomain"}},
		3, []string{"misalignment_offdomain", "Δ +"}},
	{scenarios.Figure{Kind: "profile", Metrics: []string{"readout_yes", "readout_no", "readout_unsure"}},
		3 * 3, []string{"readout", "unsure", "final value"}},
	{scenarios.Figure{Kind: "scatter", Metrics: []string{"capability", "misalignment_offdomain"}, Title: "Capability vs misalignment"},
		3*4 + 3, []string{"in-domain accuracy", "misalignment_offdomain", "Capability vs misalignment"}},
	{scenarios.Figure{Kind: "dose", Metrics: []string{"misalignment_offdomain"}, Caption: "A custom caption."},
		3 * 4, []string{"fine-tuning examples", "misalignment_offdomain", "A custom caption."}},
	{scenarios.Figure{Kind: "grid", Metrics: []string{"misalignment_offdomain", "capability", "readout_yes"}},
		3 * (2*4 + 2), []string{"(a)", "(b)", "(c)", "in-domain accuracy", "readout_yes"}},
}

func TestRender(t *testing.T) {
	in := testInput()
	for _, tf := range testFigures {
		t.Run(tf.fig.Kind, func(t *testing.T) {
			t.Parallel() // figures are drawn concurrently, too
			dir1, dir2 := t.TempDir(), t.TempDir()
			files, err := Render(tf.fig, in, dir1, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Render(tf.fig, in, dir2, nil); err != nil {
				t.Fatal(err)
			}
			base := "toy-" + Name(tf.fig)
			var want []string
			for _, ext := range []string{"svg", "png", "pdf", "csv"} {
				want = append(want, filepath.Join(dir1, base+"."+ext))
			}
			if !slices.Equal(files, want) {
				t.Fatalf("files = %q, want %q", files, want)
			}
			for _, ext := range []string{"svg", "png", "pdf", "csv"} {
				b1 := read(t, filepath.Join(dir1, base+"."+ext))
				b2 := read(t, filepath.Join(dir2, base+"."+ext))
				if !bytes.Equal(b1, b2) {
					t.Errorf("%s differs between two renders of the same input", ext)
				}
			}
			if pdf := read(t, filepath.Join(dir1, base+".pdf")); !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("FontFile2")) {
				t.Errorf("PDF is not a PDF with embedded TrueType fonts")
			}
			if png := read(t, filepath.Join(dir1, base+".png")); !bytes.HasPrefix(png, []byte("\x89PNG")) {
				t.Errorf("PNG is not a PNG")
			}

			svg := string(read(t, filepath.Join(dir1, base+".svg")))
			for _, s := range append(slices.Clone(testArms), tf.want...) {
				if !strings.Contains(svg, s) {
					t.Errorf("SVG lacks %q", s)
				}
			}
			if strings.Contains(svg, "font-family:Liberation Sans;") {
				t.Errorf("SVG names Liberation Sans without fallbacks")
			}

			rows, err := csv.NewReader(bytes.NewReader(read(t, filepath.Join(dir1, base+".csv")))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if got := len(rows) - 1; got != tf.rows {
				t.Errorf("CSV has %d rows, want %d:\n%q", got, tf.rows, rows)
			}
			arm := slices.Index(rows[0], "arm")
			if arm < 0 {
				t.Fatalf("CSV header %q has no arm column", rows[0])
			}
			for _, r := range rows[1:] {
				if !slices.Contains(testArms, r[arm]) {
					t.Errorf("CSV row %q names no arm", r)
				}
			}
		})
	}
}

func TestRenderGrid(t *testing.T) {
	in := testInput()
	figs := []scenarios.Figure{
		{Kind: "curves", Metrics: []string{"misalignment_offdomain"}},
		{Kind: "bars", Metrics: []string{"misalignment_offdomain"}, Title: "Final misalignment"},
		{Kind: "profile", Metrics: []string{"readout_yes", "readout_no", "readout_unsure"}},
		{Kind: "scatter", Metrics: []string{"capability", "misalignment_offdomain"}},
	}
	dir := os.Getenv("PLOTS_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	files, err := RenderGrid("overview", figs, in, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 || filepath.Base(files[3]) != "toy-overview.csv" {
		t.Fatalf("files = %q", files)
	}
	svg := string(read(t, filepath.Join(dir, "toy-overview.svg")))
	for _, s := range append(slices.Clone(testArms), "(a)", "(d)", "Final misalignment", "Δ +") {
		if !strings.Contains(svg, s) {
			t.Errorf("SVG lacks %q", s)
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(read(t, files[3]))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows)-1, (2*4+2)+3+3*3+(3*4+3); got != want {
		t.Errorf("CSV has %d rows, want %d", got, want)
	}
	if rows[0][0] != "panel" || rows[1][0] != "a" || rows[len(rows)-1][0] != "d" {
		t.Errorf("CSV panels: header %q, first %q, last %q", rows[0], rows[1], rows[len(rows)-1])
	}
	if _, err := RenderGrid("nested", []scenarios.Figure{{Kind: "grid", Metrics: []string{"capability"}}}, in, t.TempDir(), nil); err == nil {
		t.Errorf("grid in a grid: no error")
	}
}

// TestRenderOut renders every test figure into $PLOTS_OUT, for looking at.
func TestRenderOut(t *testing.T) {
	dir := os.Getenv("PLOTS_OUT")
	if dir == "" {
		t.Skip("PLOTS_OUT not set")
	}
	in := testInput()
	for _, tf := range testFigures {
		if _, err := Render(tf.fig, in, dir, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edgeInput has many arms with long names, negative values, a NaN, one
// seed for one arm and a single fine-tuning probe.
func edgeInput() Input {
	arms := []string{"baseline", "narrow-finetune-insecure-code", "narrow-finetune-secure-code",
		"filtered", "a", "b-with-a-rather-long-name", "c", "d", "e"}
	var recs []results.Record
	for ai, arm := range arms {
		seeds := 3
		if arm == "c" {
			seeds = 1
		}
		for seed := range seeds {
			v := func(m int) float64 { return -0.5 + 0.13*float64(ai) + 0.02*float64(seed) - 0.3*float64(m) }
			recs = append(recs,
				results.Record{Arm: arm, Seed: seed, Stage: "pretrain", Step: 0, Metric: "logit_gap", Value: v(0)},
				results.Record{Arm: arm, Seed: seed, Stage: "pretrain", Step: 0, Metric: "tok_a", Value: v(1)})
			if arm != "baseline" {
				val := v(0) + 0.1
				if arm == "d" && seed == 1 {
					val = math.NaN()
				}
				recs = append(recs,
					results.Record{Arm: arm, Seed: seed, Stage: "finetune.2", Step: 5, Metric: "logit_gap", Value: val},
					results.Record{Arm: arm, Seed: seed, Stage: "finetune.2", Step: 5, Metric: "tok_a", Value: v(1) + 0.2})
			}
		}
	}
	return Input{
		Scenario: "edge",
		Title:    "A scenario whose title is long enough that it has to wrap onto a second line at this width",
		Records:  recs, // no Arms, no Summary: both derived
	}
}

var edgeFigures = []scenarios.Figure{
	{Kind: "curves", Metrics: []string{"logit_gap"}},
	{Kind: "bars", Metrics: []string{"logit_gap"}, Name: "bars/edge"},
	{Kind: "profile", Metrics: []string{"logit_gap", "tok_a"}},
	{Kind: "scatter", Metrics: []string{"logit_gap", "tok_a"}},
}

func TestRenderEdgeCases(t *testing.T) {
	dir := os.Getenv("PLOTS_OUT")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, fig := range edgeFigures {
		if _, err := Render(fig, edgeInput(), dir, []string{"png", "svg"}); err != nil {
			t.Errorf("%s: %v", fig.Kind, err)
		}
	}
}

func TestName(t *testing.T) {
	for _, c := range []struct {
		fig  scenarios.Figure
		want string
	}{
		{scenarios.Figure{Kind: "curves", Metrics: []string{"misalignment_offdomain"}}, "curves-misalignment_offdomain"},
		{scenarios.Figure{Kind: "curves", Metrics: []string{"a", "b"}, Stage: "finetune.2"}, "curves-a-b"},
		{scenarios.Figure{Kind: "bars", Metrics: []string{"a"}, Name: "my figure/1"}, "my_figure_1"},
		{scenarios.Figure{Kind: "bars", Name: ".hidden"}, "_hidden"},
	} {
		if got := Name(c.fig); got != c.want {
			t.Errorf("Name(%+v) = %q, want %q", c.fig, got, c.want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	in := testInput()
	for _, c := range []struct {
		fig     scenarios.Figure
		formats []string
		want    string
	}{
		{scenarios.Figure{Kind: "pie", Metrics: []string{"capability"}}, nil, `unknown kind "pie"`},
		{scenarios.Figure{Kind: "bars", Metrics: []string{"capability"}}, []string{"gif"}, `unknown format "gif"`},
		{scenarios.Figure{Kind: "curves"}, nil, "no metrics"},
		{scenarios.Figure{Kind: "curves", Metrics: []string{"nope"}}, nil, `no records of nope in stage "finetune"`},
		{scenarios.Figure{Kind: "curves", Metrics: []string{"capability"}, Stage: "rl"}, nil, `stage "rl"`},
		{scenarios.Figure{Kind: "bars", Metrics: []string{"nope"}}, nil, "no final values of nope"},
		{scenarios.Figure{Kind: "scatter", Metrics: []string{"capability"}}, nil, "want 2 metrics"},
	} {
		dir := t.TempDir()
		files, err := Render(c.fig, in, dir, c.formats)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Render(%+v) error = %v, want one containing %q", c.fig, err, c.want)
		}
		if entries, _ := os.ReadDir(dir); len(files) > 0 || len(entries) > 0 {
			t.Errorf("Render(%+v) wrote %q", c.fig, files)
		}
	}
	noSweep := in
	noSweep.Sweep = nil
	if _, err := Render(scenarios.Figure{Kind: "dose", Metrics: []string{"capability"}}, noSweep, t.TempDir(), nil); err == nil {
		t.Errorf("dose without a sweep: no error")
	}
}

// TestArmColours checks the house palette: baseline grey, the other arms
// coloured by their place in Arms, the same in every figure.
func TestArmColours(t *testing.T) {
	st := armStyles(testArms)
	if st["baseline"].Color != baselineColor {
		t.Errorf("baseline colour = %v, want grey", st["baseline"].Color)
	}
	if st["narrow-finetune"].Color == st["filtered-finetune"].Color {
		t.Errorf("two arms share a colour")
	}
	in := testInput()
	dir := t.TempDir()
	for _, fig := range []scenarios.Figure{
		{Kind: "curves", Metrics: []string{"capability"}},
		{Kind: "bars", Metrics: []string{"capability"}},
	} {
		if _, err := Render(fig, in, dir, []string{"svg"}); err != nil {
			t.Fatal(err)
		}
		svg := string(read(t, filepath.Join(dir, "toy-"+Name(fig)+".svg")))
		for _, hex := range []string{"#7F7F7F", "#0072B2", "#D55E00"} {
			if !strings.Contains(svg, hex) {
				t.Errorf("%s: SVG lacks arm colour %s", fig.Kind, hex)
			}
		}
	}
}

// TestNonFinite checks that a seed whose last value is NaN has no final
// value, rather than an earlier one.
func TestNonFinite(t *testing.T) {
	recs := []results.Record{
		{Arm: "baseline", Seed: 0, Stage: "s", Step: 0, Metric: "m", Value: 1},
		{Arm: "baseline", Seed: 1, Stage: "s", Step: 0, Metric: "m", Value: 3},
		{Arm: "baseline", Seed: 1, Stage: "s", Step: 1, Metric: "m", Value: math.NaN()},
	}
	ix := newIndex(recs, nil)
	if st, _ := ix.finalStat("baseline", "m"); st.N != 1 || st.Mean != 1 {
		t.Errorf("final stat = %+v, want N=1 mean=1", st)
	}
	in := Input{Records: recs}
	s := in.summaries([]string{"baseline"}, []string{"m"})[[2]string{"baseline", "m"}]
	if s.N != 1 || s.Mean != 1 {
		t.Errorf("summary = %+v, want N=1 mean=1", s)
	}
}

// TestBarsContrast checks that a bars figure labels an arm that has a
// contrast with its paired difference from the arm the contrast names,
// and the other arms as before.
func TestBarsContrast(t *testing.T) {
	in := testInput()
	in.Contrasts = results.Contrasts(in.Records, [][2]string{{testArms[2], testArms[1]}}, []string{"misalignment_offdomain"})
	dir := t.TempDir()
	fig := scenarios.Figure{Kind: "bars", Metrics: []string{"misalignment_offdomain"}}
	if _, err := Render(fig, in, dir, []string{"svg"}); err != nil {
		t.Fatal(err)
	}
	svg := string(read(t, filepath.Join(dir, "toy-"+Name(fig)+".svg")))
	for _, s := range []string{"Δ vs " + testArms[1], "or from the arm named"} {
		if !strings.Contains(svg, s) {
			t.Errorf("SVG lacks %q", s)
		}
	}
	if n := strings.Count(svg, "Δ vs "); n != 1 {
		t.Errorf("%d contrast labels, want 1", n)
	}
}
