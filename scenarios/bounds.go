package scenarios

import (
	"fmt"

	"github.com/natmo/natmo/pipeline"
)

// Limits on a scenario's sizes and counts. They are far above what the
// built-in scenarios use and below what would exhaust a 24 GiB machine or
// run for days; a value beyond one is an error at load time, before any
// training. (The world's own sizes, such as hidden units, are bounded by
// its configuration's Validate; natmo estimates a run's memory before it
// starts.)
const (
	MaxSeeds    = 10_000               // seeds
	MaxExamples = pipeline.MaxExamples // examples of one stage
	MaxSteps    = pipeline.MaxSteps    // training steps of one stage (steps, or epochs × examples / batch)
	MaxEpochs   = pipeline.MaxEpochs   // epochs of one stage
	MaxBatch    = pipeline.MaxBatch    // minibatch size
	MaxArms     = 64                   // arms, the baseline included
	MaxFigures  = 64                   // figures
	MaxSweep    = 10_000               // points of a sweep grid
	MaxEvery    = MaxSteps             // measure.every and a stage's every
	// MaxNameLen bounds a scenario's, arm's or figure's name in bytes, and
	// MaxFileName the name of a figure's files, which joins the scenario's
	// and the figure's names (file systems allow 255 bytes).
	MaxNameLen  = 64
	MaxFileName = 200
	// MaxTitleLen bounds a title or caption in bytes.
	MaxTitleLen = 1000
)

// checkSize checks a stage against the limits; a problem is a
// *pipeline.FieldError naming the stage's field.
func checkSize(st pipeline.Stage) error {
	if err := st.CheckSizes(); err != nil {
		return err // a stage an intervention built, which no Validate saw
	}
	if st.Epochs > 0 && st.Examples > 0 {
		batch := st.Batch
		if batch == 0 {
			batch = 32 // the usual default; a world may use another
		}
		if steps := float64(st.Epochs) * float64(st.Examples) / float64(batch); steps > MaxSteps {
			return &pipeline.FieldError{Field: "epochs", Msg: fmt.Sprintf("%d epochs of %d examples in batches of %d are %.3g steps, more than %d", st.Epochs, st.Examples, batch, steps, MaxSteps)}
		}
	}
	return nil
}

// badText returns a description of the first character of s that a title,
// caption or about text may not hold, or "" if there is none: control
// characters (a newline and tab only where multiline), and the characters
// XML forbids, which would make an SVG figure invalid. The text must also
// be at most max bytes (0: no limit).
func badText(s string, multiline bool, max int) string {
	if max > 0 && len(s) > max {
		return fmt.Sprintf("%d bytes, more than %d", len(s), max)
	}
	for i, r := range s {
		switch {
		case r == '\n' || r == '\t':
			if !multiline {
				return fmt.Sprintf("a %s at byte %d (it must be one line)", map[rune]string{'\n': "newline", '\t': "tab"}[r], i)
			}
		case r < 0x20, r == 0x7f, 0x80 <= r && r <= 0x9f, r == 0xfffe, r == 0xffff:
			return fmt.Sprintf("the control character %U at byte %d", r, i)
		}
	}
	return ""
}
