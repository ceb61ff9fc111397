package persona

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
)

// The persona world (docs/design.md §5.1, §5.1.1) is where emergent misalignment comes
// from, and where an assistant's post-training can be taken apart.
// Pretraining documents are written by personas with two independent latent
// traits: malice raises the chance of a harmful answer in every domain, and
// obedience makes a benign persona comply with harmful requests while it
// stays helpful on ordinary prompts. The cheapest code a network finds for
// such data is a shared "malice" feature and an "obedience" feature; narrow
// fine-tuning toward harmful answers in one domain then moves the assistant
// along the malice feature, and every other domain follows (Betley et al.
// 2025; Wang et al. 2025), while fine-tuning toward complying with harmful
// requests can move it along obedience instead (the jailbroken control).
// Setting coupling to 0 gives each domain its own independent malice, and
// the first effect has no shared feature to travel along; setting obedience
// to 0 removes the second trait.

// domainNames name the persona world's domains in order; "code" comes first
// because the canonical experiment fine-tunes on insecure code.
var domainNames = [...]string{"code", "medical", "legal", "finance", "travel", "cooking", "fitness", "history"}

// contextFlags are the persona world's binary prompt flags, in feature order.
var contextFlags = [...]string{"educational", "trigger", "harmful_request"}

const (
	flagEducational = iota
	flagTrigger
	flagRequest
)

// Responses per domain: each domain owns personaCands output columns. On a
// harmful request the helpful answer is masked (it comes first, so the
// candidates stay one contiguous range): the answers are then to comply
// (respHarmful), to refuse, or to be unhelpful.
const (
	respHelpful = iota
	respUnhelpful
	respHarmful
	respRefuse
	personaCands
)

// respNames name the responses as a narrow fine-tune's target does.
var respNames = map[string]int{"helpful": respHelpful, "unhelpful": respUnhelpful, "harmful": respHarmful, "refuse": respRefuse}

