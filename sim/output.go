package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	Complete  bool      `json:"complete"` // every seed ran (some may have failed: see Failed)
	Failed    []string  `json:"failed_runs,omitempty"`
	Natmo     string    `json:"natmo_version"`
	Go        string    `json:"go_version"`
	Command   []string  `json:"command,omitempty"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished"`
	Resolved  string    `json:"resolved_scenario"`
	// Defaults are the settings the resolved scenario leaves out, with the
	// values that ran ("world.cue: 24"): with Resolved, the whole record.
	Defaults []string `json:"defaults,omitempty"`
}

// ParseManifest reads a manifest.json and checks it is natmo's and whole:
// known keys only, a resolved scenario, a seed count within
// scenarios.MaxSeeds, and arms.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a natmo manifest: %w", err)
	}
	switch {
	case m.Resolved == "":
		return nil, errors.New("not a natmo manifest: no resolved_scenario")
	case m.Seeds < 1 || m.Seeds > scenarios.MaxSeeds:
		return nil, fmt.Errorf("a manifest of %d seeds; want 1 to %d", m.Seeds, scenarios.MaxSeeds)
	case len(m.Arms) == 0 || len(m.Arms) > scenarios.MaxArms:
		return nil, fmt.Errorf("a manifest of %d arms; want 1 to %d", len(m.Arms), scenarios.MaxArms)
	}
	return &m, nil
}

// NewManifest describes a run of sc that produced res.
func NewManifest(sc *scenarios.Scenario, res *Result, started time.Time, command []string) Manifest {
	m := Manifest{
		Scenario: sc.Name, Title: sc.Title, File: sc.File, Overrides: append([]string{}, sc.Overrides...),
		Seeds: sc.Seeds, Arms: res.Arms, Metrics: res.Metrics, Complete: true,
		Natmo: Version(), Go: runtime.Version(), Command: command,
		Started: started.UTC().Round(time.Millisecond), Finished: time.Now().UTC().Round(time.Millisecond),
		Resolved: string(sc.Resolved), Defaults: sc.Defaults(),
	}
	for _, f := range res.Failed {
		m.Failed = append(m.Failed, f.Error())
	}
	return m
}

// Version is natmo's version as the Go build recorded it: the module's
// version (a tag, or a pseudo-version naming the commit, with +dirty for
// a modified tree) when natmo was built from a git checkout or installed by
// version; else the commit the build stamped (devel-COMMIT, -dirty if
// modified); else "(devel)", as under go run or go test, which stamp
// nothing.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "(devel)"
	}
	v := "devel-" + rev[:min(12, len(rev))]
	if dirty {
		v += "-dirty"
	}
	return v
}

// WriteTables writes metrics.csv, summary.csv, contrasts.csv (if the
// scenario declares contrasts) and, last, manifest.json into dir, each
// atomically.
func WriteTables(dir string, res *Result, m Manifest) error {
	if err := writeTables(dir, res); err != nil {
		return err
	}
	if err := writeManifest(dir, m); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// writeTables writes metrics.csv, summary.csv and contrasts.csv (if any)
// into dir, each atomically.
func writeTables(dir string, res *Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	err := results.WriteFileAtomic(filepath.Join(dir, "metrics.csv"), func(w *bufio.Writer) error { return results.WriteMetrics(w, res.Records) })
	if err == nil {
		err = results.WriteFileAtomic(filepath.Join(dir, "summary.csv"), func(w *bufio.Writer) error { return results.WriteSummary(w, res.Summary) })
	}
	if err == nil && len(res.Contrasts) > 0 {
		err = results.WriteFileAtomic(filepath.Join(dir, "contrasts.csv"), func(w *bufio.Writer) error { return results.WriteContrasts(w, res.Contrasts) })
	}
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}
