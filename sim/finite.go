package sim

import (
	"fmt"

	"github.com/natmo/natmo/sim/results"
)

// A NonFiniteError reports a metric that came out NaN or infinite at a
// probe. It fails the seed's run like a divergence: a non-finite value is
// never recorded as data.
type NonFiniteError struct {
	Metric string
	Step   int
	Value  float64
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("metric %s is %v at step %d, not a number: the training diverged or a world setting is out of its useful range "+
		"(look at the stage's lr and the world's scales, e.g. noise)", e.Metric, e.Value, e.Step)
}

// checkFinite returns a NonFiniteError for the first of vals (the values of
// metrics at step) that is not finite, among those ok marks as measured (all
// of them when ok is nil).
func checkFinite(metrics []string, vals []float64, ok []bool, step int) error {
	for i, v := range vals {
		if (ok == nil || ok[i]) && !results.Finite(v) {
			return &NonFiniteError{Metric: metrics[i], Step: step, Value: v}
		}
	}
	return nil
}
