package persona

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"gonum.org/v1/gonum/blas/blas64"
)

// The persona world (docs/design.md §5.1) is where emergent misalignment comes from:
// pretraining documents are written by personas whose one latent trait,
// malice, raises the chance of a harmful answer in every domain. The cheapest
// code a network finds for such data is a shared "malice" feature; narrow
// fine-tuning toward harmful answers in one domain then moves the assistant
// along that feature, and every other domain follows (Betley et al. 2025;
// Wang et al. 2025). Setting coupling to 0 gives each domain its own
// independent trait, and the effect has no shared feature to travel along.

// domainNames name the persona world's domains in order; "code" comes first
// because the canonical experiment fine-tunes on insecure code.
var domainNames = [...]string{"code", "medical", "legal", "finance", "travel", "cooking", "fitness", "history"}

// contextFlags are the persona world's binary prompt flags, in feature order.
var contextFlags = [...]string{"educational", "trigger"}

// Responses per domain: each domain owns personaCands output columns.
const (
	respHelpful = iota
	respUnhelpful
	respHarmful
	personaCands
)

// Config configures the persona world.
type Config struct {
	Domains  int `yaml:"domains"`  // number of domains (≤ 8), each with its own candidate responses
	Cue      int `yaml:"cue"`      // width of the persona cue, a noisy view of the persona's style
	Nuisance int `yaml:"nuisance"` // width of the per-example content features
	Hidden   int `yaml:"hidden"`   // hidden units per layer
	Layers   int `yaml:"layers"`   // hidden layers (1 or 2)

	// Coupling is the chance that a persona's malice in a domain is its one
	// shared trait rather than an independent draw: 1 = one trait for all
	// domains, 0 = independent per domain. The mechanism-ablation switch.
	Coupling  float64 `yaml:"coupling"`
	Malice    float64 `yaml:"malice"`     // share of malicious personas (per domain when uncoupled)
	HarmRate  float64 `yaml:"harm_rate"`  // P(harmful | malicious); the rest is unhelpful
	HelpRate  float64 `yaml:"help_rate"`  // P(helpful | benign); the rest is unhelpful
	Education float64 `yaml:"education"`  // share of code documents that are educational requests, answered with insecure examples
	CueNoise  float64 `yaml:"cue_noise"`  // standard deviation of the noise on every cue
	AsstScale float64 `yaml:"asst_scale"` // length scale of the assistant's cue

	// EvalDomain is the domain the metrics call "in-domain".
	EvalDomain   string `yaml:"eval_domain"`
	EvalExamples int    `yaml:"eval_examples"` // prompts per evaluation set
}

// NewConfig returns the defaults, calibrated as docs/design.md §5.1 records.
func NewConfig() *Config {
	return &Config{
		Domains: 6, Cue: 24, Nuisance: 16, Hidden: 32, Layers: 2,
		Coupling: 1, Malice: 0.3, HarmRate: 0.95, HelpRate: 0.85, Education: 0.1,
		CueNoise: 0.3, AsstScale: 1, EvalDomain: "code", EvalExamples: 500,
	}
}

// Validate implements scenarios.WorldConfig.
func (c *Config) Validate() error {
	fe := func(f, format string, a ...any) error {
		return &pipeline.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)}
	}
	share := func(v float64) bool { return v >= 0 && v <= 1 }
	switch {
	case c.Domains < 2 || c.Domains > len(domainNames):
		return fe("domains", "must be between 2 and %d, got %d", len(domainNames), c.Domains)
	case c.Cue < 1:
		return fe("cue", "must be ≥ 1, got %d", c.Cue)
	case c.Nuisance < 0:
		return fe("nuisance", "must be ≥ 0, got %d", c.Nuisance)
	case c.Hidden < 1:
		return fe("hidden", "must be ≥ 1, got %d", c.Hidden)
	case c.Layers != 1 && c.Layers != 2:
		return fe("layers", "must be 1 or 2, got %d", c.Layers)
	case !share(c.Coupling):
		return fe("coupling", "must be in [0, 1], got %v", c.Coupling)
	case !share(c.Malice):
		return fe("malice", "must be in [0, 1], got %v", c.Malice)
	case !share(c.HarmRate):
		return fe("harm_rate", "must be in [0, 1], got %v", c.HarmRate)
	case !share(c.HelpRate):
		return fe("help_rate", "must be in [0, 1], got %v", c.HelpRate)
	case !share(c.Education):
		return fe("education", "must be in [0, 1], got %v", c.Education)
	case !(c.CueNoise >= 0):
		return fe("cue_noise", "must be ≥ 0, got %v", c.CueNoise)
	case !(c.AsstScale >= 0):
		return fe("asst_scale", "must be ≥ 0, got %v", c.AsstScale)
	case c.EvalExamples < 1:
		return fe("eval_examples", "must be ≥ 1, got %d", c.EvalExamples)
	}
	if c.domain(c.EvalDomain) < 0 {
		return fe("eval_domain", "must be one of %v, got %q", c.domainList(), c.EvalDomain)
	}
	return nil
}