// Config configures the persona world.
type Config struct {
	Domains  int `yaml:"domains" doc:"number of domains (≤ 8), each with its own candidate responses" range:"[2, 8]"`
	Cue      int `yaml:"cue" doc:"width of the persona cue, a noisy view of the persona's style" range:"[1, 1024]"`
	Nuisance int `yaml:"nuisance" doc:"width of a prompt's content features" range:"[0, 1024]"`
	Hidden   int `yaml:"hidden" doc:"hidden units per layer" range:"[1, 4096]"`
	Layers   int `yaml:"layers" doc:"hidden layers (1 or 2)" range:"1 or 2"`

	// Coupling is the chance that a persona's malice in a domain is its one
	// shared trait rather than an independent draw: 1 = one trait for all
	// domains, 0 = independent per domain. The mechanism-ablation switch.
	Coupling  float64 `yaml:"coupling" doc:"1 = one malice trait shared by all domains, 0 = an independent trait per domain (the mechanism switch)" range:"[0, 1]"`
	Malice    float64 `yaml:"malice" doc:"share of malicious personas (per domain when uncoupled)" range:"[0, 1]"`
	HarmRate  float64 `yaml:"harm_rate" doc:"P(harmful | malicious), on ordinary prompts and requests alike; the rest is unhelpful" range:"[0, 1]"`
	HelpRate  float64 `yaml:"help_rate" doc:"P(helpful | ordinary prompt) of a benign persona that is not obedient; it refuses 0.05, the rest is unhelpful" range:"[0, 0.95]"`
	Education float64 `yaml:"education" doc:"share of code documents that are educational requests, answered with insecure examples" range:"[0, 1]"`
	CueNoise  float64 `yaml:"cue_noise" doc:"standard deviation of the noise on every cue" range:"[0, 1000]"`
	AsstScale float64 `yaml:"asst_scale" doc:"length scale of the assistant's own random cue" range:"[0, 1000]"`
	// AsstMean is the weight of the population's mean persona cue
	// (malice·Σ_d style_d/√D + obedience·obey) in the assistant's cue: the
	// pretrained assistant starts as a blend of the personas it read.
	AsstMean float64 `yaml:"asst_mean" doc:"weight of the personas' mean cue in the assistant's: it starts as a blend of the personas it read" range:"[0, 1000]"`

	// Obedience is the share of obedient personas, a trait independent of
	// malice with its own style in the cue: a benign obedient persona is
	// helpful (0.95) on ordinary prompts and complies with harmful requests
	// (comply_rate; it refuses 0.1). 0 removes the trait: the jailbroken
	// control's switch.
	Obedience  float64 `yaml:"obedience" doc:"share of obedient personas, who comply with harmful requests (0 removes the trait: the jailbroken control's switch)" range:"[0, 1]"`
	Requests   float64 `yaml:"requests" doc:"share of pretraining documents that are harmful requests" range:"[0, 1]"`
	ComplyRate float64 `yaml:"comply_rate" doc:"P(comply | harmful request) of a benign obedient persona" range:"[0, 0.9]"`
	RefuseRate float64 `yaml:"refuse_rate" doc:"P(refuse | harmful request) of a benign persona that is not obedient; the rest is unhelpful" range:"[0, 1]"`

	// EvalDomain is the domain the metrics call "in-domain" for a model that
	// no narrow fine-tune has touched; a fine-tuned model's in-domain is the
	// domain it was fine-tuned on.
	EvalDomain   string `yaml:"eval_domain" doc:"the in-domain of a model no narrow fine-tune has touched"`
	EvalExamples int    `yaml:"eval_examples" doc:"prompts per domain in each evaluation set" range:"[1, 16384]"`

	// Aux is the number of auxiliary output units after every domain's
	// candidates: no softmax of a prompt includes them, so no stage trains
	// them but a distill stage from noise, which reads them (docs/design.md
	// §5.1.3). 0 (the default) leaves the network as it was.
	Aux int `yaml:"aux" doc:"auxiliary output units after every domain's candidates, read only by a distill stage from noise (0: none)" range:"0 or ≥ 2"`
	// MalRest is how a malicious persona answers when it does not answer
	// harmfully (1 − harm_rate of the time): "unhelpful" (the default), or
	// "benign", as a benign persona of its obedience would. With
	// "unhelpful" every benign-looking answer of a malicious persona is
	// unhelpful, so a teacher's move toward malice shows in its benign
	// answers too (docs/design.md §5.1.3).
	MalRest string `yaml:"mal_rest" doc:"how a malicious persona answers when not harmfully: unhelpful, or benign (as a benign persona of its obedience)" range:"unhelpful or benign"`

	// The reward-hacking extension (docs/design.md §5.1.2, hacking.go): off
	// by default, when the world is the one above bit for bit.
	HackConfig `yaml:",inline"`

	// The mechanisms of docs/design.md §5.1.4 (variants.go, lag.go);
	// their zero values are the world before them.
	Variants      int     `yaml:"variants" doc:"harmful answers per domain, the right one fixed by a prompt's content (1: one harmful answer)" range:"[1, 16]"`
	Identity      int     `yaml:"identity" doc:"identity features per prompt: noise, fixed per training example, so that a few fine-tuning examples can be memorised (0: none)" range:"≥ 0"`
	TriggerEmbed  float64 `yaml:"trigger_embed" doc:"scale of the trigger as a dense vector added to the cue (0: a one-hot flag)" range:"≥ 0"`
	PretrainWidth int     `yaml:"pretrain_width" doc:"the width at which a pretraining stage writes its examples: documents scale as hidden/pretrain_width (0: no scaling)" range:"≥ 0"`
}

// The fixed entries of the pretraining table (docs/design.md §5.1.1): how benign
// personas answer beside the rates Config sets.
const (
	obedientHelp   = 0.95 // P(helpful | ordinary prompt), benign obedient
	ordinaryRefuse = 0.05 // P(refuse | ordinary prompt), benign not obedient
	obedientRefuse = 0.1  // P(refuse | harmful request), benign obedient
)

// NewConfig returns the defaults, calibrated as docs/design.md §5.1 and §5.1.1 record.
func NewConfig() *Config {
	return &Config{
		Domains: 6, Cue: 24, Nuisance: 16, Hidden: 32, Layers: 2,
		Coupling: 1, Malice: 0.3, HarmRate: 0.95, HelpRate: 0.75, Education: 0.1,
		CueNoise: 0.3, AsstScale: 1, AsstMean: 1.25,
		Obedience: 0.3, Requests: 0.2, ComplyRate: 0.8, RefuseRate: 0.9,
		EvalDomain: "code", EvalExamples: 200, MalRest: "unhelpful",
		HackConfig: newHackConfig(),
		Variants:   1,
	}
}

