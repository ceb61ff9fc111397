package results

import (
	"bytes"
	"reflect"
	"testing"
)

// TestContrasts checks a paired contrast by hand: the last probe of each
// seed, the difference taken seed by seed over the seeds both arms have,
// MeanCI's interval; and that the table round-trips.
func TestContrasts(t *testing.T) {
	var recs []Record
	add := func(arm string, seed int, step int, v float64) {
		recs = append(recs, Record{Arm: arm, Seed: seed, Stage: "s", Step: step, Metric: "m", Value: v})
	}
	for seed, v := range []float64{1, 4, 2} {
		add("a", seed, 0, 100) // an early probe: not the final value
		add("a", seed, 10, v)
	}
	for seed, v := range []float64{0.5, 1, 1.5, 9} { // seed 3: a has none
		add("b", seed, 10, v)
	}
	got := Contrasts(recs, [][2]string{{"a", "b"}, {"b", "a"}}, []string{"m", "absent"})
	d, lo, hi := MeanCI([]float64{0.5, 3, 0.5})
	want := []Contrast{
		{Arm: "a", Against: "b", Metric: "m", N: 3, Delta: d, DLow: lo, DHigh: hi},
		{Arm: "b", Against: "a", Metric: "m", N: 3, Delta: -d, DLow: -hi, DHigh: -lo},
	}
	if len(got) != 2 || got[0] != want[0] {
		t.Fatalf("Contrasts = %+v, want %+v", got, want)
	}
	if g := got[1]; g.Delta != -d || g.N != 3 {
		t.Errorf("the reversed contrast = %+v, want Δ %v", g, -d)
	}
	var buf bytes.Buffer
	if err := WriteContrasts(&buf, got); err != nil {
		t.Fatal(err)
	}
	back, err := ReadContrasts(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, got) {
		t.Errorf("round trip: %+v, want %+v", back, got)
	}
	if _, err := ReadContrasts(bytes.NewBufferString("arm,metric\n")); err == nil {
		t.Error("a table with the wrong header was read")
	}
}
