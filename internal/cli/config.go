package cli

import (
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/autovpn/autovpn/internal/tlsutil"
	"github.com/spf13/cobra"
)

func init() { register("config", newConfigCmd) }

// LoadConfig loads ConfigPath() for role. Config problems come back as a
// *UsageError (exit 2) listing all of them; warnings are logged.
func (a *App) LoadConfig(role config.Role) (*config.Config, error) {
	c, err := config.Load(a.ConfigPath(), role)
	if err != nil {
		return nil, configError(err)
	}
	if a.Log != nil {
		for _, w := range c.Warnings {
			a.Log.Warn("config: " + w)
		}
	}
	return c, nil
}

// configError turns errors of the config package into a usage error (exit
// 2); several problems are listed one per line.
func configError(err error) error {
	errs := config.Errors(err)
	if len(errs) == 0 {
		return err // an I/O error, not a config error: exit 1
	}
	if len(errs) == 1 {
		return &UsageError{Err: err}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in the config:", len(errs))
	for _, e := range errs {
		b.WriteString("\n  " + e.Error())
	}
	return &UsageError{Err: &multiError{msg: b.String(), err: err}}
}

type multiError struct {
	msg string
	err error
}

func (e *multiError) Error() string { return e.msg }
func (e *multiError) Unwrap() error { return e.err }

func newConfigCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Create a config (with fresh secrets), show it with secrets masked, get or set one key",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown config command %q; want init, show, get or set", args[0])
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newConfigInitCmd(app), newConfigShowCmd(app), newConfigGetCmd(app),
		newConfigSetCmd(app), newConfigValidateCmd(app))
	return cmd
}

type initFlags struct {
	tls, force bool
	server     string
}

func newConfigInitCmd(app *App) *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:   "init [--tls] [--force] [--server HOST]",
		Short: "Write a new config.env with a fresh random PREFIX (and with --tls a self-signed certificate)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runConfigInit(app, f) },
	}
	cmd.Flags().BoolVar(&f.tls, "tls", false, "also write cert.pem and key.pem beside the config and turn TLS on with TLS_PIN")
	cmd.Flags().BoolVar(&f.force, "force", false, "overwrite existing files")
	cmd.Flags().StringVar(&f.server, "server", "", "server address or hostname for SERVER_IP (IPv6: SERVER_IP_V6)")
	return cmd
}

