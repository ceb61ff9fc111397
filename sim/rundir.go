package sim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

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
	// Finish, if not nil, is called with the result once metrics.csv and
	// summary.csv are written, to draw the figures: the manifest is marked
	// complete only after it returns without error.
	Finish func(ctx context.Context, res *Result) error
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

// RunDir runs sc into the results folder dir. It first checks that the run
// fits in memory (CheckMemory) and takes the folder's writer lock, held to
// the end. It writes the manifest (marked incomplete), then each seed's
// records under runs/ as the seed finishes, each file atomically; at the end
// it writes metrics.csv and summary.csv, calls opt.Finish (the figures) and
// only then marks the manifest complete. So an interrupted run leaves whole
// files only, and RunDir with Resume finishes it into the same bytes an
// uninterrupted run writes.
func RunDir(ctx context.Context, sc *scenarios.Scenario, dir string, opt DirOptions) (*Result, error) {
	started := time.Now()
	if err := CheckMemory(sc, workersOf(opt.Workers)); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir, "")
	if err != nil {
		return nil, &DirError{Dir: dir, Err: err}
	}
	defer lock.Unlock()
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
	id := identityOf(sc)
	prev, err := previousSeeds(runs, id)
	if err != nil {
		return nil, &DirError{Dir: dir, Err: err}
	}
	o := opt.Options
	o.SeedDone = func(seed int, recs []results.Record, failure *RunError) error {
		return writeSeed(runs, id, seed, recs, failure, opt.KeepGoing)
	}
	o.Previous = func(seed int) ([]results.Record, *RunError, bool) {
		if !prev.done(seed, opt.KeepGoing) {
			return nil, nil, false
		}
		return prev.lookup(seed)
	}
	res, err := Run(ctx, sc, o)
	if err != nil {
		if ctx.Err() != nil && !errors.As(err, new(*FailedError)) {
			return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
		}
		return nil, err
	}
	if err := writeTables(dir, res); err != nil {
		return nil, err
	}
	if opt.Finish != nil {
		if err := opt.Finish(ctx, res); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
			}
			return nil, err
		}
	}
	if err := writeManifest(dir, NewManifest(sc, res, started, opt.Command)); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return res, nil
}

// workersOf is the number of seeds trained at once for Options.Workers n.
func workersOf(n int) int {
	if n <= 0 {
		return runtime.NumCPU()
	}
	return n
}

// lockDir makes the results folder dir if need be and takes its writer lock
// (see results.LockDir): a second writer is refused at once.
func lockDir(dir, part string) (*results.DirLock, error) {
	if err := results.CheckTarget(dir, false); err != nil && !errors.Is(err, results.ErrExists) {
		return nil, err // a file in the way, say
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%s: %w and is not a folder", dir, results.ErrExists)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results folder %s: %w", dir, err)
	}
	return results.LockDir(dir, part)
}

// prepareDir checks, under the folder's lock, that dir may be written (or
// resumed), replaces it for Force, and removes the temporary files a killed
// writer left.
func prepareDir(sc *scenarios.Scenario, dir string, opt DirOptions) error {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if opt.Resume && errors.Is(err, fs.ErrNotExist) && results.CheckTarget(dir, false) == nil {
		opt.Resume = false // nothing there yet: a retried job simply starts
	}
	if opt.Resume {
		if err != nil {
			return fmt.Errorf("--resume: %s holds no run to resume: %w", dir, err)
		}
		m, err := ParseManifest(b)
		if err != nil {
			return fmt.Errorf("--resume: %s: %w", filepath.Join(dir, "manifest.json"), err)
		}
		if m.Resolved != string(sc.Resolved) {
			return fmt.Errorf("--resume: the scenario differs from the one %s was started with (%s with %v); "+
				"resume with the same scenario and --set values, or start a new folder", dir, m.File, m.Overrides)
		}
		return results.RemoveTemps(dir)
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
		return results.Replace(dir)
	}
	return results.RemoveTemps(dir)
}

func seedFile(runs string, seed int, ext string) string {
	return filepath.Join(runs, fmt.Sprintf("seed-%04d%s", seed, ext))
}

// An identity is what a seed file must match to count for a scenario: the
// scenario's hash, its arms and (when known) its metrics.
type identity struct {
	ID      string
	Arms    []string
	Metrics []string // nil: not checked
}

// identityOf names a scenario as resolved: the first 12 hex digits of the
// SHA-256 of its resolved YAML (a sweep point's ID), with its arms and
// metrics. Seed files carry the hash, so that a file of another scenario
// is never taken for one of this run.
func identityOf(sc *scenarios.Scenario) identity {
	return identity{ID: scenarioHash(sc), Arms: sc.ArmNames(), Metrics: sc.Measure.Metrics}
}

