package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// ErrLocked is wrapped by the error of LockDir when another process writes
// the folder.
var ErrLocked = errors.New("results folder is being written by another process")

// A LockedError reports that another natmo writes a results folder.
type LockedError struct {
	Dir string
	PID int // the holder's process id, 0 if it could not be read
}

func (e *LockedError) Error() string {
	who := "another natmo"
	if e.PID > 0 {
		who = fmt.Sprintf("another natmo (PID %d)", e.PID)
	}
	return fmt.Sprintf("%s is being written by %s; wait for it to finish, or give --out another folder", e.Dir, who)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// A DirLock is a held writer lock of a results folder; Unlock releases it.
type DirLock struct {
	files []*os.File
	owned []string // lock files this holder removes on Unlock
}

// shardLock names the lock file of one shard of a sweep.
var shardLock = regexp.MustCompile(`^\.natmo-shard-[0-9]+-of-[0-9]+\.lock$`)

// LockDir takes the writer lock of the results folder dir, which must
// exist: one process writes a folder at a time, and a second is refused at
// once with a LockedError naming the holder's PID. The lock is the file
// LockName in dir, locked with flock(2), so it is released when its holder
// ends however it ends (a SIGKILL included) and a killed run never blocks
// its retry.
//
// With part "" the lock is exclusive. The shards of one sweep may share a
// folder: with part "shard-I-of-N" the folder lock is shared with other
// shards and a second lock, on .natmo-shard-I-of-N.lock, keeps each shard to
// one writer. On systems without flock, LockDir takes no lock.
func LockDir(dir, part string) (*DirLock, error) {
	l := &DirLock{}
	if part == "" {
		f, err := lockFile(dir, LockName, true)
		if err != nil {
			return nil, err
		}
		l.files, l.owned = []*os.File{f}, []string{LockName}
		return l, nil
	}
	name := ".natmo-" + part + ".lock"
	if !shardLock.MatchString(name) {
		return nil, fmt.Errorf("lock %s: bad part %q", dir, part)
	}
	f, err := lockFile(dir, LockName, false)
	if err != nil {
		return nil, err
	}
	g, err := lockFile(dir, name, true)
	if err != nil {
		unlock(f)
		f.Close()
		return nil, err
	}
	l.files, l.owned = []*os.File{f, g}, []string{name}
	return l, nil
}

// lockFile opens dir/name and locks it, exclusively or shared, without
// waiting. An exclusive holder writes its PID into the file. A file removed
// by its previous holder between our open and our lock is not the lock any
// more: then it tries again.
func lockFile(dir, name string, exclusive bool) (*os.File, error) {
	path := filepath.Join(dir, name)
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		if err := tryLock(f, exclusive); err != nil {
			f.Close()
			if errors.Is(err, errWouldBlock) {
				return nil, &LockedError{Dir: dir, PID: holder(path)}
			}
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
			unlock(f)
			f.Close()
			continue
		}
		if exclusive {
			f.Truncate(0)
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		return f, nil
	}
	return nil, &LockedError{Dir: dir, PID: holder(path)}
}

// holder reads the PID an exclusive holder wrote into a lock file.
func holder(path string) int {
	b, _ := os.ReadFile(path)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// Unlock releases the lock and removes the lock files only its holder uses
// (removed while still locked, so no other process can hold them).
func (l *DirLock) Unlock() {
	if l == nil {
		return
	}
	for i := len(l.files) - 1; i >= 0; i-- {
		f := l.files[i]
		for _, name := range l.owned {
			if filepath.Base(f.Name()) == name {
				os.Remove(f.Name())
			}
		}
		unlock(f)
		f.Close()
	}
	l.files = nil
}