func runConfigInit(app *App, f initFlags) error {
	path := app.ConfigPath()
	dir := filepath.Dir(path)
	files := []outFile{{path: path, mode: 0o600}}
	opts := config.InitOptions{ServerHost: f.server}
	if f.tls {
		cert, key, pin, err := selfSigned(f.server)
		if err != nil {
			return err
		}
		opts.TLS, opts.TLSCert, opts.TLSKey, opts.TLSPin = true, "cert.pem", "key.pem", pin
		files = append(files, outFile{filepath.Join(dir, "cert.pem"), cert, 0o644}, outFile{filepath.Join(dir, "key.pem"), key, 0o600})
	}
	files[0].data = config.Template(opts)
	// The bypass PAC mode's direct list starts seeded (DESIGN §3); an
	// existing one is the user's and stays, even with --force.
	direct := filepath.Join(dir, "routes", "direct.txt")
	if _, err := os.Stat(direct); errors.Is(err, fs.ErrNotExist) {
		files = append(files, outFile{direct, domains.DirectSeedFile(), 0o644})
	}
	if _, err := config.Parse(bytes.NewReader(files[0].data), path, nil, config.RoleAny); err != nil {
		if errs := config.Errors(err); len(errs) > 0 {
			return usageErrorf("--server %q: %s", f.server, errs[0].Msg)
		}
		return err
	}
	if !f.force {
		for _, o := range files {
			if _, err := os.Stat(o.path); err == nil {
				return usageErrorf("%s already exists; pass --force to overwrite it", o.path)
			}
		}
	}
	for i := len(files) - 1; i >= 0; i-- { // the config last: it names the others
		if err := os.MkdirAll(filepath.Dir(files[i].path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(files[i].path, files[i].data, files[i].mode); err != nil {
			return err
		}
		if err := os.Chmod(files[i].path, files[i].mode); err != nil { // --force over a looser file
			return err
		}
	}
	printInitDone(app, files, opts)
	return nil
}

type outFile struct {
	path string
	data []byte
	mode fs.FileMode
}

// selfSigned makes a certificate for host (and loopback) and its pin.
func selfSigned(host string) (certPEM, keyPEM []byte, pin string, err error) {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if host != "" {
		hosts = append([]string{host}, hosts...)
	}
	certPEM, keyPEM, err = tlsutil.GenerateSelfSigned(hosts)
	if err != nil {
		return nil, nil, "", err
	}
	b, _ := pem.Decode(certPEM)
	return certPEM, keyPEM, tlsutil.Fingerprint(b.Bytes), nil
}

func printInitDone(app *App, files []outFile, opts config.InitOptions) {
	w := app.Stdout
	fmt.Fprintf(w, "wrote %s (with a fresh random PREFIX; keep this file private)\n", files[0].path)
	if opts.TLS {
		fmt.Fprintf(w, "wrote %s and %s (self-signed ECDSA P-256, valid 10 years)\n", files[1].path, files[2].path)
		fmt.Fprintf(w, "TLS=true, TLS_PIN=%s\n", opts.TLSPin)
	}
	cfg := ""
	if app.ConfigArg != "" {
		cfg = " --config " + app.ConfigArg
	}
	fmt.Fprintln(w, "\nNext steps:")
	if opts.ServerHost == "" {
		fmt.Fprintf(w, "  1. set the server's address:  autovpn%s config set SERVER_IP <IPv4 or hostname>\n", cfg)
	} else {
		fmt.Fprintf(w, "  1. review it:                  autovpn%s config show\n", cfg)
	}
	fmt.Fprintf(w, "  2. on the server:              autovpn%s server\n", cfg)
	keyNote := ""
	if opts.TLS {
		keyNote = " (not key.pem)"
	}
	fmt.Fprintf(w, "  3. copy the config%s to your PC, then run: autovpn client\n", keyNote)
	fmt.Fprintf(w, "  4. verify both families:       autovpn%s check\n", cfg)
}

func newConfigShowCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Show every effective key and where it comes from, secrets masked",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := config.Load(app.ConfigPath(), config.RoleAny)
			if err != nil {
				return configError(err)
			}
			fmt.Fprintf(app.Stdout, "# %s\n", c.Path)
			tw := tabwriter.NewWriter(app.Stdout, 0, 8, 2, ' ', 0)
			for _, kv := range c.Masked() {
				fmt.Fprintf(tw, "%s=%s\t# %s\n", kv.Key, kv.Value, kv.Source)
			}
			tw.Flush()
			printWarnings(app.Stderr, c.Warnings)
			return nil
		},
	}
}

func printWarnings(w io.Writer, warnings []string) {
	for _, s := range warnings {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
}

func newConfigGetCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "get KEY",
		Short: "Print one key's effective value (file, AUTOVPN_<KEY> or default)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := config.GetKey(app.ConfigPath(), args[0])
			if err != nil {
				return configError(err)
			}
			fmt.Fprintln(app.Stdout, v)
			return nil
		},
	}
}

func newConfigSetCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Change one key in the config file, keeping every other line",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := app.ConfigPath()
			if err := config.SetKey(path, args[0], args[1]); err != nil {
				return configError(err)
			}
			key, _ := config.CanonicalKey(args[0])
			shown := args[1]
			if config.IsSecret(key) {
				shown = "(secret, not shown)"
			}
			fmt.Fprintf(app.Stdout, "%s: %s=%s\n", path, key, shown)
			if _, ok := os.LookupEnv(config.EnvPrefix + key); ok {
				printWarnings(app.Stderr, []string{config.EnvPrefix + key + " is set in the environment and overrides this value"})
			}
			return nil
		},
	}
}

func newConfigValidateCmd(app *App) *cobra.Command {
	var role string
	cmd := &cobra.Command{
		Use:    "validate [--role server|client|any]",
		Short:  "Load and validate the config; exit 2 listing every problem",
		Args:   cobra.NoArgs,
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := config.ParseRole(role)
			if err != nil {
				return &UsageError{Err: err}
			}
			c, err := config.Load(app.ConfigPath(), r)
			if err != nil {
				return configError(err)
			}
			fmt.Fprintf(app.Stdout, "config OK (%s, role %s, policy %s)\n", c.Path, r, c.Policy)
			printWarnings(app.Stdout, c.Warnings)
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", "any", "validate for: server, client or any")
	return cmd
}
