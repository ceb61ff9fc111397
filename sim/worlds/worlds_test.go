package worlds_test

import (
	"testing"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/worlds"
)

// TestDefault checks that the built-in registry assembles and that every
// built-in scenario loads against it.
func TestDefault(t *testing.T) {
	r := worlds.Default()
	if len(r.Names()) < 2 {
		t.Fatalf("worlds %v; expected at least persona and cot", r.Names())
	}
	for _, name := range scenarios.BuiltinNames() {
		if _, err := scenarios.Open(name, nil, r.Schema()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