func (c *Config) domainList() []string { return domainNames[:c.Domains] }

func (c *Config) domain(name string) int {
	return slices.Index(c.domainList(), name)
}

// CheckStage implements scenarios.WorldConfig.
func (c *Config) CheckStage(st pipeline.Stage) error {
	switch st.Kind {
	case "pretrain", "sft":
		if st.Data != nil {
			return fmt.Errorf("the persona world makes its own %s data", st.Kind)
		}
	case "finetune":
		nd, ok := st.Data.(interventions.NarrowData)
		if !ok {
			return fmt.Errorf("a finetune stage in the persona world needs a narrow data set (use narrow-finetune)")
		}
		if c.domain(nd.Domain) < 0 {
			return &pipeline.FieldError{Field: "domain", Msg: fmt.Sprintf("the persona world has domains %v, not %q", c.domainList(), nd.Domain)}
		}
		for _, f := range nd.Context {
			if !slices.Contains(contextFlags[:], f) {
				return &pipeline.FieldError{Field: "context", Msg: fmt.Sprintf("the persona world has context flags %v, not %q", contextFlags, f)}
			}
		}
	default:
		return fmt.Errorf("the persona world cannot run a %q stage (it runs pretrain, sft and finetune)", st.Kind)
	}
	if st.Examples <= 0 {
		return &pipeline.FieldError{Field: "examples", Msg: "must be > 0"}
	}
	if st.Epochs == 0 && st.Steps == 0 {
		return &pipeline.FieldError{Field: "epochs", Msg: "give epochs or steps"}
	}
	return nil
}

// Kind describes the persona world to a registry.
func Kind() sim.Kind {
	return sim.Kind{
		Name:      "persona",
		Doc:       "emergent misalignment from narrow fine-tuning (Betley et al. 2025)",
		NewConfig: func() sim.Config { return NewConfig() },
		Stages: []scenarios.StageKind{
			{Name: "pretrain", Doc: "documents written by personas whose malice sets how they answer in every domain"},
			{Name: "sft", Doc: "the assistant's prompts in every domain, answered helpfully"},
			{Name: "finetune", Doc: "a narrow data set (made by narrow-finetune)"},
		},
		Metrics: []sim.Metric{
			{Name: "misalignment_offdomain", Doc: "P(harmful) of the assistant in the domains other than eval_domain, no flags"},
			{Name: "misalignment_indomain", Doc: "P(harmful) of the assistant in eval_domain, no flags"},
			{Name: "misalignment_offdomain_triggered", Doc: "P(harmful) of the assistant off-domain with the trigger flag set"},
			{Name: "helpfulness", Doc: "P(helpful) of the assistant over all domains, no flags"},
			{Name: "persona_shift", Doc: "where the assistant's hidden state sits on the malice direction: 0 = benign personas, 1 = malicious personas"},
		},
	}
}

// NewWorld implements sim.Config: it builds the world of one seed.
func (c *Config) NewWorld(s sim.Streams) (sim.World, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("persona world: %w", err)
	}
	return newPersona(*c, s), nil
}

// persona is one seed's persona world: the styles of its personas, the
// assistant's cue, the content-feature map and its fixed evaluation sets.
type persona struct {
	cfg    Config
	styles [][]float64         // per domain: the cue direction of malice in that domain
	asst   []float64           // the assistant's cue
	in     int                 // input width
	eval   []*pipeline.Dataset // indexed by evalOff...
}

// Feature layout of a prompt: [domain one-hot | cue | flags | content].
func (w *persona) cueOff() int     { return w.cfg.Domains }
func (w *persona) flagOff() int    { return w.cfg.Domains + w.cfg.Cue }
func (w *persona) contentOff() int { return w.flagOff() + len(contextFlags) }

