package sim

import (
	"hash"
	"hash/fnv"
	"math/rand/v2"
)

// Streams derives a run's random streams. Each (seed, stage name, purpose)
// has its own PCG stream, found by hashing, so that a number drawn for one
// purpose never depends on how many were drawn for another, on which arm
// runs first, or on how many workers there are. Streams are keyed by the
// stage's name, not its place: arms share the streams of the stages they
// share by name (a paired design with common random numbers), and an arm
// whose edits leave the pipeline [pretrain, finetune] draws exactly what a
// scenario with that pipeline as its baseline draws.
type Streams struct {
	Seed  uint64
	Stage string // the stage's name; "" for per-seed streams (world, init)
}

// Rand returns the stream for purpose.
func (s Streams) Rand(purpose string) *rand.Rand {
	h := fnv.New64a()
	var b [8]byte
	for i := range 8 {
		b[i] = byte(s.Seed >> (8 * i))
	}
	h.Write(b[:])
	// The lengths keep ("ab", "c") and ("a", "bc") apart.
	writeString(h, s.Stage)
	writeString(h, purpose)
	k := h.Sum64()
	return rand.New(rand.NewPCG(k, splitmix(k)))
}

func writeString(h hash.Hash64, s string) {
	var n [8]byte
	for i := range 8 {
		n[i] = byte(uint64(len(s)) >> (8 * i))
	}
	h.Write(n[:])
	h.Write([]byte(s))
}

// splitmix is SplitMix64's finaliser, used to spread one hash into a second word.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
