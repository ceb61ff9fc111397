package sim

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/natmo/natmo/sim/results"
)

// FuzzParseSweep checks that a sweep.json, however damaged, is read
// without a panic, and that one ParseSweep accepts is whole enough for a
// merge to walk: a value per axis, a point ID, seeds and arms within
// bounds.
func FuzzParseSweep(f *testing.F) {
	f.Add([]byte(`{"scenario":"t","title":"T","overrides":[],"axes":[{"Set":"world.coupling","Values":["0","1"]}],` +
		`"points":[{"index":0,"values":["0"],"id":"0123456789ab","seeds":2,"arms":["baseline","insecure"]},` +
		`{"index":1,"values":["1"],"id":"ba9876543210","seeds":2,"arms":["baseline","insecure"]}]}`))
	f.Add([]byte(`{"scenario":"t","axes":[{"Set":"x","Values":["0"]}],"points":[{"index":0,"values":[],"id":"","seeds":-1,"arms":[]}]}`))
	f.Add([]byte(`{"points": null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sw, err := ParseSweep(b)
		if err != nil {
			return
		}
		runs := 0
		for i, p := range sw.Points {
			if p.Index != i || len(p.Values) != len(sw.Axes) || p.Seeds < 1 || len(p.Arms) == 0 || !pointIDPattern.MatchString(p.ID) {
				t.Fatalf("accepted a broken point: %+v", p)
			}
			_ = sw.Label(p)
			runs += p.Seeds * len(p.Arms)
		}
		if runs > MaxSweepRuns {
			t.Fatalf("accepted %d runs", runs)
		}
	})
}

// FuzzParseManifest checks that a manifest.json, however damaged, is read
// without a panic, and that an accepted one has a scenario, seeds and arms.
func FuzzParseManifest(f *testing.F) {
	m := Manifest{Scenario: "t", Seeds: 2, Arms: []string{"baseline", "x"}, Resolved: "name: t\n"}
	b, _ := json.Marshal(m)
	f.Add(b)
	f.Add([]byte(`{"seeds": -1, "resolved_scenario": "x", "arms": ["a"]}`))
	f.Add([]byte(`{"seeds": 1e9}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		if m.Resolved == "" || m.Seeds < 1 || len(m.Arms) == 0 {
			t.Fatalf("accepted a broken manifest: %+v", m)
		}
	})
}

// FuzzSeedFile checks the readers of runs/seed-NNNN.csv and
// runs/seed-NNNN.failed.json: no panic, and what is accepted belongs to the
// seed, the scenario's arms and metrics, with finite values.
func FuzzSeedFile(f *testing.F) {
	id := identity{ID: "0123456789ab", Arms: []string{"baseline", "insecure"}, Metrics: []string{"m"}}
	csv, err := seedFileBytes(id, 3, []results.Record{
		{Arm: "baseline", Seed: 3, Stage: "sft", Step: 0, Metric: "m", Value: 0.5},
		{Arm: "insecure", Seed: 3, Stage: "finetune", Step: 10, Metric: "m", Value: 0.25},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(csv, false)
	f.Add(bytes.Replace(csv, []byte("insecure"), []byte("renamed"), 1), false)
	f.Add(csv[:len(csv)-3], false)
	f.Add([]byte("# natmo seed 3 of scenario 0123456789ab: 0 rows, sha256 0000000000000000\narm,seed,stage,step,metric,value\n"), false)
	f.Add([]byte(`{"scenario":"0123456789ab","seed":3,"arms":["insecure"],"stage":"rl","error":"diverged"}`), true)
	f.Add([]byte(`{"scenario":"x","seed":3}`), true)
	base, err := seedFileBytes(id, 3, []results.Record{{Arm: "baseline", Seed: 3, Stage: "sft", Step: 0, Metric: "m", Value: 0.5}})
	if err != nil {
		f.Fatal(err)
	}
	kept, _ := json.Marshal(string(base))
	f.Add([]byte(`{"scenario":"0123456789ab","seed":3,"arms":["insecure"],"stage":"rl","error":"diverged","kept":`+string(kept)+`}`), true)
	f.Fuzz(func(t *testing.T, b []byte, failed bool) {
		if failed {
			if re, kept, _, err := parseFailure(b, 3, id); err == nil && (re.Seed != 3 || len(re.Arms) == 0 || !validKept(kept, re)) {
				t.Fatalf("accepted a broken failure record: %+v", re)
			}
			return
		}
		recs, err := parseSeedFile(b, 3, id)
		if err != nil {
			return
		}
		if !validKept(recs, &RunError{}) {
			t.Fatalf("accepted a record that is not the seed's: %+v", recs)
		}
	})
}

// validKept reports whether recs are all of seed 3, of FuzzSeedFile's arms
// and metric, finite, and of no arm that failure names.
func validKept(recs []results.Record, failure *RunError) bool {
	for _, r := range recs {
		if r.Seed != 3 || (r.Arm != "baseline" && r.Arm != "insecure") || r.Metric != "m" || !results.Finite(r.Value) || slices.Contains(failure.Arms, r.Arm) {
			return false
		}
	}
	return true
}