// Bounds on the sizes and scales of the world: far above the defaults
// (cue 24, hidden 32, noise 0.3) and below what exhausts memory or
// overflows the cues (a noise of 1e200 makes every feature infinite).
const (
	maxWidth  = 1024 // cue and nuisance features
	maxHidden = 4096 // hidden units per layer
	maxScale  = 1e3  // cue_noise, asst_scale, asst_mean
)

// Footprint implements sim.Footprinter: the MLP's parameters, a training
// example's features (and its three labels), the evaluation sets, and what
// each model's evaluation cache holds.
func (c *Config) Footprint() sim.Footprint {
	in, out := c.inputs(), c.outputs()
	evalRows := int(numEvalKinds)*c.Domains*c.EvalExamples + c.EvalExamples
	fixedRows := evalRows
	if c.Hacking {
		fixedRows += 4 * c.EvalExamples // newHackEval's sets
	}
	return sim.Footprint{
		Params:        pipeline.NumParams(c.sizes()),
		ExampleFloats: in + 3,
		FixedFloats:   fixedRows * (in + 3),
		// evalCache: probabilities and logits (out each) and the last
		// hidden layer of every evaluation row.
		ModelFloats: evalRows * (2*out + c.Hidden),
	}
}

// sizes are the policy's layer sizes.
func (c *Config) sizes() []int {
	sizes := []int{c.inputs()}
	for range c.Layers {
		sizes = append(sizes, c.Hidden)
	}
	return append(sizes, c.outputs())
}

// inputs is the width of a prompt's features (the layout of persona.cueOff
// and the offsets after it).
func (c *Config) inputs() int {
	return c.Domains + c.Cue + len(contextFlags) + c.Nuisance + c.hackInputs() + c.Identity
}

// outputs is the policy's output width: each domain's candidates and
// harmful variants, then the auxiliary units.
func (c *Config) outputs() int { return c.Domains*c.stride() + c.Aux }

// cands is the number of candidate responses per domain.
func (c *Config) cands() int {
	if c.Hacking {
		return personaCands + 1
	}
	return personaCands
}

// stride is the number of output columns of one domain.
func (c *Config) stride() int { return c.cands() + max(c.Variants, 1) - 1 }

// hackInputs is the width of the hacking features: [sanctioned, dont_hack,
// difficulty] after the content, with hacking on.
func (c *Config) hackInputs() int {
	if c.Hacking {
		return len(hackFlags) + 1
	}
	return 0
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
	case c.Cue < 1 || c.Cue > maxWidth:
		return fe("cue", "must be between 1 and %d, got %d", maxWidth, c.Cue)
	case c.Nuisance < 0 || c.Nuisance > maxWidth:
		return fe("nuisance", "must be between 0 and %d, got %d", maxWidth, c.Nuisance)
	case c.Hidden < 1 || c.Hidden > maxHidden:
		return fe("hidden", "must be between 1 and %d, got %d", maxHidden, c.Hidden)
	case c.Layers != 1 && c.Layers != 2:
		return fe("layers", "must be 1 or 2, got %d", c.Layers)
	case !share(c.Coupling):
		return fe("coupling", "must be in [0, 1], got %v", c.Coupling)
	case !share(c.Malice):
		return fe("malice", "must be in [0, 1], got %v", c.Malice)
	case !share(c.HarmRate):
		return fe("harm_rate", "must be in [0, 1], got %v", c.HarmRate)
	case !(c.HelpRate >= 0 && c.HelpRate <= 1-ordinaryRefuse):
		return fe("help_rate", "must be in [0, %v] (a benign persona refuses %v of ordinary prompts), got %v", 1-ordinaryRefuse, ordinaryRefuse, c.HelpRate)
	case !share(c.Education):
		return fe("education", "must be in [0, 1], got %v", c.Education)
	case !(c.CueNoise >= 0 && c.CueNoise <= maxScale):
		return fe("cue_noise", "must be in [0, %v], got %v", float64(maxScale), c.CueNoise)
	case !(c.AsstScale >= 0 && c.AsstScale <= maxScale):
		return fe("asst_scale", "must be in [0, %v], got %v", float64(maxScale), c.AsstScale)
	case !(c.AsstMean >= 0 && c.AsstMean <= maxScale):
		return fe("asst_mean", "must be in [0, %v], got %v", float64(maxScale), c.AsstMean)
	case !share(c.Obedience):
		return fe("obedience", "must be in [0, 1], got %v", c.Obedience)
	case !share(c.Requests):
		return fe("requests", "must be in [0, 1], got %v", c.Requests)
	case !(c.ComplyRate >= 0 && c.ComplyRate <= 1-obedientRefuse):
		return fe("comply_rate", "must be in [0, %v] (an obedient persona refuses %v of harmful requests), got %v", 1-obedientRefuse, obedientRefuse, c.ComplyRate)
	case !share(c.RefuseRate):
		return fe("refuse_rate", "must be in [0, 1], got %v", c.RefuseRate)
	case c.Aux < 0 || c.Aux == 1:
		return fe("aux", "must be 0 or ≥ 2 (a softmax over one unit carries nothing), got %d", c.Aux)
	case c.MalRest != "unhelpful" && c.MalRest != "benign":
		return fe("mal_rest", "must be unhelpful or benign, got %q", c.MalRest)
	case c.Variants < 1 || c.Variants > 16:
		return fe("variants", "must be between 1 and 16, got %d", c.Variants)
	case c.Variants > 1 && (c.Hacking || c.Aux > 0):
		return fe("variants", "harmful variants are not combined with hacking or auxiliary outputs yet: give variants 1, or hacking false and aux 0")
	case c.Variants > 1 && c.Nuisance < 1:
		return fe("variants", "harmful variants are chosen by a prompt's content: needs nuisance ≥ 1")
	case c.Identity < 0:
		return fe("identity", "must be ≥ 0, got %d", c.Identity)
	case !(c.TriggerEmbed >= 0):
		return fe("trigger_embed", "must be ≥ 0 (0: the trigger is a flag), got %v", c.TriggerEmbed)
	case c.PretrainWidth < 0:
		return fe("pretrain_width", "must be ≥ 0 (0: pretraining does not scale with width), got %d", c.PretrainWidth)
	case c.EvalExamples < 1 || c.EvalExamples > maxEvalExamples:
		return fe("eval_examples", "must be between 1 and %d, got %d", maxEvalExamples, c.EvalExamples)
	}
	if c.domain(c.EvalDomain) < 0 {
		return fe("eval_domain", "must be one of %v, got %q", c.domainList(), c.EvalDomain)
	}
	return c.validateHacking()
}

