package results

import (
	"math/rand/v2"
	"slices"
)

// Resamples is the number of bootstrap resamples behind every interval.
const Resamples = 2000

// bootstrapSeed fixes the resampling stream, so that the same values always
// give the same interval.
const bootstrapSeed = 0x6e61746d6f // "natmo"

// MeanCI returns the mean of xs and its 95% percentile-bootstrap interval:
// the 2.5% and 97.5% quantiles of the means of Resamples resamples of xs
// drawn with replacement from a fixed stream. With one value the interval is
// that value.
func MeanCI(xs []float64) (mean, lo, hi float64) {
	n := len(xs)
	if n == 0 {
		return 0, 0, 0
	}
	mean = Mean(xs)
	if n == 1 {
		return mean, mean, mean
	}
	rng := rand.New(rand.NewPCG(bootstrapSeed, uint64(n)))
	means := make([]float64, Resamples)
	for b := range means {
		s := 0.0
		for range n {
			s += xs[rng.IntN(n)]
		}
		means[b] = s / float64(n)
	}
	slices.Sort(means) // pdqsort on float64s: a third of sort.Float64s' time, the same order
	return mean, Quantile(means, 0.025), Quantile(means, 0.975)
}

// Mean is the arithmetic mean of xs (0 for none), summed in order.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Quantile returns the p-quantile of sorted xs by linear interpolation
// between order statistics (type 7 of Hyndman and Fan, as NumPy's default).
func Quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	h := p * float64(n-1)
	i := int(h)
	if i >= n-1 {
		return sorted[n-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}

// BySeed returns the seeds of a seed→value map in increasing order and
// their values in that order: the order every bootstrap takes its values
// in, so that an interval does not depend on map iteration.
func BySeed(vals map[int]float64) (seeds []int, xs []float64) {
	seeds = make([]int, 0, len(vals))
	for s := range vals {
		seeds = append(seeds, s)
	}
	slices.Sort(seeds)
	xs = make([]float64, len(seeds))
	for i, s := range seeds {
		xs[i] = vals[s]
	}
	return seeds, xs
}

// Summarise computes the summary table from records: for every arm and
// metric, the value at each seed's last probe (the stage and step of the
// arm and seed's last record, records being in time order per arm and
// seed), its mean and interval over seeds, and the mean paired difference
// from the baseline arm over the seeds both have (none, Unpaired, when they
// have none in common). A metric missing at a
// seed's last probe (a world records nothing for an undefined value) leaves
// that seed out of its row, rather than taking an earlier probe's value.
// Rows come in the order arms and metrics are given; an arm and metric
// with no records at the last probe has no row.
func Summarise(recs []Record, arms, metrics []string, baseline string) []Summary {
	return (*Intervals)(nil).Summarise(recs, arms, metrics, baseline)
}

// Summarise is the package's Summarise with its intervals taken from, and
// added to, iv.
func (iv *Intervals) Summarise(recs []Record, arms, metrics []string, baseline string) []Summary {
	final := finals(recs)
	var out []Summary
	for _, a := range arms {
		for _, m := range metrics {
			vals := final[key{a, m}]
			seeds, xs := BySeed(vals)
			if len(xs) == 0 {
				continue // no seed finished: nothing to summarise, and no zero to mislead
			}
			row := Summary{Arm: a, Metric: m, N: len(xs)}
			row.Mean, row.Low, row.High = iv.MeanCI(xs)
			base := final[key{baseline, m}]
			var ds []float64
			for _, s := range seeds {
				if b, ok := base[s]; ok {
					ds = append(ds, vals[s]-b)
				}
			}
			row.Paired, row.Unpaired = len(ds), len(ds) == 0
			if !row.Unpaired {
				row.Delta, row.DLow, row.DHigh = iv.MeanCI(ds)
			}
			out = append(out, row)
		}
	}
	return out
}

// A RunKey names one arm of one seed.
type RunKey struct {
	Arm  string
	Seed int
}

// A Probe names one probe of a run: a stage and a step within it.
type Probe struct {
	Stage string
	Step  int
}

// LastProbes returns each run's last probe: the stage and step of its last
// record (records are in time order per arm and seed).
func LastProbes(recs []Record) map[RunKey]Probe {
	last := map[RunKey]Probe{}
	for _, r := range recs {
		last[RunKey{r.Arm, r.Seed}] = Probe{r.Stage, r.Step}
	}
	return last
}

// key names an arm's metric.
type key struct{ arm, metric string }

// finals returns each arm's and metric's value at each seed's last probe:
// final[{arm, metric}][seed] is the metric's value at the run's last probe
// (LastProbes), absent where the metric has no value there.
func finals(recs []Record) map[key]map[int]float64 {
	last := LastProbes(recs)
	final := map[key]map[int]float64{}
	for _, r := range recs {
		if last[RunKey{r.Arm, r.Seed}] != (Probe{r.Stage, r.Step}) {
			continue
		}
		k := key{r.Arm, r.Metric}
		if final[k] == nil {
			final[k] = map[int]float64{}
		}
		final[k][r.Seed] = r.Value
	}
	return final
}
