package misgeneralisation

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/natmo/natmo/pipeline"
)

// StageParams are an rl stage's own settings in this world.
type StageParams struct {
	// Randomise is the share of training levels whose object is placed
	// uniformly over all slots, independently of the cue; in the others it
	// sits on the cued slot. 1 removes the correlation (the switch).
	Randomise float64 `yaml:"randomise" doc:"share of training levels with the object placed off the cue, anywhere (1: the switch)" range:"[0, 1]"`
	// NoCue is the share of training levels without the cue, the object
	// anywhere: levels on which only the object can be found.
	NoCue float64 `yaml:"no_cue" doc:"share of training levels without the cue" range:"[0, 1]"`
}

// NewStageParams returns the defaults: every training level correlated.
func NewStageParams() *StageParams { return &StageParams{} }

// Validate checks the settings.
func (p *StageParams) Validate() error {
	if !(p.Randomise >= 0 && p.Randomise <= 1) {
		return &pipeline.FieldError{Field: "randomise", Msg: fmt.Sprintf("must be in [0, 1], got %v", p.Randomise)}
	}
	if !(p.NoCue >= 0 && p.NoCue <= 1) {
		return &pipeline.FieldError{Field: "no_cue", Msg: fmt.Sprintf("must be in [0, 1], got %v", p.NoCue)}
	}
	return nil
}

// World is one seed's misgeneralisation world: its object direction and
// its fixed evaluation levels.
type World struct {
	cfg Config
	gen *generator
	// Evaluation levels: training levels with the object on the cue, test
	// levels with the object elsewhere, and object-only levels (no cue).
	evalCorr, evalTest, evalObj *Levels
}

// NewWorld builds a world from cfg: the object direction from rng and the
// evaluation levels from eval.
func NewWorld(cfg Config, rng, eval *rand.Rand) (*World, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("misgeneralisation world: %w", err)
	}
	w := &World{cfg: cfg, gen: newGenerator(cfg, rng)}
	mk := func(lay layout) *Levels {
		l := newLevels(cfg.Eval, cfg.Slots, cfg.Features())
		w.gen.fill(l, lay, 0, 0, eval)
		return l
	}
	w.evalCorr, w.evalTest, w.evalObj = mk(training), mk(test), mk(objectOnly)
	return w, nil
}

// DefaultBatch is an rl stage's batch of levels when it gives none.
const DefaultBatch = 64

// Train runs the rl stage st with its settings p on a: REINFORCE on
// reaching the object in freshly generated training levels, a batch of
// st.Batch levels per step drawn from levels, the agent's choices from acts.
// probe is called at step 0, every `every` steps and after the last.
func (w *World) Train(ctx context.Context, a *Agent, st pipeline.Stage, p *StageParams, levels, acts *rand.Rand, every int, probe pipeline.Probe) error {
	if err := w.cfg.CheckStage(st); err != nil {
		return fmt.Errorf("misgeneralisation world: %w", err)
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("misgeneralisation world: %w", err)
	}
	opt, err := pipeline.NewOptimizer(st.Optimizer, st.LR, len(a.Scorer.Params))
	if err != nil {
		return fmt.Errorf("misgeneralisation world: %w", err)
	}
	batch := st.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	rate := st.RL.BaselineRate
	if rate == 0 {
		rate = pipeline.DefaultBaselineRate
	}
	r := &reinforce{agent: a, opt: opt, entropy: st.RL.Entropy, baseline: st.RL.ValueBaseline, rate: rate,
		grad: make([]float64, len(a.Scorer.Params))}
	a.Randomise = p.Randomise
	l := newLevels(batch, w.cfg.Slots, w.cfg.Features())
	call := func(step int) error {
		if probe == nil {
			return nil
		}
		return probe(step)
	}
	if err := call(0); err != nil {
		return err
	}
	for s := 1; s <= st.Steps; s++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		w.gen.fill(l, training, p.Randomise, p.NoCue, levels)
		mean := r.step(l, acts)
		var params []float64
		if s%16 == 0 || s == st.Steps {
			params = a.Scorer.Params
		}
		if err := pipeline.CheckDiverged(s, 1-mean, params); err != nil {
			return err
		}
		if (every > 0 && s%every == 0) || s == st.Steps {
			if err := call(s); err != nil {
				return err
			}
		}
	}
	return nil
}
