// Package cli turns command lines into running parts: it parses flags, loads
// the config and wires the packages together. It is the only package that
// connects the others; nothing imports it but cmd/autovpn.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes (DESIGN §2).
const (
	ExitOK     = 0
	ExitFailed = 1 // the check or operation failed
	ExitUsage  = 2 // usage or config error
)

// App is what every subcommand gets: standard streams, global flags and a
// logger. Commands read the config through App.LoadConfig.
type App struct {
	Ctx       context.Context
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	ConfigArg string // --config as given ("" when not given)
	LogLevel  string
	LogFormat string
	Log       *slog.Logger
}

// commandFactories holds one constructor per subcommand file. Each file adds
// its own in init(), so adding a command touches no shared file.
var commandFactories = map[string]func(*App) *cobra.Command{}

func register(name string, f func(*App) *cobra.Command) { commandFactories[name] = f }

// UsageError marks an error as a usage or config error (exit 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usageErrorf returns a *UsageError with a formatted message.
func usageErrorf(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// ConfigPath is the config file to use: --config, else $AUTOVPN_CONFIG, else
// ./config.env.
func (a *App) ConfigPath() string {
	if a.ConfigArg != "" {
		return a.ConfigArg
	}
	if p := os.Getenv("AUTOVPN_CONFIG"); p != "" {
		return p
	}
	return "config.env"
}

// Run executes the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &App{Ctx: ctx, Stdin: stdin, Stdout: stdout, Stderr: stderr}
	root := &cobra.Command{
		Use:           "autovpn",
		Short:         "Dual-stack split-tunnel VPN/proxy over WebSocket",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			l, err := newLogger(stderr, app.LogLevel, app.LogFormat)
			if err != nil {
				return &UsageError{Err: err}
			}
			app.Log = l
			return nil
		},
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	pf := root.PersistentFlags()
	pf.StringVar(&app.ConfigArg, "config", "", "config file (default $AUTOVPN_CONFIG, else ./config.env)")
	pf.StringVar(&app.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.StringVar(&app.LogFormat, "log-format", "text", "log format: text or json")

	names := make([]string, 0, len(commandFactories))
	for n := range commandFactories {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		root.AddCommand(commandFactories[n](app))
	}

	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "autovpn: %v\n", err)
	var ue *UsageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		return ExitUsage
	}
	return ExitFailed
}

// isCobraUsageError recognises cobra's own argument errors (unknown command,
// wrong number of args), which it returns as plain errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "accepts ", "requires at least", "invalid argument", "unknown shorthand"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
