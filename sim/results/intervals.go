package results

import (
	"encoding/binary"
	"math"
	"sync"
)

// Intervals remembers the bootstrap intervals it has computed, keyed by the
// values they came from (their bits, in order), so that a run bootstraps
// each interval once, however many figures, file formats and tables show
// it. MeanCI is a function of its values alone, so a remembered interval
// is the one a fresh computation would give, to the bit. A nil *Intervals
// remembers nothing. It is safe for concurrent use.
type Intervals struct {
	mu sync.Mutex
	m  map[string][3]float64
}

// NewIntervals returns an empty memo.
func NewIntervals() *Intervals { return &Intervals{m: map[string][3]float64{}} }

// MeanCI is the package's MeanCI, remembered.
func (iv *Intervals) MeanCI(xs []float64) (mean, lo, hi float64) {
	if iv == nil {
		return MeanCI(xs)
	}
	key := make([]byte, 8*len(xs))
	for i, x := range xs {
		binary.LittleEndian.PutUint64(key[8*i:], math.Float64bits(x))
	}
	iv.mu.Lock()
	c, ok := iv.m[string(key)]
	iv.mu.Unlock()
	if ok {
		return c[0], c[1], c[2]
	}
	mean, lo, hi = MeanCI(xs)
	iv.mu.Lock()
	iv.m[string(key)] = [3]float64{mean, lo, hi}
	iv.mu.Unlock()
	return mean, lo, hi
}

// Len is the number of intervals remembered.
func (iv *Intervals) Len() int {
	if iv == nil {
		return 0
	}
	iv.mu.Lock()
	defer iv.mu.Unlock()
	return len(iv.m)
}
