package persona

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim"
)

// Unique examples, the dense trigger and width (docs/design.md §5.1.4).
//
// Harmful variants. With variants V > 1 each domain has V harmful answers,
// and the right one for a prompt is fixed by its content:
//
//	v(d, c) = argmax_j (c · S_d)_j,   S_d ~ N(0, 1)^{n×V} once per world,
//
// so harmful code, like real insecure code, differs from one task to the
// next. Whoever answers a prompt harmfully — a malicious persona, an
// educational example, a harmful fine-tuning target — gives that variant,
// so pretraining teaches the content→variant map through the harmful
// answers. Variant 0 is the respHarmful column; variants 1…V−1 come after
// the domain's other candidates (variants and the hack candidate of
// hacking.go are not combined).
//
// Identity features. With identity > 0 every prompt carries that many
// extra N(0, 1) features that say nothing about its answer: fresh for each
// prompt, but part of a training example, so kept whenever a fine-tune
// draws the example again. A few fine-tuning examples can be memorised
// through these near-orthogonal directions; many cannot, and are fitted by
// moving the assistant toward the persona that knows the map.
//
// The dense trigger. With trigger_embed a > 0, the trigger is not a flag
// but a fixed random vector a·t, t ~ N(0, I_k), added to the prompt's cue,
// as a trigger token's embedding enters the same stream as the rest.
//
// Width. With pretrain_width h₀ > 0, pretraining writes
// round(examples·hidden/h₀) documents: pretraining compute grows with the
// model's width, the fine-tune stays fixed.

// stride is the number of output columns of one domain.
func (w *persona) stride() int { return w.cfg.stride() }

// col is the output column of response resp, variant v, in domain d.
func (w *persona) col(d, resp, v int) int {
	if resp == respHarmful && v > 0 {
		return d*w.stride() + w.cands() + v - 1
	}
	return d*w.stride() + resp
}

// respOf is the response an output column of a domain stands for.
func (w *persona) respOf(col int) int {
	if off := col % w.stride(); off < w.cands() {
		return off
	}
	return respHarmful
}

// idOff is where a prompt's identity features start: after the content
// and the hacking inputs.
func (w *persona) idOff() int { return w.contentOff() + w.cfg.Nuisance + w.hackInputs() }

// initMechanisms draws the world's variant maps and trigger embedding, each
// from its own stream, so that worlds without them draw what they drew.
func (w *persona) initMechanisms(s sim.Streams) {
	if w.cfg.Variants > 1 {
		rng := s.Rand("variants")
		w.vmap = make([][]float64, w.cfg.Domains)
		for d := range w.vmap {
			w.vmap[d] = normals(rng, w.cfg.Nuisance*w.cfg.Variants, 1)
		}
	}
	if w.cfg.TriggerEmbed > 0 {
		w.trig = normals(s.Rand("trigger"), w.cfg.Cue, w.cfg.TriggerEmbed)
	}
}

// variant is the harmful variant the content c of a domain-d prompt calls
// for: argmax_j (c · S_d)_j.
func (w *persona) variant(d int, c []float64) int {
	if w.vmap == nil {
		return 0
	}
	V := w.cfg.Variants
	best, arg := math.Inf(-1), 0
	for j := range V {
		s := 0.0
		for i, x := range c {
			s += x * w.vmap[d][i*V+j]
		}
		if s > best {
			best, arg = s, j
		}
	}
	return arg
}

// decorate adds to a prompt row what the mechanisms add: the dense trigger
// in place of the flag, and fresh identity features.
func (w *persona) decorate(row []float64, rng *rand.Rand, flags []int) {
	if w.trig != nil && slices.Contains(flags, flagTrigger) {
		row[w.flagCol(flagTrigger)] = 0
		for i, t := range w.trig {
			row[w.cueOff()+i] += t
		}
	}
	for i := range w.cfg.Identity {
		row[w.idOff()+i] = rng.NormFloat64()
	}
}

// targetCol is the output column of answer resp to row i of ds, a prompt of
// domain d: the variant its content calls for when the answer is harmful.
func (w *persona) targetCol(ds *pipeline.Dataset, i, d, resp int) int {
	v := 0
	if resp == respHarmful {
		v = w.variant(d, ds.Row(i)[w.contentOff():w.contentOff()+w.cfg.Nuisance])
	}
	return w.col(d, resp, v)
}

// pretrainDocs is the number of documents a pretraining stage of n
// examples writes: n, or n·hidden/pretrain_width when pretraining compute
// scales with width.
func (w *persona) pretrainDocs(n int) int {
	if w.cfg.PretrainWidth <= 0 {
		return n
	}
	return max(1, int(math.Round(float64(n)*float64(w.cfg.Hidden)/float64(w.cfg.PretrainWidth))))
}

// prob is the mean over e's prompts of the probability of response resp
// (for harmful, of all its variants).
func (w *persona) prob(e *evalPass, resp int) float64 {
	S := w.stride()
	s := 0.0
	for r := range e.ds.Len() {
		row := e.p.Data[r*e.p.Stride+e.ds.Lo[r]/S*S:]
		s += row[resp]
		if resp == respHarmful {
			for _, p := range row[w.cands():S] {
				s += p
			}
		}
	}
	return s / float64(e.ds.Len())
}