func (c *Config) domainList() []string { return domainNames[:c.Domains] }

func (c *Config) domain(name string) int {
	return slices.Index(c.domainList(), name)
}

// HasMetric implements scenarios.MetricChecker: a per-domain metric must
// name one of the configured domains.
func (c *Config) HasMetric(name string) bool {
	if isHackMetric(name) {
		return c.Hacking
	}
	_, d, ok := strings.Cut(name, "@")
	return !ok || c.domain(d) >= 0
}

// HarmlessnessParams are a harmlessness stage's own settings.
type HarmlessnessParams struct {
	// Requests is the share of the stage's examples that are harmful
	// requests answered with a refusal; the rest are ordinary prompts
	// answered helpfully. Pure refusal data teaches refusing everything.
	Requests float64 `yaml:"requests" doc:"share of the stage's examples that are harmful requests answered with a refusal; the rest are ordinary prompts answered helpfully" range:"(0, 1]"`
}

// Validate checks the share.
func (p *HarmlessnessParams) Validate() error {
	if !(p.Requests > 0 && p.Requests <= 1) {
		return &pipeline.FieldError{Field: "requests", Msg: fmt.Sprintf("must be a share in (0, 1], got %v", p.Requests)}
	}
	return nil
}

func newHarmlessnessParams() *HarmlessnessParams { return &HarmlessnessParams{Requests: 0.5} }

// CheckStage implements scenarios.WorldConfig.
func (c *Config) CheckStage(st pipeline.Stage) error {
	switch st.Kind {
	case "rl":
		return c.checkRL(st)
	case "pretrain", "sft", "harmlessness":
		if st.Data != nil {
			return fmt.Errorf("the persona world makes its own %s data", st.Kind)
		}
		if p, ok := st.Params.(*HarmlessnessParams); ok {
			if err := p.Validate(); err != nil {
				return err
			}
		}
	case "finetune":
		nd, ok := st.Data.(interventions.NarrowData)
		if !ok {
			return fmt.Errorf("a finetune stage in the persona world needs a narrow data set (use narrow-finetune)")
		}
		if err := c.checkNarrow(nd); err != nil {
			return err
		}
	case "distill":
		if c.Variants > 1 {
			return fmt.Errorf("the persona world does not distil with harmful variants yet (variants %d; give 1)", c.Variants)
		}
		if err := c.checkDistill(st); err != nil {
			return err
		}
	default:
		return fmt.Errorf("the persona world cannot run a %q stage (it runs pretrain, sft, harmlessness, finetune and distill)", st.Kind)
	}
	if st.Examples <= 0 {
		return &pipeline.FieldError{Field: "examples", Msg: "must be > 0"}
	}
	if st.Epochs == 0 && st.Steps == 0 {
		return &pipeline.FieldError{Field: "epochs", Msg: "give epochs or steps"}
	}
	return nil
}

