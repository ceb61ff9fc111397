package sim

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "2010cfe7c07fc49eb78cbe4bcddc10572d8b61df"}}
	cases := []struct {
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{"v1.2.0", nil, "v1.2.0"},
		{"v0.0.0-20261201145233-2010cfe7c07f+dirty", rev, "v0.0.0-20261201145233-2010cfe7c07f+dirty"},
		{"(devel)", rev, "devel-2010cfe7c07f"},
		{"(devel)", append(rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), "devel-2010cfe7c07f-dirty"},
		{"(devel)", append(rev, debug.BuildSetting{Key: "vcs.modified", Value: "false"}), "devel-2010cfe7c07f"},
		{"(devel)", nil, "(devel)"},
		{"", nil, "(devel)"},
	}
	for _, c := range cases {
		bi := &debug.BuildInfo{Main: debug.Module{Version: c.main}, Settings: c.settings}
		if got := versionOf(bi); got != c.want {
			t.Errorf("version of %q with %v = %q, want %q", c.main, c.settings, got, c.want)
		}
	}
}
