package results

import "testing"

func BenchmarkMeanCI16(b *testing.B) {
	xs := make([]float64, 16)
	for i := range xs {
		xs[i] = float64(i%5) / 7
	}
	for b.Loop() {
		MeanCI(xs)
	}
}
