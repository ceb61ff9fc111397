package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/natmo/natmo/scenarios"
)

// TestConventions checks the command line behaves as command lines do:
// --version, natmo help CMD, one-line errors with exit 2 for an unknown flag,
// command or extra argument.
func TestConventions(t *testing.T) {
	cases := []struct {
		args       []string
		code       int
		out, err   string // substrings of stdout and stderr
		quietOut   bool   // nothing on stdout
		oneLineErr bool
	}{
		{args: []string{"--version"}, code: 0, out: "natmo version "},
		{args: []string{"help", "run"}, code: 0, out: "natmo run - run a scenario"},
		{args: []string{"help", "report"}, code: 0, out: "report.html"},
		{args: []string{"run", "--help"}, code: 0, out: "--report"},
		{args: []string{"list", "--bogus"}, code: 2, err: "flag provided but not defined: -bogus (see natmo help list)", quietOut: true, oneLineErr: true},
		{args: []string{"run", "tiny.yaml", "--bogus"}, code: 2, err: "-bogus (see natmo help run)", quietOut: true, oneLineErr: true},
		{args: []string{"--bogus"}, code: 2, err: "(see natmo --help)", quietOut: true, oneLineErr: true},
		{args: []string{"list", "extra"}, code: 2, err: `list takes no arguments, got ["extra"]`, quietOut: true, oneLineErr: true},
		{args: []string{"rn", "emergent-misalignment"}, code: 2, err: `unknown command "rn"; did you mean "run"?`, quietOut: true, oneLineErr: true},
		{args: []string{"report"}, code: 2, err: "report needs one results folder", quietOut: true, oneLineErr: true},
		{args: []string{"completion", "tcsh"}, code: 2, err: `unknown shell "tcsh"`, quietOut: true, oneLineErr: true},
		{args: []string{"explain", "persona"}, code: 0, out: "coupling "},
		{args: []string{"explain", "rl"}, code: 0, out: "kl "},
		{args: []string{"explain", "narrow-finetune"}, code: 0, out: "benign_mix"},
		{args: []string{"explain", "pretrian"}, code: 2, err: `did you mean "pretrain"?`, quietOut: true, oneLineErr: true},
		{args: []string{"completion", "bash"}, code: 0, out: "complete -o bashdefault -o default -F _natmo_complete natmo"},
		{args: []string{"completion", "zsh"}, code: 0, out: "compdef _natmo natmo"},
		{args: []string{"completion", "fish"}, code: 0, out: "complete -c natmo -n '__fish_seen_subcommand_from run sweep show validate' -a '" + strings.Join(scenarios.BuiltinNames(), " ") + "'"},
	}
	if _, out, _ := natmo(t, "explain", "persona"); !regexp.MustCompile(`\n  coupling +number +1 +\[0, 1\] +1 = one malice trait`).MatchString(out) {
		t.Errorf("natmo explain persona lacks coupling's type, default, range and meaning:\n%s", out)
	}
	for _, c := range cases {
		code, out, errs := natmo(t, c.args...)
		if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errs, c.err) {
			t.Errorf("natmo %s: exit %d (want %d)\nstdout: %.300s\nstderr: %s\nwant stdout ∋ %q, stderr ∋ %q",
				strings.Join(c.args, " "), code, c.code, out, errs, c.out, c.err)
		}
		if c.quietOut && out != "" {
			t.Errorf("natmo %s wrote to stdout:\n%.300s", strings.Join(c.args, " "), out)
		}
		if c.oneLineErr && strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("natmo %s: want a one-line error, got:\n%s", strings.Join(c.args, " "), errs)
		}
	}
}

// TestCompletionInShells loads the completion scripts in bash (and zsh and
// fish, where installed) and checks that they complete commands and
// built-in scenario names by asking natmo.
func TestCompletionInShells(t *testing.T) {
	bin := t.TempDir()
	// natmo on PATH is this test binary running main (see TestMain).
	wrapper := "#!/bin/sh\nNATMO_TEST_MAIN=1 exec " + shellQuote(os.Args[0]) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "natmo"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	path := bin + string(os.PathListSeparator) + os.Getenv("PATH")
	shell := func(name, script string) string {
		t.Helper()
		sh, err := exec.LookPath(name)
		if err != nil {
			t.Logf("no %s: its completion script is not run", name)
			return ""
		}
		cmd := exec.Command(sh, "-c", script)
		cmd.Env = append(os.Environ(), "PATH="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		return string(out)
	}
	complete := func(words ...string) string {
		return `source <(natmo completion bash)
COMP_WORDS=(` + strings.Join(words, " ") + `); COMP_CWORD=` + itoa(len(words)-1) + `
_natmo_complete; printf '%s\n' "${COMPREPLY[@]}"`
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"natmo", "swe"}, "sweep"},
		{[]string{"natmo", "run", "emerg"}, "emergent-misalignment"},
		{[]string{"natmo", "run", "--rep"}, "--report"},
		{[]string{"natmo", "completion", ""}, ""},
	} {
		got := strings.Fields(shell("bash", complete(c.words...)))
		if c.want != "" && (len(got) != 1 || got[0] != c.want) {
			t.Errorf("bash completes %q to %q, want [%s]", strings.Join(c.words, " "), got, c.want)
		}
	}
	if out := shell("fish", "natmo completion fish | source; complete -C 'natmo run emerg'"); out != "" && !strings.Contains(out, "emergent-misalignment") {
		t.Errorf("fish completes 'natmo run emerg' to %q", out)
	}
	if out := shell("zsh", "autoload -U compinit && compinit -u; source <(natmo completion zsh) && whence -w _natmo"); out != "" && !strings.Contains(out, "function") {
		t.Errorf("zsh did not define _natmo: %q", out)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
