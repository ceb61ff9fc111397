package scenarios_test

import (
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/worlds"
)

// TestDefaults checks that Defaults lists what the text leaves out, with
// the values used, and that writing them in as overrides changes nothing:
// the listed values are the ones that ran.
func TestDefaults(t *testing.T) {
	schema := worlds.Default().Schema()
	for _, name := range scenarios.BuiltinNames() {
		sc, err := scenarios.Open(name, nil, schema)
		if err != nil {
			t.Fatal(err)
		}
		ds := sc.Defaults()
		if len(ds) < 5 {
			t.Errorf("%s: %d defaults listed: %v", name, len(ds), ds)
		}
		var sets []string
		for _, d := range ds {
			k, v, ok := strings.Cut(d, ": ")
			if !ok {
				t.Fatalf("%s: bad line %q", name, d)
			}
			sets = append(sets, k+"="+v)
		}
		full, err := scenarios.Open(name, sets, schema)
		if err != nil {
			t.Fatalf("%s: the defaults as overrides do not load: %v", name, err)
		}
		if d := full.Defaults(); len(d) != 0 {
			t.Errorf("%s: with its defaults written in, still lists %v", name, d)
		}
		// The same scenario: its resolved text differs only by the keys added.
		if len(full.Arms) != len(sc.Arms) || full.Seeds != sc.Seeds {
			t.Errorf("%s: writing the defaults in changed the scenario", name)
		}
	}
	sc, _ := scenarios.Open("emergent-misalignment", nil, schema)
	got := strings.Join(sc.Defaults(), "\n")
	for _, want := range []string{"world.cue: 24", "arms.insecure.0.narrow-finetune.batch: 32", "arms.insecure.0.narrow-finetune.optimizer: adam"} {
		if !strings.Contains(got, want) {
			t.Errorf("emergent-misalignment's defaults lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "world.coupling") || strings.Contains(got, "seeds:") {
		t.Errorf("a key the file writes is listed as a default:\n%s", got)
	}
}
