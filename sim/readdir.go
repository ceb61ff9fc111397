package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// A Dir is a run's results folder read back: what ran and what it
// measured.
type Dir struct {
	Manifest Manifest
	// Scenario is the scenario loaded from the manifest's resolved copy.
	Scenario *scenarios.Scenario
	// Result holds the arms and metrics of the manifest and the records and
	// summary of metrics.csv and summary.csv.
	Result *Result
}

// ReadDir reads back the results folder of a run (RunDir), loading its
// scenario with schema.
func ReadDir(dir string, schema scenarios.Schema) (*Dir, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		if _, e := os.Stat(filepath.Join(dir, "sweep.json")); e == nil {
			return nil, fmt.Errorf("%s holds a sweep, not a run", dir)
		}
		return nil, fmt.Errorf("%s is not a results folder: %w", dir, err)
	}
	d := &Dir{}
	if err := json.Unmarshal(b, &d.Manifest); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	m := &d.Manifest
	d.Scenario, err = scenarios.Load(filepath.Join(dir, "manifest.json")+" (resolved_scenario)", []byte(m.Resolved), nil, schema)
	if err != nil {
		return nil, err
	}
	d.Result = &Result{Arms: m.Arms, Metrics: m.Metrics}
	read := func(name string, f func(*os.File) error) error {
		file, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		defer file.Close()
		if err := f(file); err != nil {
			return fmt.Errorf("%s: %w", file.Name(), err)
		}
		return nil
	}
	if err := read("metrics.csv", func(f *os.File) (err error) { d.Result.Records, err = results.ReadMetrics(f); return }); err != nil {
		return nil, err
	}
	if err := read("summary.csv", func(f *os.File) (err error) { d.Result.Summary, err = results.ReadSummary(f); return }); err != nil {
		return nil, err
	}
	if len(d.Scenario.Measure.Contrasts) > 0 {
		if err := read("contrasts.csv", func(f *os.File) (err error) { d.Result.Contrasts, err = results.ReadContrasts(f); return }); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// IsSweep reports whether dir holds a sweep (its sweep.json).
func IsSweep(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "sweep.json"))
	return !errors.Is(err, fs.ErrNotExist)
}
