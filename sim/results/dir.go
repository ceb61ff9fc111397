package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
)

// ErrExists is returned by CheckTarget when a results folder exists and may
// not be replaced.
var ErrExists = errors.New("results folder exists")

// ErrNotOurs is returned by CheckTarget with force when the folder holds
// something natmo did not write, so --force may not replace it.
var ErrNotOurs = errors.New("not a natmo results folder")

// LockName is the file a writer holds locked in a results folder while it
// writes there (see Lock).
const LockName = ".natmo.lock"

// CheckTarget reports whether final can be written: it must not exist, or
// be a fresh folder (empty, or holding only the temporary files and lock of
// a natmo run killed before it wrote anything), unless force is set. With
// force, an existing folder must be one natmo wrote (see Replace); no
// other folder is ever replaced.
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
	fresh, err := Fresh(final)
	if err != nil {
		return err
	}
	if fresh {
		return nil
	}
	if force {
		return checkReplace(final)
	}
	return fmt.Errorf("%s: %w (use --force to replace it, or --out to choose another)", final, ErrExists)
}

// Fresh reports whether the folder dir holds nothing but the lock and
// temporary files natmo writes: a run killed before its first file was
// renamed into place leaves such a folder, and it counts as new.
func Fresh(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("results folder %s: %w", dir, err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || (n != LockName && !shardLock.MatchString(n) && !tempOfOurs(n, topFiles)) {
			return false, nil
		}
	}
	return true, nil
}

