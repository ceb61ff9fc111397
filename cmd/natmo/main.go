// Command natmo runs natural model organisms: toy training pipelines in which
// a natural intervention (narrow fine-tuning, optimising against a monitor...)
// causes a failure that emerges from training, measured against a baseline
// over seeds.
//
// Usage:
//
//	natmo run emergent-misalignment          # run a built-in scenario
//	natmo list                               # what is built in
//	natmo show emergent-misalignment         # what it does and what to look at
//	natmo validate my-scenario.yaml          # check a file without running it
//
// Exit status: 0 on success, 1 when a run failed (e.g. training diverged),
// 2 on bad usage or bad input, 130 when interrupted by Ctrl-C (SIGINT) and
// 143 by SIGTERM (the shell's 128 + the signal's number).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a run failed
	exitUsage   = 2 // bad usage or bad input
	exitSIGINT  = 130
	exitSIGTERM = 143
)

// usageError marks an error as the user's input being wrong (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func badInput(err error) error { return usageError{err} }

func main() {
	// The first Ctrl-C (or SIGTERM) stops training at the next step and keeps
	// what finished; a second one exits at once. Files are written atomically,
	// so either way only whole files are left.
	// The PDF writer makes font files in the temporary folder: give it the
	// process's own, removed on exit, so that none are left in $TMPDIR.
	cleanup := func() {}
	if tmp, err := os.MkdirTemp("", "natmo-"); err == nil {
		os.Setenv("TMPDIR", tmp)
		cleanup = func() { os.RemoveAll(tmp) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var first atomic.Value // the signal that interrupted the run
	go func() {
		s := <-sigs
		first.Store(s)
		fmt.Fprintln(os.Stderr, "\nnatmo: interrupted; stopping at the next step (press Ctrl-C again to quit at once)")
		cancel()
		code := signalCode(<-sigs)
		cleanup()
		os.Exit(code)
	}()
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	cancel()
	if s, ok := first.Load().(os.Signal); ok && code == exitSIGINT {
		code = signalCode(s)
	}
	cleanup()
	os.Exit(code)
}

// signalCode is the exit code of a process ended by s: 130 for SIGINT,
// 143 for SIGTERM.
func signalCode(s os.Signal) int {
	if s == syscall.SIGTERM {
		return exitSIGTERM
	}
	return exitSIGINT
}

// run is main without the process: it returns the exit code.
// A run stopped by ctx (a signal) returns exitSIGINT; main turns it into
// the code of the signal that came.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	args, err := interspersed(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	} else {
		err = badInput(err)
	}
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "natmo: %v\n", err)
	var ue usageError
	var fe failureError
	switch {
	case ctx.Err() != nil && !errors.As(err, &ue):
		return exitSIGINT // stopped by a signal; the message says how to resume
	case errors.As(err, &fe):
		return exitFailure
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitFailure
	}
	// Anything else comes from parsing the command line.
	return exitUsage
}

// failureError marks a run that started but failed (exit 1).
type failureError struct{ err error }

func (e failureError) Error() string { return e.err.Error() }
func (e failureError) Unwrap() error { return e.err }

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "natmo",
		Usage: "natural model organisms: watch natural training interventions cause failures",
		Description: `natmo trains small policies through a toy pipeline (pretraining, assistant
fine-tuning, RL...), applies a natural intervention to some arms, and measures
what it does downstream against a baseline, with 95% intervals over seeds.
Nothing is scripted: every effect comes from gradient descent on the data and
rewards a toy world generates, and each has a switch that removes its cause.

Start with:
   natmo list                          the built-in scenarios
   natmo show emergent-misalignment    what it does and what to look at
   natmo run emergent-misalignment     run it (results/emergent-misalignment/)`,
		Version:                   sim.Version(),
		Writer:                    stdout,
		ErrWriter:                 stderr,
		DisableSliceFlagSeparator: true, // --set a.b=[x,y] and --figure k:m1,m2 keep their commas
		EnableBashCompletion:      true, // the hidden --generate-bash-completion of natmo completion's scripts
		OnUsageError:              usageErr,
		Action:                    unknownCommand,
		Commands:                  commands(),
		ExitErrHandler:            func(*cli.Context, error) {}, // run decides the exit code
	}
}

// commands returns natmo's commands, each rejecting bad flags in one line.
func commands() []*cli.Command {
	cmds := []*cli.Command{runCommand(), sweepCommand(), mergeCommand(), plotCommand(), reportCommand(),
		listCommand(), explainCommand(), showCommand(), validateCommand(), completionCommand()}
	for _, c := range cmds {
		c.OnUsageError = usageErr
		c.HideHelpCommand = true // natmo help CMD, not natmo CMD help
	}
	return cmds
}

// usageErr turns a command line cli cannot parse (an unknown flag, say)
// into one line and exit 2, instead of the whole help on stdout.
func usageErr(c *cli.Context, err error, isSub bool) error {
	help := "natmo --help"
	if isSub && c.Command != nil && c.Command.Name != "" {
		help = "natmo help " + c.Command.Name
	}
	return badInput(fmt.Errorf("%w (see %s)", err, help))
}

// unknownCommand is natmo's action without a command: the help, or an error
// that suggests the command meant.
func unknownCommand(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.ShowAppHelp(c)
	}
	names := commandNames(c.App)
	name := c.Args().First()
	msg := fmt.Sprintf("unknown command %q; the commands are %s (natmo --help)", name, strings.Join(names, ", "))
	if s := scenarios.Suggest(name, names); s != "" {
		msg = fmt.Sprintf("unknown command %q; did you mean %q? (natmo --help)", name, s)
	}
	return badInput(errors.New(msg))
}

// noArgs rejects arguments to a command that takes none.
func noArgs(c *cli.Context) error {
	if c.NArg() > 0 {
		return badInput(fmt.Errorf("%s takes no arguments, got %q (see natmo help %s)", c.Command.Name, c.Args().Slice(), c.Command.Name))
	}
	return nil
}
