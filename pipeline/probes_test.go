package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// probeRun trains a tiny model for the stage and returns the probed steps;
// stopAt, if > 0, makes the probe return ErrStop there.
func probeRun(t *testing.T, st Stage, n, every, stopAt int) ([]int, error) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := NewMLP([]int{3, 4, 2}, rng)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDataset(n, 3)
	for i := range n {
		d.Lo[i], d.Hi[i], d.Y[i] = 0, 2, i%2
	}
	var got []int
	err = NewTrainer(m, NewAdam(1e-3, len(m.Params))).Run(context.Background(), d, st, rng, every, func(s int) error {
		got = append(got, s)
		if stopAt > 0 && s == stopAt {
			return ErrStop
		}
		return nil
	})
	return got, err
}

// TestDenseProbes: dense N adds a probe after each of a stage's first N
// steps to the every-k ones and the last; ErrStop ends the stage cleanly
// after the step it was returned at; TotalSteps counts epochs.
func TestDenseProbes(t *testing.T) {
	got, err := probeRun(t, Stage{Steps: 20, Batch: 4, Dense: 3}, 16, 10, 0)
	if want := []int{0, 1, 2, 3, 10, 20}; err != nil || !slices.Equal(got, want) {
		t.Errorf("dense 3, every 10, 20 steps: probes %v (%v); want %v", got, err, want)
	}
	got, err = probeRun(t, Stage{Steps: 20, Batch: 4}, 16, 10, 0)
	if want := []int{0, 10, 20}; err != nil || !slices.Equal(got, want) {
		t.Errorf("no dense: probes %v (%v); want %v", got, err, want)
	}
	got, err = probeRun(t, Stage{Steps: 20, Batch: 4, Dense: 5}, 16, 10, 4)
	if want := []int{0, 1, 2, 3, 4}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ErrStop at 4: probes %v (%v); want %v and no error", got, err, want)
	}
	wantErr := fmt.Errorf("boom")
	rng := rand.New(rand.NewPCG(1, 2))
	m, _ := NewMLP([]int{3, 2}, rng)
	d := NewDataset(4, 3)
	for i := range 4 {
		d.Hi[i] = 2
	}
	if err := NewTrainer(m, NewAdam(1e-3, len(m.Params))).Run(context.Background(), d, Stage{Steps: 5}, rng, 1, func(int) error { return wantErr }); err != wantErr {
		t.Errorf("another probe error: got %v, want it returned", err)
	}
	if n := (&Stage{Epochs: 3, Batch: 32}).TotalSteps(100); n != 12 {
		t.Errorf("3 epochs of 100 in batches of 32: %d steps, want 12", n)
	}
	if err := (&Stage{Steps: 5, Dense: -1, LR: 1}).Validate(); err == nil {
		t.Error("dense −1 validated")
	}
}
