package pipeline_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/natmo/natmo/pipeline"
)

// An MLP learns, from 512 examples, which of a prompt's own three candidate
// responses to give: the sign of the first feature picks the first or the
// second; a third candidate is never right. Each prompt belongs to one of two
// groups with disjoint candidates (columns 0–2 and 3–5).
func ExampleTrainer() {
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := pipeline.NewMLP([]int{4, 16, 16, 6}, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := pipeline.NewDataset(512, 4)
	for i := range d.Len() {
		row := d.Row(i)
		for j := range row {
			row[j] = rng.NormFloat64()
		}
		g := i % 2
		d.Lo[i], d.Hi[i] = 3*g, 3*g+3
		d.Y[i] = d.Lo[i]
		if row[0] > 0 {
			d.Y[i]++
		}
	}
	st := pipeline.Stage{Kind: "sft", Epochs: 20, Batch: 32, LR: 3e-3}
	tr := pipeline.NewTrainer(m, pipeline.NewAdam(st.LR, len(m.Params)))
	if err := tr.Run(context.Background(), d, st, rng, 0, nil); err != nil {
		fmt.Println(err)
		return
	}
	// Accuracy of the most probable candidate on the training prompts.
	ws := pipeline.NewWorkspace(m, d.Len())
	z := m.Forward(d.X, ws)
	right := 0
	for i := range d.Len() {
		best := d.Lo[i]
		for j := d.Lo[i]; j < d.Hi[i]; j++ {
			if z.Data[i*z.Stride+j] > z.Data[i*z.Stride+best] {
				best = j
			}
		}
		if best == d.Y[i] {
			right++
		}
	}
	fmt.Printf("accuracy above 95%%: %v\n", float64(right)/float64(d.Len()) > 0.95)
	// Output: accuracy above 95%: true
}
