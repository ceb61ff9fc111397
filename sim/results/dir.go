package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// ErrExists is returned by CheckTarget when a results folder exists and may
// not be replaced.
var ErrExists = errors.New("results folder exists")

// CheckTarget reports whether final can be written: it must not exist, or
// be an empty folder, unless force is set.
func CheckTarget(final string, force bool) error {
	fi, err := os.Stat(final)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("results folder %s: a file is in the way (a part of the path is not a folder)", final)
	}
	if err != nil {
		return fmt.Errorf("results folder %s: %w", final, err)
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
