package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"context"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// DirOptions control RunDir.
type DirOptions struct {
	Options
	// Force replaces an existing results folder.
	Force bool
	// Resume continues an interrupted run in the folder: seeds whose records
	// are already there are not trained again. The scenario must be the one
	// the folder was started with. A folder that does not exist yet is
	// simply started, so a retried cluster job can always pass Resume.
	Resume bool
	// Command is recorded in the manifest.
	Command []string
}

// A DirError reports that a results folder cannot be used as asked: it
// exists and may not be replaced, or it cannot be resumed.
type DirError struct {
	Dir string
	Err error
}

func (e *DirError) Error() string { return e.Err.Error() }
func (e *DirError) Unwrap() error { return e.Err }

// ErrIncomplete is wrapped by RunDir's error when a run was interrupted: the
// folder holds the seeds that finished and can be resumed.
var ErrIncomplete = errors.New("run incomplete")

// RunDir runs sc into the results folder dir. It writes the manifest first
// (marked incomplete), then each seed's records under runs/ as the seed
// finishes, each file atomically; at the end it writes metrics.csv and
// summary.csv and marks the manifest complete. So an interrupted run leaves
// whole files only, and RunDir with Resume finishes it into the same bytes
// an uninterrupted run writes.
func RunDir(ctx context.Context, sc *scenarios.Scenario, dir string, opt DirOptions) (*Result, error) {
	started := time.Now()
	if err := prepareDir(sc, dir, opt); err != nil {
		return nil, &DirError{Dir: dir, Err: err}
	}
	man := NewManifest(sc, &Result{}, started, opt.Command)
	man.Arms, man.Metrics, man.Complete = sc.ArmNames(), sc.Measure.Metrics, false
	if err := writeManifest(dir, man); err != nil {
		return nil, err
	}
	runs := filepath.Join(dir, "runs")
	if err := os.MkdirAll(runs, 0o755); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	o := opt.Options
	o.SeedDone = func(seed int, recs []results.Record, failure *RunError) error {
		return writeSeed(runs, seed, recs, failure)
	}
	o.Previous = func(seed int) ([]results.Record, *RunError, bool) {
		return previousSeed(runs, seed)
	}
	res, err := Run(ctx, sc, o)
	if err != nil {
		if ctx.Err() != nil && !errors.As(err, new(*FailedError)) {
			return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
		}
		return nil, err
	}
	man = NewManifest(sc, res, started, opt.Command)
	if err := WriteTables(dir, res, man); err != nil {
		return nil, err
	}
	return res, nil
}

// prepareDir checks that dir may be written (or resumed) and makes it.
func prepareDir(sc *scenarios.Scenario, dir string, opt DirOptions) error {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if opt.Resume && errors.Is(err, fs.ErrNotExist) && results.CheckTarget(dir, false) == nil {
		opt.Resume = false // nothing there yet: a retried job simply starts
	}
	if opt.Resume {
		if err != nil {
			return fmt.Errorf("--resume: %s holds no run to resume: %w", dir, err)
		}
		var m Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("--resume: %s: %w", filepath.Join(dir, "manifest.json"), err)
		}
		if m.Resolved != string(sc.Resolved) {
			return fmt.Errorf("--resume: the scenario differs from the one %s was started with (%s with %v); "+
				"resume with the same scenario and --set values, or start a new folder", dir, m.File, m.Overrides)
		}
		return nil
	}
	if err := results.CheckTarget(dir, opt.Force); err != nil {
		if errors.Is(err, results.ErrExists) {
			if _, e := os.Stat(filepath.Join(dir, "runs")); e == nil {
				return fmt.Errorf("%w; if an earlier run there was interrupted, add --resume to finish it", err)
			}
		}
		return err
	}
	if opt.Force {
		if err := results.Replace(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

func seedFile(runs string, seed int, ext string) string {
	return filepath.Join(runs, fmt.Sprintf("seed-%04d%s", seed, ext))
}

// failureRecord is a failed seed as runs/seed-NNNN.failed.json holds it.
type failureRecord struct {
	Seed  int      `json:"seed"`
	Arms  []string `json:"arms"`
	Stage string   `json:"stage"`
	Error string   `json:"error"`
}

func previousSeed(runs string, seed int) ([]results.Record, *RunError, bool) {
	if b, err := os.ReadFile(seedFile(runs, seed, ".csv")); err == nil {
		recs, err := results.ReadMetrics(bytes.NewReader(b))
		if err == nil {
			return recs, nil, true
		}
	}
	if b, err := os.ReadFile(seedFile(runs, seed, ".failed.json")); err == nil {
		var f failureRecord
		if json.Unmarshal(b, &f) == nil {
			return nil, &RunError{Seed: f.Seed, Arms: f.Arms, Stage: f.Stage, Err: errors.New(f.Error)}, true
		}
	}
	return nil, nil, false
}

func writeManifest(dir string, m Manifest) error {
	return writeJSON(filepath.Join(dir, "manifest.json"), m)
}

func writeJSON(path string, v any) error {
	return results.WriteFileAtomic(path, func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// ResumeCommand returns the command line that resumes an interrupted run:
// the same arguments with --resume added and any --force removed.
func ResumeCommand(args []string) string {
	var out []string
	for _, a := range args {
		if a == "--force" || a == "-force" {
			continue
		}
		if strings.ContainsAny(a, " '\"$*?[]{}|&;<>()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out = append(out, a)
	}
	return strings.Join(append(out, "--resume"), " ")
}
