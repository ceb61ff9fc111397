package results

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzReadMetrics checks that ReadMetrics never panics, never returns a
// non-finite value, and that what it reads writes back to a table it reads
// the same.
func FuzzReadMetrics(f *testing.F) {
	f.Add([]byte("arm,seed,stage,step,metric,value\nbaseline,0,sft,10,m,0.25\n"))
	f.Add([]byte("arm,seed,stage,step,metric,value\nbaseline,0,sft,10,m,NaN\n"))
	f.Add([]byte("arm,seed,stage,step,metric,value\nb,99999999999999999999,sft,1,m,1e308\n"))
	f.Add([]byte("arm,seed,stage,step,metric,value\n\"a\nb\",0,sft,1,m,-Inf\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ReadMetrics(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, r := range recs {
			if !Finite(r.Value) {
				t.Fatalf("read a non-finite value: %+v", r)
			}
		}
		var buf bytes.Buffer
		if err := WriteMetrics(&buf, recs); err != nil {
			t.Fatal(err)
		}
		again, err := ReadMetrics(&buf)
		if err != nil || len(again) != len(recs) {
			t.Fatalf("round trip: %d → %d records, %v", len(recs), len(again), err)
		}
	})
}

// FuzzReadSummary checks that ReadSummary never panics and never returns a
// non-finite value.
func FuzzReadSummary(f *testing.F) {
	h := strings.Join(SummaryHeader, ",") + "\n"
	f.Add([]byte(h + "baseline,m,4,0.5,0.4,0.6,0,0,0\n"))
	f.Add([]byte(h + "baseline,m,4,NaN,0.4,0.6,0,0,0\n"))
	f.Add([]byte(h + "baseline,m,-1,1e308,-1e308,+Inf,0,0,0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ReadSummary(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, s := range rows {
			for _, v := range []float64{s.Mean, s.Low, s.High, s.Delta, s.DLow, s.DHigh} {
				if !Finite(v) {
					t.Fatalf("read a non-finite value: %+v", s)
				}
			}
		}
	})
}

// FuzzReadContrasts checks that ReadContrasts never panics and never
// returns a non-finite value.
func FuzzReadContrasts(f *testing.F) {
	h := strings.Join(ContrastHeader, ",") + "\n"
	f.Add([]byte(h + "insecure,secure,m,4,0.1,0.05,0.2\n"))
	f.Add([]byte(h + "insecure,secure,m,4,NaN,0.05,Inf\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ReadContrasts(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, c := range rows {
			for _, v := range []float64{c.Delta, c.DLow, c.DHigh} {
				if !Finite(v) {
					t.Fatalf("read a non-finite value: %+v", c)
				}
			}
		}
	})
}
