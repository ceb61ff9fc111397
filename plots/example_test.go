package plots_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/natmo/natmo/plots"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// Render draws a figure of a run's results and writes it, with the data it
// shows, into a folder.
func ExampleRender() {
	// Two arms, three seeds, three probes of fine-tuning for the
	// intervention arm; the baseline arm stops before fine-tuning.
	var recs []results.Record
	for seed := range 3 {
		s := float64(seed) / 100
		recs = append(recs, results.Record{Arm: "baseline", Seed: seed, Stage: "pretrain", Step: 100, Metric: "misalignment", Value: 0.10 + s})
		for _, step := range []int{0, 10, 20} {
			recs = append(recs, results.Record{Arm: "narrow-finetune", Seed: seed, Stage: "finetune", Step: step,
				Metric: "misalignment", Value: 0.10 + 0.01*float64(step) + s})
		}
	}
	in := plots.Input{
		Scenario: "demo",
		Title:    "Narrow fine-tuning spreads",
		Arms:     []string{"baseline", "narrow-finetune"},
		Records:  recs,
		Summary:  results.Summarise(recs, []string{"baseline", "narrow-finetune"}, []string{"misalignment"}, "baseline"),
	}
	dir, err := os.MkdirTemp("", "figures")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	for _, fig := range []scenarios.Figure{
		{Kind: "curves", Metrics: []string{"misalignment"}},
		{Kind: "bars", Metrics: []string{"misalignment"}},
	} {
		files, err := plots.Render(fig, in, dir, nil)
		if err != nil {
			log.Fatal(err)
		}
		for _, f := range files {
			fmt.Println(filepath.Base(f))
		}
	}
	// Output:
	// demo-curves-misalignment.svg
	// demo-curves-misalignment.png
	// demo-curves-misalignment.pdf
	// demo-curves-misalignment.csv
	// demo-bars-misalignment.svg
	// demo-bars-misalignment.png
	// demo-bars-misalignment.pdf
	// demo-bars-misalignment.csv
}
