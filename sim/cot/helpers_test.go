package cot

import "testing"

func skipSlow(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("statistical test: runs without -race")
	}
}
