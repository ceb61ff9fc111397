package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// A Manifest records what ran: the scenario as resolved, the overrides, the
// versions and the command. It is manifest.json of a results folder.
type Manifest struct {
	Scenario  string    `json:"scenario"`
	Title     string    `json:"title"`
	File      string    `json:"file"`
	Overrides []string  `json:"overrides"`
	Seeds     int       `json:"seeds"`
	Arms      []string  `json:"arms"`
	Metrics   []string  `json:"metrics"`
	Complete  bool      `json:"complete"`
	Failed    []string  `json:"failed_runs,omitempty"`
	Natmo     string    `json:"natmo_version"`
	Go        string    `json:"go_version"`
	Command   []string  `json:"command,omitempty"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished"`
	Resolved  string    `json:"resolved_scenario"`
}

// NewManifest describes a run of sc that produced res.
func NewManifest(sc *scenarios.Scenario, res *Result, started time.Time, command []string) Manifest {
	m := Manifest{
		Scenario: sc.Name, Title: sc.Title, File: sc.File, Overrides: append([]string{}, sc.Overrides...),
		Seeds: sc.Seeds, Arms: res.Arms, Metrics: res.Metrics, Complete: len(res.Failed) == 0,
		Natmo: Version(), Go: runtime.Version(), Command: command,
		Started: started.UTC().Round(time.Millisecond), Finished: time.Now().UTC().Round(time.Millisecond),
		Resolved: string(sc.Resolved),
	}
	for _, f := range res.Failed {
		m.Failed = append(m.Failed, f.Error())
	}
	return m
}

// Version is natmo's version as the Go build recorded it.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// WriteTables writes metrics.csv, summary.csv and manifest.json into dir,
// each atomically.
func WriteTables(dir string, res *Result, m Manifest) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := []struct {
		name  string
		write func(w *bufio.Writer) error
	}{
		{"metrics.csv", func(w *bufio.Writer) error { return results.WriteMetrics(w, res.Records) }},
		{"summary.csv", func(w *bufio.Writer) error { return results.WriteSummary(w, res.Summary) }},
		{"manifest.json", func(w *bufio.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(m)
		}},
	}
	for _, f := range files {
		if err := results.WriteFileAtomic(dir+string(os.PathSeparator)+f.name, f.write); err != nil {
			return fmt.Errorf("results: %w", err)
		}
	}
	return nil
}
