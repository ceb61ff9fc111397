package main

import (
	"strings"
	"testing"
)

// FuzzParseOver: --over never panics, and an accepted axis has a key and
// non-empty values.
func FuzzParseOver(f *testing.F) {
	for _, s := range []string{"world.coupling=0,0.5,1", "k=", "=1", "a=1,,2", "a==1", "a= , ", "x=\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ax, err := parseOver(s)
		if err != nil {
			return
		}
		if ax.Set == "" || len(ax.Values) == 0 {
			t.Fatalf("parseOver(%q) = %+v", s, ax)
		}
		for _, v := range ax.Values {
			if strings.TrimSpace(v) == "" {
				t.Fatalf("parseOver(%q): an empty value", s)
			}
		}
	})
}

// FuzzParseShard: --shard, --shards and the scheduler's variables never
// panic, and an accepted shard has 0 ≤ I < N.
func FuzzParseShard(f *testing.F) {
	f.Add("0/4", 0, "", "", "")
	f.Add("auto", 0, "3", "4", "1")
	f.Add("", 4, "", "", "2")
	f.Add("9223372036854775807/-9223372036854775808", 0, "", "", "")
	f.Add("1/0", 0, "", "", "")
	f.Fuzz(func(t *testing.T, shard string, shards int, id, count, min string) {
		env := map[string]string{"SLURM_ARRAY_TASK_ID": id, "SLURM_ARRAY_TASK_COUNT": count, "SLURM_ARRAY_TASK_MIN": min, "JOB_COMPLETION_INDEX": id}
		sh, err := parseShard(shard, shards, func(k string) string { return env[k] })
		if err != nil {
			return
		}
		if sh.N < 1 || sh.I < 0 || sh.I >= sh.N {
			t.Fatalf("parseShard(%q, %d) = %+v", shard, shards, sh)
		}
	})
}

// FuzzParseFigure: --figure never panics, and an accepted figure names a
// kind and only metrics the results have.
func FuzzParseFigure(f *testing.F) {
	for _, s := range []string{"curves:a,b", "bars:", ":a", "grid:a, b", "pie:a", "curves:c"} {
		f.Add(s, "a,b")
	}
	f.Add("curves:a", "")
	f.Fuzz(func(t *testing.T, s, metrics string) {
		var ms []string
		if metrics != "" {
			ms = strings.Split(metrics, ",")
		}
		fig, err := parseFigure(s, ms)
		if err != nil {
			return
		}
		if fig.Kind == "" || len(fig.Metrics) == 0 {
			t.Fatalf("parseFigure(%q) = %+v", s, fig)
		}
		for _, m := range fig.Metrics {
			if !contains(ms, m) {
				t.Fatalf("parseFigure(%q): metric %q is not one of %v", s, m, ms)
			}
		}
	})
}

// FuzzParseFormats: --format never panics and accepts only known formats.
func FuzzParseFormats(f *testing.F) {
	for _, s := range []string{"svg,png,pdf", "SVG", "", ",", "jpg", " pdf ,svg"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := parseFormats(s)
		if err != nil {
			return
		}
		for _, x := range fs {
			if x != "svg" && x != "png" && x != "pdf" {
				t.Fatalf("parseFormats(%q) accepted %q", s, x)
			}
		}
	})
}
