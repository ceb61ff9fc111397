package scenarios_test

import (
	"reflect"
	"testing"

	"github.com/natmo/natmo/scenarios"
)

func TestSweepBlock(t *testing.T) {
	for _, c := range []struct {
		src  string
		want []scenarios.SweepAxis
	}{
		{"sweep: {set: world.coupling, values: [0, 0.5, 1]}\n", []scenarios.SweepAxis{{"world.coupling", []string{"0", "0.5", "1"}}}},
		{"sweep:\n  - {set: seeds, values: [2, 4]}\n  - {set: measure.every, values: [5]}\n",
			[]scenarios.SweepAxis{{"seeds", []string{"2", "4"}}, {"measure.every", []string{"5"}}}},
		{"", nil},
	} {
		sc, err := scenarios.Load("t.yaml", []byte(minimal+c.src), nil, newSchema())
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		if !reflect.DeepEqual(sc.Sweep, c.want) {
			t.Errorf("%q: Sweep = %+v, want %+v", c.src, sc.Sweep, c.want)
		}
	}
}
