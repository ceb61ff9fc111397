package scenarios_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
)

// FuzzLoad checks that Load never panics, that every error is an *Error
// with a message, and that a scenario that loads round-trips through
// Resolved: loading Resolved gives the same scenario and the same bytes.
func FuzzLoad(f *testing.F) {
	valid, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid, "")
	f.Add(valid, "world.coupling=0")
	f.Add([]byte(base), "arms.insecure.0.narrow-finetune.examples=300")
	f.Add([]byte(minimal), "about=\"a\\tb\\u00e9\"")
	for _, c := range errorCases(f) {
		set := ""
		if len(c.sets) > 0 {
			set = c.sets[0]
		}
		if len(c.src) < 4096 {
			f.Add([]byte(c.src), set)
		}
	}
	schema := newSchema()
	f.Fuzz(func(t *testing.T, src []byte, set string) {
		var sets []string
		if set != "" {
			sets = []string{set}
		}
		sc, err := scenarios.Load("f.yaml", src, sets, schema)
		if err != nil {
			e, ok := err.(*scenarios.Error)
			if !ok {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			if e.Msg == "" || e.Error() == "" {
				t.Fatalf("empty message: %#v", e)
			}
			_ = e.Snippet()
			return
		}
		if len(sc.Arms) == 0 || sc.Arms[0].Name != scenarios.BaselineArm || len(sc.Arms[0].Interventions) != 0 {
			t.Fatalf("Arms[0] is not the plain baseline: %+v", sc.Arms)
		}
		again, err := scenarios.Load("r.yaml", sc.Resolved, nil, schema)
		if err != nil {
			t.Fatalf("Resolved does not load: %v\n--- Resolved:\n%s", err, sc.Resolved)
		}
		if !bytes.Equal(again.Resolved, sc.Resolved) {
			t.Fatalf("Resolved is not a fixed point:\n%s\n---\n%s", sc.Resolved, again.Resolved)
		}
		if a, b := describeScenario(sc), describeScenario(again); a != b {
			t.Fatalf("Resolved loads to a different scenario:\n%s\n---\n%s", a, b)
		}
	})
}

// describeScenario prints the decoded parts of sc (not File, Overrides or
// Resolved), following pointers, with NaN printed as text so that it
// compares equal.
func describeScenario(sc *scenarios.Scenario) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q %q %q %d\n%s %+v\n%+v\n", sc.Name, sc.Title, sc.About, sc.Seeds, sc.World.Kind, sc.World.Config, sc.Baseline)
	for _, a := range sc.Arms {
		fmt.Fprintf(&b, "arm %s:", a.Name)
		for _, iv := range a.Interventions {
			fmt.Fprintf(&b, " %+v", iv)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%+v\n%+v\n", sc.Measure, sc.Figures)
	return b.String()
}

// FuzzParseOverride checks that ParseOverride never panics, that its errors
// are *Error naming the override, and that what it accepts splits as
// documented.
func FuzzParseOverride(f *testing.F) {
	for _, s := range []string{"world.coupling=0", "seeds=4", "arms.insecure.0.narrow-finetune.examples=300",
		"baseline.0.pretrain.lr=1e6", "measure.metrics=[a,b]", "a..b=1", "=", "x=[", "x={a: b}", "x=a: b", `x="a\u00e9"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		path, value, err := scenarios.ParseOverride(s)
		if err != nil {
			e, ok := err.(*scenarios.Error)
			if !ok || e.Override != s || e.Msg == "" {
				t.Fatalf("error %T %v does not name the override", err, err)
			}
			return
		}
		lhs, rhs, ok := strings.Cut(s, "=")
		if !ok || rhs != value || strings.Join(path, ".") != strings.TrimSpace(lhs) {
			t.Fatalf("ParseOverride(%q) = %q, %q", s, path, value)
		}
		for _, seg := range path {
			if seg == "" {
				t.Fatalf("ParseOverride(%q) has an empty segment: %q", s, path)
			}
		}
	})
}
