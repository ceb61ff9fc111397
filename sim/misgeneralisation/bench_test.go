package misgeneralisation

import (
	"testing"

	"github.com/natmo/natmo/pipeline"
)

// BenchmarkTrain times a 100-step rl stage of the default world.
func BenchmarkTrain(b *testing.B) {
	s := setup{cfg: *NewConfig(), st: pipeline.Stage{Kind: "rl", Steps: 100, Batch: 64, LR: 0.01}}
	for b.Loop() {
		trainSeed(b, s, 1)
	}
}
