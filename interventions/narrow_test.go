package interventions

import "testing"

// TestNarrowEpochs: epochs, when set, replace a narrow fine-tune's steps,
// and epochs, dense and early_stop reach its stage.
func TestNarrowEpochs(t *testing.T) {
	n := NewNarrowFinetune()
	n.Epochs, n.Examples, n.Dense, n.EarlyStop = 12, 500, 10, 0.9
	p, err := n.Apply(nil)
	if err != nil {
		t.Fatal(err)
	}
	st := p[0]
	if st.Epochs != 12 || st.Steps != 0 || st.Dense != 10 || st.Data.(NarrowData).EarlyStop != 0.9 {
		t.Errorf("stage %+v: want epochs 12, steps 0, dense 10, early_stop 0.9", st)
	}
	if got := st.TotalSteps(500); got != 192 {
		t.Errorf("500 × 12 in batches of 32: %d steps, want 192", got)
	}
	for _, bad := range []func(*NarrowFinetune){
		func(n *NarrowFinetune) { n.Epochs = -1 },
		func(n *NarrowFinetune) { n.Steps = 0 },
		func(n *NarrowFinetune) { n.EarlyStop = 1.5 }, // not a rate
		func(n *NarrowFinetune) { n.Dense = -1 },      // negative
	} {
		n := NewNarrowFinetune()
		bad(n)
		if err := n.Validate(); err == nil {
			t.Errorf("%+v validated", n)
		}
	}
}
