package plots

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// TestExtremeValuesNeverHang draws figures of values gonum/plot's tick
// placement cannot step across (near ±1e308, 1e200, two values differing in
// their last digit, NaN beside numbers): each figure is drawn or refused
// with an error naming the axis, within seconds.
func TestExtremeValuesNeverHang(t *testing.T) {
	cases := []struct {
		name   string
		values []float64 // one per seed of the narrow-finetune arm
		want   string    // "draw", "refuse" or either
	}{
		{"±1e308", []float64{1e308, -1e308, 1, 2}, "refuse"},
		{"1e200", []float64{1e200, 1e200, 1e200, 1e200}, "refuse"},
		{"thin range at 1e15", []float64{1e15, 1e15 + 0.125, 1e15, 1e15 + 0.125}, "draw"},
		{"NaN and numbers", []float64{math.NaN(), 0.5, 0.25, 0.75}, "either"}, // curves leave NaN out; bars refuse a NaN mean
	}
	for _, c := range cases {
		in := testInput()
		for i, r := range in.Records {
			if r.Arm == "narrow-finetune" && r.Metric == "capability" {
				in.Records[i].Value = c.values[r.Seed]
			}
		}
		in.Summary = results.Summarise(in.Records, in.Arms, testMetrics, scenarios.BaselineArm)
		for _, kind := range []string{"bars", "curves", "scatter"} {
			fig := scenarios.Figure{Kind: kind, Metrics: []string{"capability"}}
			if kind == "scatter" {
				fig.Metrics = []string{"misalignment_offdomain", "capability"}
			}
			done := make(chan error, 1)
			go func() {
				_, err := Render(fig, in, t.TempDir(), []string{"svg"})
				done <- err
			}()
			select {
			case err := <-done:
				if c.want == "draw" && err != nil {
					t.Errorf("%s, %s: %v", c.name, kind, err)
				}
				if (c.want == "refuse" && err == nil) || (err != nil && !strings.Contains(err.Error(), "axis")) {
					t.Errorf("%s, %s: %v; want an error naming the axis", c.name, kind, err)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("%s, %s: drawing hangs", c.name, kind)
			}
		}
	}
}

// TestControlCharactersKeepSVGValid: a title and an arm name with control
// characters still give a well-formed SVG.
func TestControlCharactersKeepSVGValid(t *testing.T) {
	in := testInput()
	in.Title = "bell\a and escape\x1b[31m"
	for i := range in.Records {
		if in.Records[i].Arm == "narrow-finetune" {
			in.Records[i].Arm = "narrow\x00finetune"
		}
	}
	in.Arms = slices.Clone(in.Arms)
	in.Arms[1] = "narrow\x00finetune"
	in.Summary = results.Summarise(in.Records, in.Arms, testMetrics, scenarios.BaselineArm)
	dir := t.TempDir()
	files, err := Render(scenarios.Figure{Kind: "bars", Metrics: []string{"capability"}, Caption: "a\vb"}, in, dir, []string{"svg"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", filepath.Base(files[0]), err)
		}
	}
}

// TestRenderContextStops: a cancelled context stops drawing before a file.
func TestRenderContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := RenderContext(ctx, scenarios.Figure{Kind: "bars", Metrics: []string{"capability"}}, testInput(), dir, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("cancelled render wrote %d files", len(es))
	}
}