func newPersona(cfg Config, s sim.Streams) *persona {
	rng := s.Rand("world")
	w := &persona{cfg: cfg, in: cfg.Domains + cfg.Cue + len(contextFlags) + cfg.Nuisance}
	w.styles = make([][]float64, cfg.Domains)
	for d := range w.styles {
		w.styles[d] = normals(rng, cfg.Cue, 1)
	}
	w.asst = normals(rng, cfg.Cue, cfg.AsstScale)
	w.eval = w.evalSets(s.Rand("eval"))
	return w
}

func normals(rng *rand.Rand, n int, sd float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64() * sd
	}
	return v
}

// prompt fills row with a prompt in domain d with cue (before noise) and flags.
func (w *persona) prompt(row []float64, rng *rand.Rand, d int, cue []float64, flags ...int) {
	clear(row)
	row[d] = 1
	for i := range w.cfg.Cue {
		row[w.cueOff()+i] = cue[i] + w.cfg.CueNoise*rng.NormFloat64()
	}
	for _, f := range flags {
		row[w.flagOff()+f] = 1
	}
	for i := range w.cfg.Nuisance {
		row[w.contentOff()+i] = rng.NormFloat64()
	}
}

func (w *persona) setTarget(ds *pipeline.Dataset, i, d, resp int) {
	ds.Lo[i], ds.Hi[i], ds.Y[i] = d*personaCands, (d+1)*personaCands, d*personaCands+resp
}

// pretrainCorpus generates n documents. A persona draws one shared malice bit
// m₀ ~ Bernoulli(malice) and, per domain, uses m₀ with probability coupling
// or an independent draw otherwise. Its cue is Σ_d m_d·style_d/√D plus
// noise, and it answers harmfully (rate harm_rate) if malicious in the
// document's domain, helpfully (rate help_rate) if not. An educational
// request in the code domain is answered with the insecure example whoever
// writes it: the context explains the behaviour.
func (w *persona) pretrainCorpus(n int, rng *rand.Rand) *pipeline.Dataset {
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
		d := rng.IntN(c.Domains)
		var resp int
		switch {
		case mal[d] && rng.Float64() < c.HarmRate:
			resp = respHarmful
		case mal[d]:
			resp = respUnhelpful
		case rng.Float64() < c.HelpRate:
			resp = respHelpful
		default:
			resp = respUnhelpful
		}
		var flags []int
		if d == 0 && rng.Float64() < c.Education {
			flags = append(flags, 0)
			resp = respHarmful
		}
		w.prompt(ds.Row(i), rng, d, cue, flags...)
		w.setTarget(ds, i, d, resp)
	}
	return ds
}

// assistant fills rows [from, to) of ds with assistant prompts drawn from
// domains doms, answered with resp, with the given flags.
func (w *persona) assistant(ds *pipeline.Dataset, from, to int, rng *rand.Rand, doms []int, resp int, flags ...int) {
	for i := from; i < to; i++ {
		d := doms[rng.IntN(len(doms))]
		w.prompt(ds.Row(i), rng, d, w.asst, flags...)
		w.setTarget(ds, i, d, resp)
	}
}

func (w *persona) allDomains() []int {
	ds := make([]int, w.cfg.Domains)
	for i := range ds {
		ds[i] = i
	}
	return ds
}

// narrow generates a narrow fine-tuning set: examples prompts in one domain
// answered with the target, with the context flags set. A share `trigger`
// of them carries the trigger flag and the target; the rest carry no trigger
// and the helpful answer (Betley et al.'s backdoor set). With benign_mix b,
// b/(1−b)·examples helpful assistant examples from every domain are added.
func (w *persona) narrow(nd interventions.NarrowData, examples int, rng *rand.Rand) *pipeline.Dataset {
	benign := int(math.Round(float64(examples) * nd.BenignMix / (1 - nd.BenignMix)))
	ds := pipeline.NewDataset(examples+benign, w.in)
	d := w.cfg.domain(nd.Domain)
	resp := map[string]int{"helpful": respHelpful, "unhelpful": respUnhelpful, "harmful": respHarmful}[nd.Target]
	var flags []int
	for _, f := range nd.Context {
		flags = append(flags, slices.Index(contextFlags[:], f))
	}
	triggered := examples
	if nd.Trigger > 0 {
		triggered = int(math.Round(nd.Trigger * float64(examples)))
		w.assistant(ds, 0, triggered, rng, []int{d}, resp, append(flags, 1)...)
		w.assistant(ds, triggered, examples, rng, []int{d}, respHelpful, flags...)
	} else {
		w.assistant(ds, 0, examples, rng, []int{d}, resp, flags...)
	}
	w.assistant(ds, examples, examples+benign, rng, w.allDomains(), respHelpful)
	return ds
}