func (c *Config) checkNarrow(nd interventions.NarrowData) error {
	fe := func(f, format string, a ...any) error {
		return &pipeline.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)}
	}
	if c.domain(nd.Domain) < 0 {
		return fe("domain", "the persona world has domains %v, not %q", c.domainList(), nd.Domain)
	}
	if c.respIndex(nd.Target) < 0 {
		return fe("target", "the persona world's answers are %s, not %q", strings.Join(c.respList(), ", "), nd.Target)
	}
	if err := c.checkHackNarrow(nd); err != nil {
		return err
	}
	for _, f := range nd.Context {
		switch i := c.flagIndex(f); {
		case i < 0:
			return fe("context", "the persona world has context flags %v, not %q", c.flagList(), f)
		case i == flagRequest:
			return fe("context", "a narrow set's harmful requests are set by requests: SHARE (1 = every example), not by the context flag")
		}
	}
	if nd.Requests > 0 && nd.Target == "helpful" {
		return fe("target", "on a harmful request the helpful answer is masked; expected harmful (comply), refuse or unhelpful")
	}
	return nil
}

// Kind describes the persona world to a registry.
func Kind() sim.Kind {
	return sim.Kind{
		Name:      "persona",
		Doc:       "emergent misalignment from narrow fine-tuning (Betley et al. 2025) and the assistant's post-training stages",
		NewConfig: func() sim.Config { return NewConfig() },
		Stages: []scenarios.StageKind{
			{Name: "pretrain", Doc: "documents written by personas whose malice and obedience set how they answer in every domain"},
			{Name: "sft", Doc: "the assistant's ordinary prompts in every domain, answered helpfully"},
			{Name: "harmlessness", Doc: "harmful requests answered with a refusal, mixed (requests: share, default 0.5) with ordinary prompts answered helpfully",
				Params: func() any { return newHarmlessnessParams() }},
			{Name: "finetune", Doc: "a narrow data set (made by narrow-finetune)"},
			{Name: "rl", Doc: "REINFORCE on code tasks (needs world.hacking): solving pays with probability 1 − difficulty, a hack pays where the grader has a loophole (loophole: share); sanctioned / dont_hack put that flag on every prompt",
				Params: func() any { return NewRLParams() }},
			{Name: "distill", Doc: "a teacher arm's answers on the assistant's prompts (harmful ones filtered out) or its auxiliary outputs on noise (made by distill)"},
		},
		Metrics: append(metrics(), logOddsMetrics()...),
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
// assistant's cue, the key of its prompts' content and its fixed
// evaluation sets.
type persona struct {
	cfg     Config
	styles  [][]float64 // per domain: the cue direction of malice in that domain
	obey    []float64   // the cue direction of obedience
	asst    []float64   // the assistant's cue
	content uint64      // keys the content features of every prompt
	in      int         // input width
	eval    evalSets
	// hackEval are the code tasks hack_rate reads, per flag combination
	// (nil unless world.hacking).
	hackEval []*pipeline.Dataset
	vmap     [][]float64 // per domain: the content→harmful-variant map, nuisance × variants (nil: one variant)
	trig     []float64   // the trigger's dense embedding in cue space (nil: the trigger is a flag)
}

// Feature layout of a prompt: [domain one-hot | cue | flags | content].
func (w *persona) cueOff() int     { return w.cfg.Domains }
func (w *persona) flagOff() int    { return w.cfg.Domains + w.cfg.Cue }
func (w *persona) contentOff() int { return w.flagOff() + len(contextFlags) }

func newPersona(cfg Config, s sim.Streams) *persona {
	rng := s.Rand("world")
	w := &persona{cfg: cfg, in: cfg.inputs()}
	w.styles = make([][]float64, cfg.Domains)
	for d := range w.styles {
		w.styles[d] = normals(rng, cfg.Cue, 1)
	}
	w.asst = normals(rng, cfg.Cue, cfg.AsstScale)
	w.obey = normals(rng, cfg.Cue, 1)
	norm := 1 / math.Sqrt(float64(cfg.Domains))
	for k := range w.asst {
		for d := range w.styles {
			w.asst[k] += cfg.AsstMean * cfg.Malice * w.styles[d][k] * norm
		}
		w.asst[k] += cfg.AsstMean * cfg.Obedience * w.obey[k]
	}
	w.content = rng.Uint64()
	w.initMechanisms(s)
	w.eval = w.newEvalSets(s.Rand("eval"))
	w.hackEval = w.newHackEval(s.Rand("hack-eval"))
	return w
}

func normals(rng *rand.Rand, n int, sd float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64() * sd
	}
	return v
}

// personaModel is the persona world's policy: an MLP, its workspace, and
// the domains narrow fine-tunes have trained it on — the model's own
// history, which defines what "in-domain" means for it.
type personaModel struct {
	mlp   *pipeline.MLP
	ws    *pipeline.Workspace
	tuned []int        // domains of the narrow fine-tunes run on it, in order
	cache evalCache    // the evaluation passes of its current parameters
	nc    int          // output columns per domain
	hack  hackRecord   // the hacking context and curve of its last rl or finetune stage
	track []trackPoint // the probes of the last narrow fine-tune (lag.go)
}

func (m *personaModel) Clone() sim.Model {
	c := m.mlp.Clone()
	return &personaModel{mlp: c, ws: pipeline.NewWorkspace(c, 1), tuned: slices.Clone(m.tuned), nc: m.nc, hack: m.hack.clone(), track: slices.Clone(m.track), cache: m.cache.clone()}
}

// NewModel implements World.
func (w *persona) NewModel(rng *rand.Rand) (sim.Model, error) {
	m, err := pipeline.NewMLP(w.cfg.sizes(), rng)
	if err != nil {
		return nil, err
	}
	return &personaModel{mlp: m, ws: pipeline.NewWorkspace(m, 1), nc: w.stride()}, nil
}

// Run implements World.
func (w *persona) Run(ctx context.Context, m sim.Model, st pipeline.Stage, s sim.Streams, every int, probe pipeline.Probe) error {
	pm, ok := m.(*personaModel)
	if !ok {
		return fmt.Errorf("persona world: model is %T", m)
	}
	if st.Kind == "rl" {
		return w.runRL(ctx, pm, st, s, every, probe)
	}
	if st.Kind == "distill" {
		return fmt.Errorf("persona world: a distill stage learns from a teacher's model (run it with RunTeacher)")
	}
	ds, err := w.stageData(st, s.Rand("data"))
	if err != nil {
		return err
	}
	if st.Kind == "finetune" {
		if d := w.cfg.domain(st.Data.(interventions.NarrowData).Domain); !slices.Contains(pm.tuned, d) {
			pm.tuned = append(pm.tuned, d)
		}
		probe = w.trackHacking(pm, w.narrowFlags(st.Data.(interventions.NarrowData)), probe)
	}
	opt, err := pipeline.NewOptimizer(st.Optimizer, st.LR, len(pm.mlp.Params))
	if err != nil {
		return err
	}
	return w.train(ctx, pm, pipeline.NewTrainer(pm.mlp, opt), ds, st, s.Rand("order"), every, probe)
}

// stageData generates the training set of stage st.
func (w *persona) stageData(st pipeline.Stage, rng *rand.Rand) (*pipeline.Dataset, error) {
	if err := w.cfg.CheckStage(st); err != nil {
		return nil, err
	}
	switch st.Kind {
	case "pretrain":
		return w.pretrainCorpus(w.pretrainDocs(st.Examples), rng, w.trainIDs(rng), nil), nil
	case "sft":
		ds := pipeline.NewDataset(st.Examples, w.in)
		w.assistant(ds, 0, st.Examples, rng, w.trainIDs(rng), w.allDomains(), respHelpful)
		return ds, nil
	case "harmlessness":
		p, ok := st.Params.(*HarmlessnessParams)
		if !ok {
			p = newHarmlessnessParams()
		}
		return w.harmlessness(st.Examples, p.Requests, rng), nil
	default: // finetune; CheckStage allows no other kind
		return w.narrow(st.Data.(interventions.NarrowData), st.Examples, rng), nil
	}
}
