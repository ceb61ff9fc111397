// Package results holds the tables a run writes and the statistics over
// seeds behind them: the long metrics table, the per-arm summary with
// bootstrap intervals and paired deltas, and atomic file writing. Figures are
// drawn from these tables alone, so they can be redrawn without a rerun.
package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
)

// A Record is one measurement: one metric of one arm and seed at one probe.
type Record struct {
	Arm    string
	Seed   int
	Stage  string // stage kind, e.g. "finetune"; repeated kinds get ".2", ".3"
	Step   int    // step within the stage
	Metric string
	Value  float64
}

// MetricsHeader is the header of metrics.csv.
var MetricsHeader = []string{"arm", "seed", "stage", "step", "metric", "value"}

// FormatFloat formats v as the shortest decimal that parses back to v, so
// that tables round-trip exactly and their bytes never depend on a locale.
func FormatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Finite reports whether v is a number: neither NaN nor infinite. The
// tables hold finite values only; a writer refuses any other, and so does a
// reader.
func Finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// WriteMetrics writes records as CSV with MetricsHeader.
func WriteMetrics(w io.Writer, recs []Record) error {
	return WriteMetricsGroups(w, nil, []Group{{Records: recs}})
}

// A Group is a block of rows sharing leading columns, such as one point of
// a sweep: Extra holds their values, one per extra header column.
type Group struct {
	Extra     []string
	Records   []Record
	Summary   []Summary
	Contrasts []Contrast
}

// WriteMetricsGroups writes the records of groups as CSV with the extra
// columns first, then MetricsHeader.
func WriteMetricsGroups(w io.Writer, extra []string, groups []Group) error {
	cw := csv.NewWriter(w)
	cw.Write(append(append([]string{}, extra...), MetricsHeader...))
	for _, g := range groups {
		for _, r := range g.Records {
			if !Finite(r.Value) {
				return fmt.Errorf("metrics: %s of arm %s, seed %d, %s step %d is %v, not a finite number", r.Metric, r.Arm, r.Seed, r.Stage, r.Step, r.Value)
			}
			cw.Write(append(append([]string{}, g.Extra...),
				r.Arm, strconv.Itoa(r.Seed), r.Stage, strconv.Itoa(r.Step), r.Metric, FormatFloat(r.Value)))
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadMetrics reads a table written by WriteMetrics.
func ReadMetrics(r io.Reader) ([]Record, error) {
	rows, err := readTable(r, MetricsHeader)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	recs := make([]Record, 0, len(rows))
	for i, row := range rows {
		seed, e1 := strconv.Atoi(row[1])
		step, e2 := strconv.Atoi(row[3])
		v, e3 := strconv.ParseFloat(row[5], 64)
		if e1 != nil || e2 != nil || e3 != nil {
			return nil, fmt.Errorf("metrics: line %d: bad number in %q", i+2, row)
		}
		if !Finite(v) {
			return nil, fmt.Errorf("metrics: line %d: value %s is not a finite number", i+2, row[5])
		}
		recs = append(recs, Record{Arm: row[0], Seed: seed, Stage: row[2], Step: step, Metric: row[4], Value: v})
	}
	return recs, nil
}

// A Summary is one row of summary.csv: a metric's final value for one arm
// over seeds, with its 95% interval and its paired difference from baseline.
type Summary struct {
	Arm, Metric        string
	N                  int
	Mean, Low, High    float64 // mean over seeds and its 95% bootstrap interval
	Delta, DLow, DHigh float64 // mean paired difference from the baseline arm and its interval
	// Paired is how many seeds the difference pairs (the seeds both arms
	// have): N unless a failed seed (with --keep-going) left one arm
	// without the other. It is not in summary.csv: a summary read back has
	// 0, unknown.
	Paired int
	// Unpaired is set when no seed pairs the arm with the baseline (the
	// baseline failed in every seed the arm finished): there is no
	// difference, its fields are 0, and summary.csv leaves them empty.
	Unpaired bool
}

// SummaryHeader is the header of summary.csv.
var SummaryHeader = []string{"arm", "metric", "n", "mean", "ci_low", "ci_high", "delta", "delta_ci_low", "delta_ci_high"}

// WriteSummary writes rows as CSV with SummaryHeader.
func WriteSummary(w io.Writer, rows []Summary) error {
	return WriteSummaryGroups(w, nil, []Group{{Summary: rows}})
}

// WriteSummaryGroups writes the summary rows of groups as CSV with the extra
// columns first, then SummaryHeader.
func WriteSummaryGroups(w io.Writer, extra []string, groups []Group) error {
	cw := csv.NewWriter(w)
	cw.Write(append(append([]string{}, extra...), SummaryHeader...))
	for _, g := range groups {
		for _, s := range g.Summary {
			for _, v := range []float64{s.Mean, s.Low, s.High, s.Delta, s.DLow, s.DHigh} {
				if !Finite(v) {
					return fmt.Errorf("summary: %s of arm %s is %v, not a finite number", s.Metric, s.Arm, v)
				}
			}
			cw.Write(append(append([]string{}, g.Extra...), SummaryRow(s)...))
		}
	}
	cw.Flush()
	return cw.Error()
}

// SummaryRow formats s as a row under SummaryHeader: the difference's
// cells are empty when s is Unpaired.
func SummaryRow(s Summary) []string {
	d := []string{FormatFloat(s.Delta), FormatFloat(s.DLow), FormatFloat(s.DHigh)}
	if s.Unpaired {
		d = []string{"", "", ""}
	}
	return append([]string{s.Arm, s.Metric, strconv.Itoa(s.N),
		FormatFloat(s.Mean), FormatFloat(s.Low), FormatFloat(s.High)}, d...)
}

// ReadSummary reads a table written by WriteSummary.
func ReadSummary(r io.Reader) ([]Summary, error) {
	rows, err := readTable(r, SummaryHeader)
	if err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	out := make([]Summary, 0, len(rows))
	for i, row := range rows {
		n, err := strconv.Atoi(row[2])
		if err != nil {
			return nil, fmt.Errorf("summary: line %d: bad n %q", i+2, row[2])
		}
		var f [6]float64
		unpaired := row[6] == "" && row[7] == "" && row[8] == ""
		for j := range f {
			if unpaired && j >= 3 {
				break
			}
			if f[j], err = strconv.ParseFloat(row[3+j], 64); err != nil {
				return nil, fmt.Errorf("summary: line %d: bad number %q", i+2, row[3+j])
			}
			if !Finite(f[j]) {
				return nil, fmt.Errorf("summary: line %d: %s %s is not a finite number", i+2, SummaryHeader[3+j], row[3+j])
			}
		}
		out = append(out, Summary{Arm: row[0], Metric: row[1], N: n, Mean: f[0], Low: f[1], High: f[2], Delta: f[3], DLow: f[4], DHigh: f[5], Unpaired: unpaired})
	}
	return out, nil
}

func readTable(r io.Reader, header []string) ([][]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(header)
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("empty table, want header %v", header)
	}
	for i, h := range header {
		if rows[0][i] != h {
			return nil, fmt.Errorf("header column %d is %q, want %q", i+1, rows[0][i], h)
		}
	}
	return rows[1:], nil
}