func scenarioHash(sc *scenarios.Scenario) string {
	sum := sha256.Sum256(sc.Resolved)
	return hex.EncodeToString(sum[:6])
}

// failureRecord is a failed seed as runs/seed-NNNN.failed.json holds it.
// Kept, written by a run with KeepGoing, is the seed file (seedFileBytes)
// of the records of the seed's arms that finished, perhaps of no row; a
// record without it (written without KeepGoing, or by natmo before Kept
// existed) stopped at the seed's first failure and kept nothing.
type failureRecord struct {
	Scenario string   `json:"scenario"` // identityOf the scenario
	Seed     int      `json:"seed"`
	Arms     []string `json:"arms"`
	Stage    string   `json:"stage"`
	Error    string   `json:"error"`
	Kept     *string  `json:"kept,omitempty"`
}

// A seed file (runs/seed-NNNN.csv) is the seed's metrics table after a
// first line naming what it is, which resume and merge check: the seed, the
// scenario, the number of rows and the first 16 hex digits of the SHA-256
// of the table below it, so that a cut or edited file is never read as a
// whole one.
//
//	# natmo seed 3 of scenario 1a2b3c4d5e6f: 480 rows, sha256 0123456789abcdef
const seedLine = "# natmo seed %d of scenario %s: %d rows, sha256 %s\n"

var seedLinePattern = regexp.MustCompile(`^# natmo seed ([0-9]{1,9}) of scenario ([0-9a-f]{12}): ([0-9]{1,12}) rows, sha256 ([0-9a-f]{16})$`)

// seedFileBytes is the seed file of seed's records recs for the scenario id.
func seedFileBytes(id identity, seed int, recs []results.Record) ([]byte, error) {
	var table bytes.Buffer
	if err := results.WriteMetrics(&table, recs); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, seedLine, seed, id.ID, len(recs), tableHash(table.Bytes()))
	b.Write(table.Bytes())
	return b.Bytes(), nil
}

func tableHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// writeSeed writes a seed's records, or its failure with (keepGoing) the
// records of its arms that finished, to runs, atomically.
func writeSeed(runs string, id identity, seed int, recs []results.Record, failure *RunError, keepGoing bool) error {
	if failure != nil {
		f := failureRecord{id.ID, failure.Seed, failure.Arms, failure.Stage, failure.Err.Error(), nil}
		if keepGoing {
			b, err := seedFileBytes(id, seed, recs)
			if err != nil {
				return err
			}
			kept := string(b)
			f.Kept = &kept
		}
		return writeJSON(seedFile(runs, seed, ".failed.json"), f)
	}
	b, err := seedFileBytes(id, seed, recs)
	if err != nil {
		return err
	}
	return results.WriteFileAtomic(seedFile(runs, seed, ".csv"), func(w *bufio.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// seedFiles are the seeds an earlier run of a scenario left in its runs
// folder, each checked against the scenario.
type seedFiles map[int]seedEntry

type seedEntry struct {
	recs []results.Record
	fail *RunError
	// stopped: a failure that stopped at its first failed stage, keeping
	// no record (written without KeepGoing).
	stopped bool
}

func (p seedFiles) lookup(seed int) ([]results.Record, *RunError, bool) {
	e, ok := p[seed]
	return e.recs, e.fail, ok
}

// done reports whether the seed need not be trained again: it has a file,
// and (with keepGoing) not one of a failure that stopped before the seed's
// healthy arms finished, which KeepGoing trains again to keep them.
func (p seedFiles) done(seed int, keepGoing bool) bool {
	e, ok := p[seed]
	return ok && !(keepGoing && e.stopped)
}

var seedName = regexp.MustCompile(`^seed-([0-9]{4,})\.(csv|failed\.json)$`)

// previousSeeds reads every seed file in runs and checks it belongs to the
// scenario whose identity is id: a file that does not (another scenario's,
// a damaged one, a renamed seed) is an error naming it, never trained over
// or merged.
func previousSeeds(runs string, id identity) (seedFiles, error) {
	entries, err := os.ReadDir(runs)
	if errors.Is(err, fs.ErrNotExist) {
		return seedFiles{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	out := seedFiles{}
	for _, e := range entries {
		m := seedName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		seed, err := strconv.Atoi(m[1])
		if err != nil {
			return nil, fmt.Errorf("%s: seed number out of range", filepath.Join(runs, e.Name()))
		}
		if _, ok := out[seed]; ok && m[2] == "failed.json" {
			continue // the seed finished when resumed: its csv counts
		}
		path := filepath.Join(runs, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		var se seedEntry
		if m[2] == "csv" {
			se.recs, err = parseSeedFile(b, seed, id)
		} else {
			se.fail, se.recs, se.stopped, err = parseFailure(b, seed, id)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w; move it away to run the seed again", path, err)
		}
		out[seed] = se
	}
	return out, nil
}

// parseSeedFile parses a seed file of seed for the scenario id: its first
// line must name both and count its rows, and every row must be of that
// seed, one of its arms and metrics, with a finite value.
func parseSeedFile(b []byte, seed int, id identity) ([]results.Record, error) {
	line, rest, ok := bytes.Cut(b, []byte("\n"))
	m := seedLinePattern.FindSubmatch(line)
	if !ok || m == nil {
		return nil, fmt.Errorf("not a natmo seed file: first line %q, want %q", trim(line), strings.TrimSpace(fmt.Sprintf(seedLine, seed, id.ID, 0, "…")))
	}
	s, err1 := strconv.Atoi(string(m[1]))
	n, err2 := strconv.Atoi(string(m[3]))
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("first line %q: a number out of range", trim(line))
	}
	if got := string(m[2]); got != id.ID {
		return nil, fmt.Errorf("a seed file of another scenario (%s, this one is %s)", got, id.ID)
	}
	if s != seed {
		return nil, fmt.Errorf("holds seed %d, not %d", s, seed)
	}
	if got := tableHash(rest); got != string(m[4]) {
		return nil, fmt.Errorf("a damaged file: its table's sha256 begins %s, its first line says %s", got, m[4])
	}
	recs, err := results.ReadMetrics(bytes.NewReader(rest))
	if err != nil {
		return nil, err
	}
	if len(recs) != n {
		return nil, fmt.Errorf("%d rows, its first line says %d (a damaged file)", len(recs), n)
	}
	for i, r := range recs {
		switch {
		case r.Seed != seed:
			return nil, fmt.Errorf("line %d: seed %d in the file of seed %d", i+3, r.Seed, seed)
		case !slices.Contains(id.Arms, r.Arm):
			return nil, fmt.Errorf("line %d: arm %q is not one of the scenario's (%s)", i+3, r.Arm, strings.Join(id.Arms, ", "))
		case id.Metrics != nil && !slices.Contains(id.Metrics, r.Metric):
			return nil, fmt.Errorf("line %d: metric %q is not one of the scenario's (%s)", i+3, r.Metric, strings.Join(id.Metrics, ", "))
		}
	}
	return recs, nil
}

// parseFailure parses a failure record of seed for the scenario id: the
// failure, the records of the arms that finished, and whether it stopped
// at its first failure, keeping none (a record without kept). Kept records
// are checked as a seed file is, and none may be of a failed arm.
func parseFailure(b []byte, seed int, id identity) (fail *RunError, kept []results.Record, stopped bool, err error) {
	var f failureRecord
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, nil, false, fmt.Errorf("not a natmo failure record: %w", err)
	}
	switch {
	case f.Scenario != id.ID:
		return nil, nil, false, fmt.Errorf("a failure record of another scenario (%q, this one is %s)", f.Scenario, id.ID)
	case f.Seed != seed:
		return nil, nil, false, fmt.Errorf("holds seed %d, not %d", f.Seed, seed)
	case len(f.Arms) == 0 || f.Error == "":
		return nil, nil, false, errors.New("a failure record without its arms or error")
	}
	for _, a := range f.Arms {
		if !slices.Contains(id.Arms, a) {
			return nil, nil, false, fmt.Errorf("arm %q is not one of the scenario's (%s)", a, strings.Join(id.Arms, ", "))
		}
	}
	if f.Kept != nil {
		if kept, err = parseSeedFile([]byte(*f.Kept), seed, id); err != nil {
			return nil, nil, false, fmt.Errorf("its kept records: %w", err)
		}
		for _, r := range kept {
			if slices.Contains(f.Arms, r.Arm) {
				return nil, nil, false, fmt.Errorf("its kept records hold arm %q, which it says failed", r.Arm)
			}
		}
	}
	return &RunError{Seed: f.Seed, Arms: f.Arms, Stage: f.Stage, Err: errors.New(f.Error)}, kept, f.Kept == nil, nil
}

// trim shortens a line for a message.
func trim(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
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
// the same arguments with --resume added and any --force removed, each
// quoted for a POSIX shell, so that pasting it runs nothing but natmo.
func ResumeCommand(args []string) string {
	var out []string
	for _, a := range args {
		if a == "--force" || a == "-force" {
			continue
		}
		out = append(out, ShellQuote(a))
	}
	return strings.Join(append(out, "--resume"), " ")
}

// ShellQuote quotes s for a POSIX shell: as it is when it holds only
// characters no shell treats specially, else in single quotes (a single
// quote inside is closed, escaped with a backslash and reopened).
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
