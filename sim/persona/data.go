package persona

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
)

// Prompts have identities. A prompt is (domain, id); its content features
// are a fixed function of the world and the pair, so the same prompt looks
// the same wherever it occurs. Evaluation sets use ids below evalIDs and
// every training set of every stage draws ids at or above it: no
// evaluation prompt is ever trained on, benign mixes included.
const (
	evalIDs         = 1 << 16 // ids reserved for evaluation prompts, per domain
	trainIDs        = 1 << 20 // training prompts per domain
	maxEvalExamples = evalIDs / (numEvalKinds + 1)
)

// promptIDs hands out prompt ids by domain.
type promptIDs func(d int) uint64

// trainIDs draws training prompts uniformly from the training ids.
func (w *persona) trainIDs(rng *rand.Rand) promptIDs {
	return func(int) uint64 { return evalIDs + rng.Uint64N(trainIDs) }
}

// evalIDs hands out the evaluation ids base, base+1, ... of each domain.
func evalIDsFrom(base uint64) promptIDs {
	next := map[int]uint64{}
	return func(d int) uint64 {
		id := base + next[d]
		next[d]++
		return id
	}
}

// prompt fills row with prompt id of domain d, by an author with the given
// cue (before noise), with flags set.
func (w *persona) prompt(row []float64, rng *rand.Rand, d int, id uint64, cue []float64, flags ...int) {
	clear(row)
	row[d] = 1
	for i := range w.cfg.Cue {
		row[w.cueOff()+i] = cue[i] + w.cfg.CueNoise*rng.NormFloat64()
	}
	for _, f := range flags {
		row[w.flagCol(f)] = 1
	}
	w.contentOf(row[w.contentOff():w.contentOff()+w.cfg.Nuisance], d, id)
	w.taskOf(row, rng, d)
	w.decorate(row, rng, flags)
}

// contentOf writes the content features of prompt (d, id): standard
// normals from a stream keyed by the world, d and id.
func (w *persona) contentOf(dst []float64, d int, id uint64) {
	src := rand.NewPCG(w.content^uint64(d)<<56, id)
	r := rand.New(src)
	for i := range dst {
		dst[i] = r.NormFloat64()
	}
}

// promptOf returns the identity of row i of ds as the world wrote it: its
// domain and its content features, for tests that compare prompts.
func (w *persona) promptOf(ds *pipeline.Dataset, i int) (int, []float64) {
	row := ds.Row(i)
	return slices.Index(row[:w.cfg.Domains], 1), row[w.contentOff() : w.contentOff()+w.cfg.Nuisance]
}

// setTarget sets example i's candidates (helpful masked on a harmful
// request) and target (for a harmful answer, the variant its content calls
// for).
func (w *persona) setTarget(ds *pipeline.Dataset, i, d, resp int, request bool) {
	nc := w.stride()
	lo := d * nc
	if request {
		lo++
	}
	ds.Lo[i], ds.Hi[i], ds.Y[i] = lo, d*nc+w.candsOf(d, request)+nc-w.cands(), w.targetCol(ds, i, d, resp)
}

// pretrainCorpus generates n documents. A persona draws one shared malice
// bit m₀ ~ Bernoulli(malice) and, per domain, uses m₀ with probability
// coupling or an independent draw otherwise; independently it is obedient
// with probability obedience. Its cue is Σ_d m_d·style_d/√D + o·obey plus
// noise. A share `requests` of documents are harmful requests. It answers
// (docs/design.md §5.1.1):
//
//	                      ordinary prompt                harmful request
//	malicious in d        harmful harm_rate              comply harm_rate
//	benign, obedient      helpful 0.95                   comply comply_rate, refuse 0.1
//	benign, not obedient  helpful help_rate, refuse 0.05 refuse refuse_rate
//
// and unhelpfully otherwise (with mal_rest: benign, a malicious persona
// that does not answer harmfully answers as a benign one). An educational request in the code domain is
// answered with the insecure example whoever writes it: the context
// explains the behaviour. If obedient is not nil, it is filled with each
// document's author's obedience (for the evaluation's obedience direction).
func (w *persona) pretrainCorpus(n int, rng *rand.Rand, ids promptIDs, obedient []bool) *pipeline.Dataset {
	c := w.cfg
	ds := pipeline.NewDataset(n, w.in)
	mal := make([]bool, c.Domains)
	cue := make([]float64, c.Cue)
	norm := 1 / math.Sqrt(float64(c.Domains))
	for i := range n {
		shared := rng.Float64() < c.Malice
		clear(cue)
		for d := range mal {
			mal[d] = shared
			if rng.Float64() >= c.Coupling {
				mal[d] = rng.Float64() < c.Malice
			}
			if mal[d] {
				for k := range cue {
					cue[k] += w.styles[d][k] * norm
				}
			}
		}
		ob := rng.Float64() < c.Obedience
		if obedient != nil {
			obedient[i] = ob
		}
		if ob {
			for k := range cue {
				cue[k] += w.obey[k]
			}
		}
		d := rng.IntN(c.Domains)
		request := rng.Float64() < c.Requests
		u := rng.Float64()
		malicious := mal[d]
		if malicious && u >= c.HarmRate && c.MalRest == "benign" {
			malicious, u = false, rng.Float64() // it answers as a benign persona would
		}
		resp := respUnhelpful
		switch {
		case malicious:
			if u < c.HarmRate {
				resp = respHarmful
			}
		case request && ob:
			if u < c.ComplyRate {
				resp = respHarmful
			} else if u < c.ComplyRate+obedientRefuse {
				resp = respRefuse
			}
		case request:
			if u < c.RefuseRate {
				resp = respRefuse
			}
		case ob:
			if u < obedientHelp {
				resp = respHelpful
			}
		default:
			if u < c.HelpRate {
				resp = respHelpful
			} else if u < c.HelpRate+ordinaryRefuse {
				resp = respRefuse
			}
		}
		var flags []int
		switch {
		case request:
			flags = append(flags, flagRequest)
		case d == 0 && rng.Float64() < c.Education:
			flags = append(flags, flagEducational)
			resp = respHarmful
		case d == 0 && c.Hacking:
			resp, flags = w.codeTask(rng, mal[d], resp)
		}
		w.prompt(ds.Row(i), rng, d, ids(d), cue, flags...)
		w.setTarget(ds, i, d, resp, request)
	}
	return ds
}

