package main

import (
	"fmt"
	"strings"

	"github.com/natmo/natmo/scenarios"
	"github.com/urfave/cli/v2"
)

// completionCommand prints a shell's completion script. The scripts ask
// natmo itself what may come next (cli's hidden --generate-bash-completion
// flag), so they know every command, flag and built-in scenario.
func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: `Prints a script that completes natmo's commands, flags and built-in scenario
names. Load it in the running shell, or install it:

   source <(natmo completion bash)                  # bash, now
   natmo completion bash > ~/.local/share/bash-completion/completions/natmo
   natmo completion zsh > "${fpath[1]}/_natmo"      # zsh (compinit must be on)
   natmo completion fish > ~/.config/fish/completions/natmo.fish`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return badInput(fmt.Errorf("completion needs one shell, bash, zsh or fish; got %d arguments", c.NArg()))
			}
			w := c.App.Writer
			switch sh := c.Args().First(); sh {
			case "bash":
				fmt.Fprint(w, bashCompletion)
			case "zsh":
				fmt.Fprint(w, zshCompletion)
			case "fish":
				fmt.Fprint(w, fishCompletion(c.App))
			default:
				return badInput(fmt.Errorf("completion: unknown shell %q; expected bash, zsh or fish", sh))
			}
			return nil
		},
	}
}

// completeScenario completes a command's argument with the built-in
// scenario names, and its flags after a dash.
func completeScenario(c *cli.Context) {
	if args := c.Args().Slice(); len(args) > 0 && strings.HasPrefix(args[len(args)-1], "-") {
		cli.DefaultCompleteWithFlags(c.Command)(c)
		return
	}
	for _, n := range scenarios.BuiltinNames() {
		fmt.Fprintln(c.App.Writer, n)
	}
	cli.DefaultCompleteWithFlags(c.Command)(c)
}

// bashCompletion is urfave/cli's bash script for natmo.
const bashCompletion = `# bash completion for natmo (natmo completion bash)
_natmo_complete() {
  local cur words
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  words=("${COMP_WORDS[@]:0:$COMP_CWORD}")
  local opts
  if [[ "$cur" == -* ]]; then
    opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  if [[ ${#COMPREPLY[@]} -eq 0 ]]; then
    COMPREPLY=($(compgen -f -- "${cur}"))
  fi
  return 0
}
complete -o bashdefault -o default -F _natmo_complete natmo
`

// zshCompletion is urfave/cli's zsh script for natmo.
const zshCompletion = `#compdef natmo
# zsh completion for natmo (natmo completion zsh)
_natmo() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _natmo natmo
`

// fishCompletion writes fish's completions of app's commands and their
// flags, and of the built-in scenario names. (cli's own ToFishCompletion
// recurses without end through its shared help command once an app has
// run.)
func fishCompletion(app *cli.App) string {
	var b strings.Builder
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
	b.WriteString("# fish completion for natmo (natmo completion fish)\n")
	for _, cmd := range app.Commands {
		if cmd.Hidden {
			continue
		}
		fmt.Fprintf(&b, "complete -c natmo -f -n __fish_use_subcommand -a %s -d %s\n", cmd.Name, q(cmd.Usage))
	}
	for _, cmd := range app.Commands {
		for _, f := range cmd.Flags {
			names := f.Names()
			if len(names) == 0 || names[0] == "help" || names[0] == "generate-bash-completion" {
				continue
			}
			line := fmt.Sprintf("complete -c natmo -n '__fish_seen_subcommand_from %s' -l %s", cmd.Name, names[0])
			for _, a := range names[1:] {
				if len(a) == 1 {
					line += " -s " + a
				}
			}
			if _, isBool := f.(*cli.BoolFlag); !isBool {
				line += " -r"
			}
			if d, ok := f.(cli.DocGenerationFlag); ok && d.GetUsage() != "" {
				line += " -d " + q(d.GetUsage())
			}
			b.WriteString(line + "\n")
		}
	}
	fmt.Fprintf(&b, "complete -c natmo -n '__fish_seen_subcommand_from run sweep show validate' -a %s\n", q(strings.Join(scenarios.BuiltinNames(), " ")))
	fmt.Fprintf(&b, "complete -c natmo -f -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
	fmt.Fprintf(&b, "complete -c natmo -f -n '__fish_seen_subcommand_from help' -a %s\n", q(strings.Join(commandNames(app), " ")))
	return b.String()
}

// commandNames lists app's visible commands.
func commandNames(app *cli.App) []string {
	var ns []string
	for _, c := range app.Commands {
		if !c.Hidden {
			ns = append(ns, c.Name)
		}
	}
	return ns
}
