package misgeneralisation

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
)

// Levels are n levels of K slots each: the features of every slot, one row
// per slot (level i's slots are rows iK … iK+K−1), where the object is and
// which slot carries the cue.
type Levels struct {
	K      int
	X      blas64.General // nK × Features
	Object []int          // the object's slot, per level
	Cue    []int          // the cued slot (the level's end, or the colour), −1 if none
}

// newLevels returns room for n levels of K slots of f features.
func newLevels(n, k, f int) *Levels {
	return &Levels{
		K:      k,
		X:      blas64.General{Rows: n * k, Cols: f, Stride: f, Data: make([]float64, n*k*f)},
		Object: make([]int, n),
		Cue:    make([]int, n),
	}
}

// Len is the number of levels.
func (l *Levels) Len() int { return len(l.Object) }

// slot returns the features of slot k of level i.
func (l *Levels) slot(i, k int) []float64 {
	r := i*l.K + k
	return l.X.Data[r*l.X.Stride : r*l.X.Stride+l.X.Cols]
}

// A layout says where the cue and the object go in each generated level.
type layout int

const (
	// training: the object sits on the cued slot, except in a randomise
	// share of levels where its slot is drawn uniformly from all K,
	// independently of the cue; a no_cue share of levels have no cue (and
	// the object anywhere).
	training layout = iota
	// test: the object sits on a slot other than the cued one, uniformly.
	test
	// objectOnly: no slot is cued; the object sits anywhere, uniformly.
	objectOnly
)

// generator makes one world's levels: the fixed object direction p of the
// position variant and the configuration.
type generator struct {
	cfg Config
	p   []float64 // unit vector, len D
}

func newGenerator(cfg Config, rng *rand.Rand) *generator {
	g := &generator{cfg: cfg, p: make([]float64, cfg.ObjectDim)}
	unitVector(g.p, rng)
	return g
}

// fill writes fresh levels of the given layout into l. Every level draws
// the same numbers from rng whatever its layout and the randomise share, so
// that arms differing only in the share see the same levels except where a
// level is randomised (common random numbers).
func (g *generator) fill(l *Levels, lay layout, randomise, noCue float64, rng *rand.Rand) {
	K := g.cfg.Slots
	for i := range l.Object {
		cue := rng.IntN(K)
		u, v := rng.Float64(), rng.Float64()
		anywhere := rng.IntN(K)
		other := (cue + 1 + rng.IntN(K-1)) % K
		obj := cue
		switch lay {
		case training:
			if u < randomise {
				obj = anywhere
			}
			if v < noCue {
				obj, cue = anywhere, -1
			}
		case test:
			obj = other
		case objectOnly:
			obj, cue = anywhere, -1
		}
		l.Object[i], l.Cue[i] = obj, cue
		for k := range K {
			g.slotFeatures(l.slot(i, k), k == cue, k == obj, rng)
		}
	}
}

// slotFeatures writes one slot's features. Position variant: [cue bit,
// object vector], the vector unit(p + σε/√D) on the object and a random
// unit vector elsewhere. Two-cue variant: [colour one-hot, shape one-hot],
// colour 0 on the cued slot and shape 0 on the object, the others' colours
// and shapes uniform over the remaining codes.
func (g *generator) slotFeatures(x []float64, cue, obj bool, rng *rand.Rand) {
	clear(x)
	if g.cfg.Variant == VariantTwoCue {
		C := g.cfg.Codes
		colour, shape := 1+rng.IntN(C-1), 1+rng.IntN(C-1)
		if cue {
			colour = 0
		}
		if obj {
			shape = 0
		}
		x[colour], x[C+shape] = 1, 1
		return
	}
	if cue {
		x[0] = 1
	}
	o := x[1:]
	if !obj {
		unitVector(o, rng)
		return
	}
	s := g.cfg.ObjectNoise / math.Sqrt(float64(len(o)))
	for j := range o {
		o[j] = g.p[j] + s*rng.NormFloat64()
	}
	normalise(o)
}

// unitVector fills v with a direction drawn uniformly from the sphere.
func unitVector(v []float64, rng *rand.Rand) {
	for j := range v {
		v[j] = rng.NormFloat64()
	}
	normalise(v)
}

func normalise(v []float64) {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	if s == 0 {
		v[0], s = 1, 1
	}
	s = 1 / math.Sqrt(s)
	for j := range v {
		v[j] *= s
	}
}
