package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A Staging folder is a results folder being written beside its final
// place. Commit moves it into place whole, so that a results folder either
// does not exist or holds every file of one run.
type Staging struct {
	Final string // where the folder will be
	Dir   string // where it is being written
	force bool
}

// ErrExists is returned by NewStaging when the final folder exists and may
// not be replaced.
var ErrExists = errors.New("results folder exists")

// CheckTarget reports whether final can be written: it must not exist, or
// be an empty folder, unless force is set.
func CheckTarget(final string, force bool) error {
	fi, err := os.Stat(final)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: %w and is not a folder", final, ErrExists)
	}
	if force {
		return nil
	}
	entries, err := os.ReadDir(final)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s: %w (use --force to replace it, or --out to choose another)", final, ErrExists)
	}
	return nil
}

// NewStaging creates a hidden staging folder beside final, after checking
// that final may be written.
func NewStaging(final string, force bool) (*Staging, error) {
	final = filepath.Clean(final)
	if err := CheckTarget(final, force); err != nil {
		return nil, err
	}
	parent, base := filepath.Split(final)
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", parent, err)
	}
	dir, err := os.MkdirTemp(parent, "."+base+".partial-*")
	if err != nil {
		return nil, fmt.Errorf("create staging folder for %s: %w", final, err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &Staging{Final: final, Dir: dir, force: force}, nil
}

// Path returns the path of a file inside the staging folder.
func (s *Staging) Path(elem ...string) string {
	return filepath.Join(append([]string{s.Dir}, elem...)...)
}

// Commit moves the staging folder to its final place, replacing an old
// folder there only if force was given.
func (s *Staging) Commit() error {
	if err := CheckTarget(s.Final, s.force); err != nil {
		return err
	}
	var old string
	if _, err := os.Stat(s.Final); err == nil {
		old = s.Dir + ".old"
		if err := os.Rename(s.Final, old); err != nil {
			return fmt.Errorf("move old %s aside: %w", s.Final, err)
		}
	}
	if err := os.Rename(s.Dir, s.Final); err != nil {
		if old != "" {
			os.Rename(old, s.Final)
		}
		return fmt.Errorf("move results into %s: %w", s.Final, err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// Abort removes the staging folder.
func (s *Staging) Abort() { os.RemoveAll(s.Dir) }