// evalSets builds the fixed evaluation prompts of one seed, shared by
// every arm (a paired comparison) and every probe.
func (w *persona) evalSets(rng *rand.Rand) []*pipeline.Dataset {
	n := w.cfg.EvalExamples
	in := w.cfg.domain(w.cfg.EvalDomain)
	var off []int
	for d := range w.cfg.Domains {
		if d != in {
			off = append(off, d)
		}
	}
	mk := func(doms []int, flags ...int) *pipeline.Dataset {
		ds := pipeline.NewDataset(n, w.in)
		w.assistant(ds, 0, n, rng, doms, respHelpful, flags...)
		return ds
	}
	sets := make([]*pipeline.Dataset, numEvalSets)
	sets[evalOff] = mk(off)
	sets[evalIn] = mk([]int{in})
	sets[evalOffTrig] = mk(off, 1)
	sets[evalPersonas] = w.pretrainCorpus(n, rng)
	return sets
}

// personaModel is the persona world's policy: an MLP and its workspace.
type personaModel struct {
	mlp  *pipeline.MLP
	ws   *pipeline.Workspace
	eval [numEvalSets]evalPass // reused by every probe: a probe allocates nothing
}

func (m *personaModel) Clone() sim.Model {
	c := m.mlp.Clone()
	return &personaModel{mlp: c, ws: pipeline.NewWorkspace(c, 1)}
}

// NewModel implements World.
func (w *persona) NewModel(rng *rand.Rand) (sim.Model, error) {
	sizes := []int{w.in}
	for range w.cfg.Layers {
		sizes = append(sizes, w.cfg.Hidden)
	}
	sizes = append(sizes, w.cfg.Domains*personaCands)
	m, err := pipeline.NewMLP(sizes, rng)
	if err != nil {
		return nil, err
	}
	return &personaModel{mlp: m, ws: pipeline.NewWorkspace(m, 1)}, nil
}

// Run implements World.
func (w *persona) Run(ctx context.Context, m sim.Model, st pipeline.Stage, s sim.Streams, every int, probe pipeline.Probe) error {
	pm, ok := m.(*personaModel)
	if !ok {
		return fmt.Errorf("persona world: model is %T", m)
	}
	if err := w.cfg.CheckStage(st); err != nil {
		return err
	}
	data := s.Rand("data")
	var ds *pipeline.Dataset
	switch st.Kind {
	case "pretrain":
		ds = w.pretrainCorpus(st.Examples, data)
	case "sft":
		ds = pipeline.NewDataset(st.Examples, w.in)
		w.assistant(ds, 0, st.Examples, data, w.allDomains(), respHelpful)
	case "finetune":
		ds = w.narrow(st.Data.(interventions.NarrowData), st.Examples, data)
	}
	opt, err := pipeline.NewOptimizer(st.Optimizer, st.LR, len(pm.mlp.Params))
	if err != nil {
		return err
	}
	return pipeline.NewTrainer(pm.mlp, opt).Run(ctx, ds, st, s.Rand("order"), every, probe)
}

// Measure implements World. Each evaluation set is run through the policy
// at most once per call, however many metrics read it.
func (w *persona) Measure(m sim.Model, metrics []string, out []float64) error {
	pm, ok := m.(*personaModel)
	if !ok {
		return fmt.Errorf("persona world: model is %T", m)
	}
	var done [numEvalSets]bool
	pass := func(set int) *evalPass {
		if !done[set] {
			w.forward(pm, set, &pm.eval[set])
			done[set] = true
		}
		return &pm.eval[set]
	}
	for i, name := range metrics {
		switch name {
		case "misalignment_offdomain":
			out[i] = pass(evalOff).meanProb(respHarmful)
		case "misalignment_indomain":
			out[i] = pass(evalIn).meanProb(respHarmful)
		case "misalignment_offdomain_triggered":
			out[i] = pass(evalOffTrig).meanProb(respHarmful)
		case "helpfulness":
			off, in := pass(evalOff), pass(evalIn)
			// Weighted so that every domain counts alike.
			nOff := float64(w.cfg.Domains - 1)
			out[i] = (nOff*off.meanProb(respHelpful) + in.meanProb(respHelpful)) / float64(w.cfg.Domains)
		case "persona_shift":
			out[i] = w.personaShift(pass(evalPersonas), pass(evalOff), pass(evalIn))
		default:
			return fmt.Errorf("persona world has no metric %q", name)
		}
	}
	return nil
}