// Replace empties a results folder that natmo wrote, for --force: it checks
// the folder as CheckTarget does and then removes the files natmo writes
// there, one by one, and the folders runs/ and figures/ once empty. It never
// removes a file natmo did not write (one that appeared after the check
// stays, and so does its folder), the folder dir itself, or its lock.
func Replace(dir string) error {
	if err := CheckTarget(dir, true); err != nil {
		return err
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var dirs []string
	err := walkRel(dir, func(path, rel string, d fs.DirEntry) error {
		switch {
		case rel == ".":
			return nil
		case !owned(rel, d.IsDir()):
			return nil // appeared after the check: left alone
		case d.IsDir():
			dirs = append(dirs, path)
			return nil
		case rel == LockName || shardLock.MatchString(rel):
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("--force: empty %s: %w", dir, err)
	}
	slices.Reverse(dirs) // deepest first
	for _, d := range dirs {
		os.Remove(d) // fails, and keeps the folder, if something else is in it
	}
	return nil
}

// checkReplace reports whether --force may replace the existing folder dir:
// it must not be the root, the home folder, the working directory or one of
// its parents; it must hold natmo's manifest.json or sweep.json; and every
// file in it must be one natmo writes. The error says what is in the way.
func checkReplace(dir string) error {
	if why := precious(dir); why != "" {
		return fmt.Errorf("--force: refusing to replace %s: it is %s; give --out a folder of its own: %w", dir, why, ErrNotOurs)
	}
	var foreign []string
	err := walkRel(dir, func(path, rel string, d fs.DirEntry) error {
		if rel == "." {
			return nil
		}
		if !owned(rel, d.IsDir()) {
			if d.IsDir() {
				rel += "/"
			}
			foreign = append(foreign, rel)
			if d.IsDir() {
				return fs.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("--force: %s: %w", dir, err)
	}
	if len(foreign) > 0 {
		const show = 5
		list := strings.Join(foreign[:min(show, len(foreign))], ", ")
		if len(foreign) > show {
			list += fmt.Sprintf(" and %d more", len(foreign)-show)
		}
		return fmt.Errorf("--force: refusing to replace %s: it holds files natmo did not write (%s); move them away or give --out another folder: %w",
			dir, list, ErrNotOurs)
	}
	if !identified(dir) {
		return fmt.Errorf("--force: refusing to replace %s: it holds no natmo manifest.json or sweep.json, so natmo did not write it; "+
			"remove it yourself or give --out another folder: %w", dir, ErrNotOurs)
	}
	return nil
}

// precious names what dir is when --force must never touch it: the file
// system's root, the user's home folder, the working directory or a parent
// of it. It returns "" for any other folder.
func precious(dir string) string {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return filepath.Clean(p)
		}
		if r, err := filepath.EvalSymlinks(a); err == nil {
			a = r
		}
		return a
	}
	d := abs(dir)
	if filepath.Dir(d) == d {
		return "the root of the file system"
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" && abs(home) == d {
		return "your home folder"
	}
	if wd, err := os.Getwd(); err == nil {
		w := abs(wd)
		if w == d {
			return "the working directory"
		}
		if rel, err := filepath.Rel(d, w); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "a parent of the working directory"
		}
	}
	return ""
}

// identified reports whether dir holds a manifest.json or sweep.json that
// natmo wrote: JSON with the keys natmo's manifest or sweep identity has.
func identified(dir string) bool {
	has := func(name string, keys ...string) bool {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return false
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil {
			return false
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				return false
			}
		}
		return true
	}
	return has("manifest.json", "natmo_version", "resolved_scenario") || has("sweep.json", "scenario", "axes", "points")
}

// The files natmo writes at the top of a results folder, and in figures/.
var (
	topFiles   = []string{"manifest.json", "metrics.csv", "summary.csv", "contrasts.csv", "sweep.json", "report.html"}
	seedFile   = regexp.MustCompile(`^seed-[0-9]{4,}\.(csv|failed\.json)$`)
	pointID    = regexp.MustCompile(`^[0-9a-f]{12}$`)
	figureFile = regexp.MustCompile(`^[^/]+\.(svg|png|pdf|csv)$`)
	tempSuffix = regexp.MustCompile(`\.tmp-[0-9]+$`)
)

// owned reports whether rel, a slash-separated path inside a results
// folder, is one natmo writes there: the tables, manifest and sweep
// identity, the lock, runs/ with its seed files (directly for a run, in a
// folder per point for a sweep), figures/ with its images and their CSVs,
// and the temporary file of any of these that a kill left behind.
func owned(rel string, isDir bool) bool {
	p := strings.Split(rel, "/")
	last := p[len(p)-1]
	if isDir {
		switch len(p) {
		case 1:
			return last == "runs" || last == "figures"
		case 2:
			return p[0] == "runs" && pointID.MatchString(last)
		}
		return false
	}
	ok := func(name string) bool {
		switch {
		case len(p) == 1:
			return slices.Contains(topFiles, name) || name == LockName || shardLock.MatchString(name)
		case len(p) == 2 && p[0] == "runs", len(p) == 3 && p[0] == "runs" && pointID.MatchString(p[1]):
			return seedFile.MatchString(name)
		case len(p) == 2 && p[0] == "figures":
			return figureFile.MatchString(name)
		}
		return false
	}
	if ok(last) {
		return true
	}
	if strings.HasPrefix(last, ".") && tempSuffix.MatchString(last) {
		return ok(tempSuffix.ReplaceAllString(last[1:], ""))
	}
	return false
}

// tempOfOurs reports whether name is the temporary file WriteFileAtomic
// makes for one of names.
func tempOfOurs(name string, names []string) bool {
	if !strings.HasPrefix(name, ".") || !tempSuffix.MatchString(name) {
		return false
	}
	return slices.Contains(names, tempSuffix.ReplaceAllString(name[1:], ""))
}

// RemoveTemps removes the temporary files natmo's writers left in the
// results folder dir when they were killed. Call it only while holding the
// folder's exclusive lock: then no writer of it is alive.
func RemoveTemps(dir string) error {
	err := walkRel(dir, func(path, rel string, d fs.DirEntry) error {
		switch {
		case rel == ".":
			return nil
		case d.IsDir() && !owned(rel, true):
			return fs.SkipDir
		case !d.IsDir() && tempSuffix.MatchString(d.Name()) && owned(rel, false):
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("results folder %s: remove temporary files: %w", dir, err)
	}
	return nil
}

// walkRel walks the folder dir like filepath.WalkDir, passing fn each
// entry's path and its slash-separated path relative to dir.
func walkRel(dir string, fn func(path, rel string, d fs.DirEntry) error) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		return fn(path, filepath.ToSlash(rel), d)
	})
}
