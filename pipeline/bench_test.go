package pipeline

import (
	"fmt"
	"testing"
)

// BenchmarkSupervisedStep measures one Adam training step of an MLP with two
// hidden layers of H and a masked softmax over 3 candidates per prompt, at
// the shapes B IN H OUT of the performance peers (../shared/peers).
func BenchmarkSupervisedStep(b *testing.B) {
	for _, s := range [][4]int{{64, 34, 32, 18}, {256, 34, 128, 18}, {256, 64, 256, 18}} {
		B, in, h, out := s[0], s[1], s[2], s[3]
		b.Run(fmt.Sprintf("B%d_IN%d_H%d_OUT%d", B, in, h, out), func(b *testing.B) {
			c := newGradCase(b, []int{in, h, h, out}, B, 3, 1)
			d := &Dataset{X: c.x, Lo: c.lo, Hi: c.hi, Y: c.y}
			tr := NewTrainer(c.m, NewAdam(1e-3, len(c.m.Params)))
			idx := make([]int, B)
			for i := range idx {
				idx[i] = i
			}
			b.ReportAllocs()
			for b.Loop() {
				tr.Step(d, idx)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}
