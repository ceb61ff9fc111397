package scenarios_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
)

func TestParseOverride(t *testing.T) {
	for _, c := range []struct {
		in    string
		path  []string
		value string
	}{
		{"world.coupling=0", []string{"world", "coupling"}, "0"},
		{"seeds=4", []string{"seeds"}, "4"},
		{"arms.insecure.0.narrow-finetune.examples=300", []string{"arms", "insecure", "0", "narrow-finetune", "examples"}, "300"},
		{"baseline.0.pretrain.lr=1e6", []string{"baseline", "0", "pretrain", "lr"}, "1e6"},
		{"measure.metrics=[a,b]", []string{"measure", "metrics"}, "[a,b]"},
		{"title=a=b", []string{"title"}, "a=b"},
		{" seeds =4", []string{"seeds"}, "4"},
		{"about=", []string{"about"}, ""},
		{`title="x: y"`, []string{"title"}, `"x: y"`},
	} {
		path, value, err := scenarios.ParseOverride(c.in)
		if err != nil || !slices.Equal(path, c.path) || value != c.value {
			t.Errorf("ParseOverride(%q) = %q, %q, %v; want %q, %q", c.in, path, value, err, c.path, c.value)
		}
	}
}

func TestParseOverrideErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"seeds", "expected key.path=value"},
		{"=4", "expected key.path=value"},
		{"a..b=1", "empty segment 2"},
		{".a=1", "empty segment 1"},
		{"a.=1", "empty segment 2"},
		{"seeds=[1", "invalid YAML"},
		{"title=a: b", "expected a YAML flow value"},
		{"title=- a", "expected a YAML flow value"},
		{"title=|", "expected a YAML flow value"},
		{"title=&a x", "anchors and aliases"},
		{"title=!!str x", "tags such as !!str"},
		{"title=a\nb", "line break"},
		{"title=\xff", "not UTF-8"},
	} {
		_, _, err := scenarios.ParseOverride(c.in)
		var e *scenarios.Error
		if !errors.As(err, &e) {
			t.Errorf("ParseOverride(%q) error = %v, want an *Error", c.in, err)
			continue
		}
		if e.Override != c.in || !strings.HasPrefix(err.Error(), "--set "+c.in+": ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseOverride(%q) error = %q, want it to name the override and contain %q", c.in, err, c.want)
		}
	}
}

// TestOverrideIntoNull checks that a key set below a null value (arms: with
// nothing after it) makes a mapping there.
func TestOverrideIntoNull(t *testing.T) {
	src := minimal + "arms:\n"
	sc := mustLoad(t, []byte(src), "arms.x=[{narrow-finetune: {domain: medical}}]")
	if got := armNames(sc); !slices.Equal(got, []string{"baseline", "x"}) {
		t.Errorf("arms = %v", got)
	}
	if !strings.Contains(string(sc.Resolved), "arms:\n  x:\n    - narrow-finetune:\n        domain: medical\n") {
		t.Errorf("Resolved:\n%s", sc.Resolved)
	}
}

// TestOverrideWholeList replaces a list item and a whole list.
func TestOverrideWholeList(t *testing.T) {
	sc := mustLoad(t, readValid(t), "baseline.1={finetune: {lr: 0.5, steps: 10}}", "arms.zeta=[]", "arms.ko.0.knockout.stage=finetune")
	if st := sc.Baseline[1]; st.Kind != "finetune" || st.LR != 0.5 || st.Steps != 10 {
		t.Errorf("baseline[1] = %+v", st)
	}
	if n := len(sc.Arms[1].Interventions); n != 0 {
		t.Errorf("zeta has %d interventions", n)
	}
}

func TestOverrideNewTopLevelKey(t *testing.T) {
	sc := mustLoad(t, []byte(minimal), "seeds=2", "about=\"Multi\\nline\\n\"")
	if sc.Seeds != 2 || sc.About != "Multi\nline\n" {
		t.Errorf("seeds, about = %d, %q", sc.Seeds, sc.About)
	}
	if !strings.HasSuffix(string(sc.Resolved), "seeds: 2\nabout: |\n  Multi\n  line\n") {
		t.Errorf("Resolved:\n%s", sc.Resolved)
	}
}
