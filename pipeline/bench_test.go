package pipeline

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the step shapes B IN H OUT of the performance peers
// (docs/performance.md): two hidden layers of H, ReLU, float64.
var benchShapes = [][4]int{{64, 34, 32, 18}, {256, 34, 128, 18}, {256, 64, 256, 18}}

func shapeName(s [4]int) string { return fmt.Sprintf("B%d_IN%d_H%d_OUT%d", s[0], s[1], s[2], s[3]) }

// BenchmarkSupervisedStep measures one Adam training step of an MLP with two
// hidden layers of H and a masked softmax over 3 candidates per prompt, at
// the shapes B IN H OUT of the performance peers (docs/performance.md). Under
// the openblas tag a second run, NAME_allblas, sends every layer through
// OpenBLAS whatever its size.
func BenchmarkSupervisedStep(b *testing.B) {
	for _, s := range benchShapes {
		for _, all := range blasVariants() {
			b.Run(shapeName(s)+all.suffix, func(b *testing.B) { benchSupervised(b, s, all.blasMin) })
		}
	}
}

type blasVariant struct {
	suffix  string
	blasMin int
}

// blasVariants are the default choice of products and, under the openblas
// tag, OpenBLAS for every layer.
func blasVariants() []blasVariant {
	v := []blasVariant{{"", blasMinMACs}}
	if useBLAS {
		v = append(v, blasVariant{"_allblas", 0})
	}
	return v
}

func benchSupervised(b *testing.B, s [4]int, blasMin int) {
	B, in, h, out := s[0], s[1], s[2], s[3]
	c := newGradCase(b, []int{in, h, h, out}, B, 3, 1)
	d := &Dataset{X: c.x, Lo: c.lo, Hi: c.hi, Y: c.y}
	tr := NewTrainer(c.m, NewAdam(1e-3, len(c.m.Params)))
	tr.ws.blasMin = blasMin
	idx := make([]int, B)
	for i := range idx {
		idx[i] = i
	}
	tr.Step(d, idx) // warm up: the trainer sizes its buffers
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		tr.Step(d, idx)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	cpu.report(b)
}

// BenchmarkRLStepShapes measures one REINFORCE step (sample, reward, surrogate
// gradient with a KL penalty to a frozen reference and an entropy bonus,
// Adam) of a CoTPolicy at the same shapes: the token head is IN → H → H →
// OUT logits read as OUT/3 chain-of-thought positions of a 3-token softmax
// each, the action head (3 + IN) → H → H → 3 actions, B episodes a step.
func BenchmarkRLStepShapes(b *testing.B) {
	for _, s := range benchShapes {
		B, in, h, out := s[0], s[1], s[2], s[3]
		b.Run(shapeName(s), func(b *testing.B) {
			const v, a = 3, 3
			p := newTestPolicy(b, in, out/v, v, a, []int{h, h}, 1)
			ref := p.Clone()
			tr, err := NewRLTrainer(p, ref, NewAdam(1e-3, len(p.Params)), RLParams{KL: 0.1, Entropy: 0.01}, B)
			if err != nil {
				b.Fatal(err)
			}
			env := &tableEnv{in: in, reward: [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, mask: 0.5}
			rng := rand.New(rand.NewPCG(1, 2))
			tr.Step(1, env, rng) // warm up
			step := 1
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				step++
				tr.Step(step, env, rng)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
			cpu.report(b)
		})
	}
}