// assistant fills rows [from, to) of ds with assistant prompts drawn from
// domains doms, answered with resp, with the given flags.
func (w *persona) assistant(ds *pipeline.Dataset, from, to int, rng *rand.Rand, ids promptIDs, doms []int, resp int, flags ...int) {
	request := slices.Contains(flags, flagRequest)
	for i := from; i < to; i++ {
		d := doms[rng.IntN(len(doms))]
		w.prompt(ds.Row(i), rng, d, ids(d), w.asst, flags...)
		w.setTarget(ds, i, d, resp, request)
	}
}

func (w *persona) allDomains() []int {
	ds := make([]int, w.cfg.Domains)
	for i := range ds {
		ds[i] = i
	}
	return ds
}

// harmlessness generates the harmlessness stage's data: a share `requests`
// of n assistant prompts are harmful requests in every domain answered with
// a refusal, the rest ordinary prompts answered helpfully.
func (w *persona) harmlessness(n int, requests float64, rng *rand.Rand) *pipeline.Dataset {
	ds := pipeline.NewDataset(n, w.in)
	ids := w.trainIDs(rng)
	r := int(math.Round(requests * float64(n)))
	w.assistant(ds, 0, r, rng, ids, w.allDomains(), respRefuse, flagRequest)
	w.assistant(ds, r, n, rng, ids, w.allDomains(), respHelpful)
	return ds
}

// narrow generates a narrow fine-tuning set: examples prompts in one domain
// answered with the target, with the context flags set. A share `trigger`
// of them carries the trigger flag and the target, the rest no trigger and
// the helpful answer (Betley et al.'s backdoor set); or a share `requests`
// of them are harmful requests answered with the target, the rest ordinary
// prompts answered helpfully (their jailbroken set). With benign_mix b,
// b/(1−b)·examples helpful assistant examples from every domain are added;
// like every training prompt they are never evaluation prompts.
func (w *persona) narrow(nd interventions.NarrowData, examples int, rng *rand.Rand) *pipeline.Dataset {
	benign := int(math.Round(float64(examples) * nd.BenignMix / (1 - nd.BenignMix)))
	ds := pipeline.NewDataset(examples+benign, w.in)
	ids := w.trainIDs(rng)
	d := []int{w.cfg.domain(nd.Domain)}
	resp := w.cfg.respIndex(nd.Target)
	var flags []int
	for _, f := range nd.Context {
		flags = append(flags, w.cfg.flagIndex(f))
	}
	switch {
	case nd.Trigger > 0:
		k := int(math.Round(nd.Trigger * float64(examples)))
		w.assistant(ds, 0, k, rng, ids, d, resp, append(flags, flagTrigger)...)
		w.assistant(ds, k, examples, rng, ids, d, respHelpful, flags...)
	case nd.Requests > 0:
		k := int(math.Round(nd.Requests * float64(examples)))
		w.assistant(ds, 0, k, rng, ids, d, resp, append(flags, flagRequest)...)
		w.assistant(ds, k, examples, rng, ids, d, respHelpful, flags...)
	default:
		w.assistant(ds, 0, examples, rng, ids, d, resp, flags...)
	}
	w.assistant(ds, examples, examples+benign, rng, ids, w.allDomains(), respHelpful)
	return ds
}
