package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// A Contrast is one row of contrasts.csv: the paired difference of one
// arm's metric from another arm's, at each seed's last probe, over the
// seeds both ran. It is what summary.csv's delta is for the baseline, for
// any two arms a scenario names (measure.contrasts).
type Contrast struct {
	Arm, Against, Metric string
	N                    int
	Delta, DLow, DHigh   float64 // mean of Arm − Against over seeds and its 95% bootstrap interval
}

// ContrastHeader is the header of contrasts.csv.
var ContrastHeader = []string{"arm", "against", "metric", "n", "delta", "delta_ci_low", "delta_ci_high"}

// Contrasts computes the contrasts of pairs ({arm, against}) for every
// metric, in the order given, with MeanCI's bootstrap over the seeds both
// arms have. A pair and metric with no common seed has no row.
func Contrasts(recs []Record, pairs [][2]string, metrics []string) []Contrast {
	final := finals(recs)
	var out []Contrast
	for _, p := range pairs {
		for _, m := range metrics {
			a, b := final[key{p[0], m}], final[key{p[1], m}]
			diff := map[int]float64{}
			for s, v := range a {
				if w, ok := b[s]; ok {
					diff[s] = v - w
				}
			}
			_, ds := BySeed(diff)
			if len(ds) == 0 {
				continue
			}
			row := Contrast{Arm: p[0], Against: p[1], Metric: m, N: len(ds)}
			row.Delta, row.DLow, row.DHigh = MeanCI(ds)
			out = append(out, row)
		}
	}
	return out
}

// WriteContrasts writes rows as CSV with ContrastHeader.
func WriteContrasts(w io.Writer, rows []Contrast) error {
	return WriteContrastsGroups(w, nil, []Group{{Contrasts: rows}})
}

// WriteContrastsGroups writes the contrast rows of groups as CSV with the
// extra columns first, then ContrastHeader.
func WriteContrastsGroups(w io.Writer, extra []string, groups []Group) error {
	cw := csv.NewWriter(w)
	cw.Write(append(append([]string{}, extra...), ContrastHeader...))
	for _, g := range groups {
		for _, c := range g.Contrasts {
			for _, v := range []float64{c.Delta, c.DLow, c.DHigh} {
				if !Finite(v) {
					return fmt.Errorf("contrasts: %s of %s against %s is %v, not a finite number", c.Metric, c.Arm, c.Against, v)
				}
			}
			cw.Write(append(append([]string{}, g.Extra...), c.Arm, c.Against, c.Metric, strconv.Itoa(c.N),
				FormatFloat(c.Delta), FormatFloat(c.DLow), FormatFloat(c.DHigh)))
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadContrasts reads a table written by WriteContrasts.
func ReadContrasts(r io.Reader) ([]Contrast, error) {
	rows, err := readTable(r, ContrastHeader)
	if err != nil {
		return nil, fmt.Errorf("contrasts: %w", err)
	}
	out := make([]Contrast, 0, len(rows))
	for i, row := range rows {
		n, err := strconv.Atoi(row[3])
		if err != nil {
			return nil, fmt.Errorf("contrasts: line %d: bad n %q", i+2, row[3])
		}
		var f [3]float64
		for j := range f {
			if f[j], err = strconv.ParseFloat(row[4+j], 64); err != nil {
				return nil, fmt.Errorf("contrasts: line %d: bad number %q", i+2, row[4+j])
			}
			if !Finite(f[j]) {
				return nil, fmt.Errorf("contrasts: line %d: %s %s is not a finite number", i+2, ContrastHeader[4+j], row[4+j])
			}
		}
		out = append(out, Contrast{Arm: row[0], Against: row[1], Metric: row[2], N: n, Delta: f[0], DLow: f[1], DHigh: f[2]})
	}
	return out, nil
}
