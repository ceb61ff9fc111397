package sim

import (
	"hash/fnv"
	"math/rand/v2"
)

// Streams derives a run's random streams. Each (seed, stage position,
// purpose) has its own PCG stream, found by hashing, so that a number drawn
// for one purpose never depends on how many were drawn for another, on which
// arm runs first, or on how many workers there are. Arms share the streams of
// the stage positions they share: a paired design with common random numbers.
type Streams struct {
	Seed  uint64
	Stage int // position of the stage in the pipeline; -1 for per-seed streams
}

// Rand returns the stream for purpose.
func (s Streams) Rand(purpose string) *rand.Rand {
	h := fnv.New64a()
	var b [16]byte
	for i := range 8 {
		b[i] = byte(s.Seed >> (8 * i))
		b[8+i] = byte(uint64(int64(s.Stage)) >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(purpose))
	k := h.Sum64()
	return rand.New(rand.NewPCG(k, splitmix(k)))
}

// splitmix is SplitMix64's finaliser, used to spread one hash into a second word.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
