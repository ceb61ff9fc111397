//go:build unix

package results

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLockDir: one writer per folder, shards of a sweep side by side, a
// second writer refused at once with the holder's PID, and the lock file
// gone once released.
func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	a, err := LockDir(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	var le *LockedError
	for _, part := range []string{"", "shard-0-of-2"} {
		_, err := LockDir(dir, part)
		if !errors.As(err, &le) || le.PID != os.Getpid() || !strings.Contains(err.Error(), "PID "+strconv.Itoa(os.Getpid())) {
			t.Errorf("second writer (%q) while a run holds the folder: %v; want a LockedError with PID %d", part, err, os.Getpid())
		}
	}
	a.Unlock()
	if _, err := os.Stat(filepath.Join(dir, LockName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left after Unlock: %v", err)
	}

	s0, err := LockDir(dir, "shard-0-of-2")
	if err != nil {
		t.Fatal(err)
	}
	s1, err := LockDir(dir, "shard-1-of-2")
	if err != nil {
		t.Errorf("two shards of a sweep in one folder: %v", err)
	}
	if _, err := LockDir(dir, "shard-0-of-2"); !errors.Is(err, ErrLocked) {
		t.Errorf("the same shard twice: %v, want ErrLocked", err)
	}
	if _, err := LockDir(dir, ""); !errors.Is(err, ErrLocked) {
		t.Errorf("a whole run while shards write: %v, want ErrLocked", err)
	}
	s0.Unlock()
	s1.Unlock()
	b, err := LockDir(dir, "")
	if err != nil {
		t.Fatalf("after the shards: %v", err)
	}
	b.Unlock()
	if _, err := LockDir(dir, "shard-x"); err == nil || errors.Is(err, ErrLocked) {
		t.Errorf("a bad part name: %v", err)
	}
	if fresh, _ := Fresh(dir); !fresh {
		es, _ := os.ReadDir(dir)
		t.Errorf("after every lock is released the folder is not fresh: %v", es)
	}
}