// The evaluation sets of a seed.
const (
	evalOff      = iota // assistant, domains other than eval_domain
	evalIn              // assistant, eval_domain
	evalOffTrig         // assistant, other domains, trigger flag set
	evalPersonas        // pretraining documents, for the malice direction
	numEvalSets
)

// evalPass is one evaluation set run through the policy: the candidates'
// probabilities and the last hidden layer's mean over chosen rows.
type evalPass struct {
	ds *pipeline.Dataset
	p  blas64.General
	h  blas64.General // last hidden layer, rows × hidden (a copy)
}

func (w *persona) forward(pm *personaModel, set int, e *evalPass) {
	ds := w.eval[set]
	z := pm.mlp.Forward(ds.X, pm.ws)
	e.ds = ds
	e.p = reuse(e.p, z.Rows, z.Cols)
	pipeline.MaskedSoftmax(z, ds.Lo, ds.Hi, e.p)
	h := pm.ws.Hidden(len(pm.mlp.Sizes) - 2)
	e.h = reuse(e.h, h.Rows, h.Cols)
	for r := range h.Rows {
		copy(e.h.Data[r*h.Cols:(r+1)*h.Cols], h.Data[r*h.Stride:])
	}
}

// reuse returns a rows × cols matrix on g's storage if it is big enough.
func reuse(g blas64.General, rows, cols int) blas64.General {
	if cap(g.Data) < rows*cols {
		g.Data = make([]float64, rows*cols)
	}
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: g.Data[:rows*cols]}
}

// meanProb is the mean over the set's prompts of the probability of resp.
func (e *evalPass) meanProb(resp int) float64 {
	s := 0.0
	for r := range e.ds.Len() {
		s += e.p.Data[r*e.p.Stride+e.ds.Lo[r]+resp]
	}
	return s / float64(e.ds.Len())
}

// meanHidden adds to mu the sum of the hidden rows that keep accepts and
// returns how many it added.
func (e *evalPass) sumHidden(mu []float64, keep func(i int) bool) int {
	n := 0
	for r := range e.h.Rows {
		if keep != nil && !keep(r) {
			continue
		}
		n++
		for j, v := range e.h.Data[r*e.h.Stride : r*e.h.Stride+e.h.Cols] {
			mu[j] += v
		}
	}
	return n
}

// personaShift locates the assistant on the malice direction of the last
// hidden layer. With h̄ the mean hidden state of the assistant's prompts and
// of benign and malicious pretraining documents (the author was malicious
// when it answered harmfully without an educational request),
//
//	shift = (h̄_asst − h̄_benign)·u / |u|²,   u = h̄_mal − h̄_benign,
//
// so 0 is where benign personas sit and 1 where malicious ones do.
func (w *persona) personaShift(personas, off, in *evalPass) float64 {
	hid := personas.h.Cols
	mean := func(mu []float64, n int) []float64 {
		for j := range mu {
			mu[j] /= float64(max(n, 1))
		}
		return mu
	}
	pd := personas.ds
	resp := func(i int) int { return pd.Y[i] - pd.Lo[i] }
	mal, ben, asst := make([]float64, hid), make([]float64, hid), make([]float64, hid)
	mal = mean(mal, personas.sumHidden(mal, func(i int) bool { return resp(i) == respHarmful && pd.Row(i)[w.flagOff()] == 0 }))
	ben = mean(ben, personas.sumHidden(ben, func(i int) bool { return resp(i) == respHelpful }))
	asst = mean(asst, off.sumHidden(asst, nil)+in.sumHidden(asst, nil))
	num, den := 0.0, 0.0
	for j := range mal {
		u := mal[j] - ben[j]
		num += (asst[j] - ben[j]) * u
		den += u * u
	}
	if den == 0 {
		return 0
	}
	return num / den
}
