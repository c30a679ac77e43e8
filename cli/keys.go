package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
)

// KeysSubcommands are the "meshdrop keys …" subcommands by name.
var KeysSubcommands = map[string]func(e *Env, args []string) int{}

// keysUsage is each subcommand's usage line, in the order shown.
var keysUsage = []string{
	"meshdrop keys list [--json] [--provider P]          every key: keychain, environment, session-only",
	"meshdrop keys add --provider P --name N [--note T] [--rotate-by YYYY-MM-DD]",
	"                                                    (or: keys add P N) the secret from stdin or a hidden prompt",
	"meshdrop keys show NAME [--provider P] [--json]     one key's details (never the secret)",
	"meshdrop keys rename OLD NEW [--provider P]",
	"meshdrop keys rotate NAME [--provider P]            replace the secret (from stdin or a hidden prompt)",
	"meshdrop keys rm NAME [--provider P] [--yes]        delete (asks on a terminal; alias: delete)",
	"meshdrop keys import-env [FILE]                     copy keys from a .env file (default .env) into the keychain",
	"meshdrop keys test NAME [--provider P]              ask the provider for the key's credits (or: keys test P N)",
	"meshdrop keys status                                is the keychain usable?",
}

// keysTimeLayout is how dates are shown.
const keysTimeLayout = "2006-01-02"

// maxSecretInput caps what is read from standard input for a secret.
const maxSecretInput = 64 << 10

// balanceTimeout bounds "keys test".
const balanceTimeout = 60 * time.Second

func init() {
	KeysSubcommands["list"] = runKeysList
	KeysSubcommands["add"] = runKeysAdd
	KeysSubcommands["show"] = runKeysShow
	KeysSubcommands["rename"] = runKeysRename
	KeysSubcommands["rotate"] = runKeysRotate
	KeysSubcommands["replace"] = runKeysRotate
	KeysSubcommands["rm"] = runKeysDelete
	KeysSubcommands["delete"] = runKeysDelete
	KeysSubcommands["import-env"] = runKeysImportEnv
	KeysSubcommands["test"] = runKeysTest
	KeysSubcommands["status"] = runKeysStatus
	Register(Command{
		Name:    "keys",
		Summary: "add, list, rename, rotate and delete provider API keys",
		Usage:   keysHelpText(),
		Run:     runKeys,
	})
}

func keysHelpText() string {
	return "Usage:\n  " + strings.Join(keysUsage, "\n  ") + `

Secrets live only in the OS keychain (service "meshdrop"); Meshdrop's files
hold names, fingerprints (msy_…9f3a) and dates. A secret is never taken from
the command line: pipe it in (printf '%s' "$KEY" | meshdrop keys add …) or
type it at the hidden prompt. Keys in MESHY_API_KEY, TRIPO_API_KEY,
RODIN_API_KEY (or HYPER3D_API_KEY) and GENX3D_API_KEY are listed read-only.
Providers: ` + strings.Join(keys.KeyedProviders, ", ") + `. --provider is needed only when two providers
have a key of the same name.`
}

func runKeys(e *Env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.Stdout, keysHelpText())
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	run, ok := KeysSubcommands[args[0]]
	if !ok {
		e.Errorf("unknown keys subcommand %q; run 'meshdrop keys' for the list", args[0])
		return ExitUsage
	}
	return run(e, args[1:])
}

// openVault opens the vault and tells about problems met loading it.
func openVault(e *Env) (*keys.Vault, int) {
	v, err := e.Vault()
	if err != nil {
		e.Errorf("%v", err)
		return nil, ExitFailure
	}
	for _, w := range v.Warnings() {
		e.Errorf("%s", w)
	}
	return v, ExitOK
}

// keyExit maps a vault error to an exit code.
func keyExit(err error) int {
	switch {
	case errors.Is(err, keys.ErrNoKeychain), errors.Is(err, keys.ErrSecretMissing):
		return ExitNoKey
	case errors.Is(err, keys.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, keys.ErrInvalidName), errors.Is(err, keys.ErrInvalidSecret),
		errors.Is(err, keys.ErrUnknownProvider), errors.Is(err, keys.ErrAmbiguous):
		return ExitUsage
	}
	return ExitFailure
}

// openKey opens the vault and finds the key a command names: NAME, or
// PROVIDER NAME when two positionals are allowed.
func openKey(e *Env, providerID, ref string) (*keys.Vault, keys.Key, int) {
	v, code := openVault(e)
	if v == nil {
		return nil, keys.Key{}, code
	}
	k, err := v.Lookup(providerID, ref)
	if err != nil {
		e.Errorf("%v", err)
		return nil, keys.Key{}, keyExit(err)
	}
	return v, k, ExitOK
}

// keyView is one key in --json output: the metadata plus what a screen
// derives (never the secret).
type keyView struct {
	keys.Key
	ReadOnly    bool `json:"read_only"`
	RotationDue bool `json:"rotation_due,omitempty"`
}

func runKeysList(e *Env, args []string) int {
	fs := newFlags(e, "keys list")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	prov := fs.String("provider", "", "only this provider's keys")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 0 {
		e.Errorf("unexpected argument %q; usage: meshdrop keys list [--json] [--provider P]", pos[0])
		return ExitUsage
	}
	v, code := openVault(e)
	if v == nil {
		return code
	}
	ks := v.List()
	if *prov != "" {
		ks = v.ForProvider(*prov)
	}
	now := time.Now()
	if *asJSON {
		for _, k := range ks {
			if err := printJSONLine(e.Stdout, keyView{Key: k, ReadOnly: k.ReadOnly(), RotationDue: k.RotationDue(now)}); err != nil {
				return ExitFailure
			}
		}
		return ExitOK
	}
	if len(ks) == 0 {
		fmt.Fprintln(e.Stdout, "No keys yet. Add one with: meshdrop keys add --provider meshy --name \"Client A\"")
		return ExitOK
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tNAME\tFINGERPRINT\tSOURCE\tLAST USED\tAGE\tROTATE BY\tNOTES")
	for _, k := range ks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.Provider, oneLine(k.Name, 40), k.Fingerprint, k.Source,
			dateOr(k.LastUsed, "never"), age(k, now), rotateCell(k, now), notesCell(k))
	}
	tw.Flush()
	return ExitOK
}

func dateOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.Local().Format(keysTimeLayout)
}

// age is how long the current secret has been in use.
func age(k keys.Key, now time.Time) string {
	if k.Source == keys.SourceEnvironment {
		return "-"
	}
	since := k.Created
	if !k.Rotated.IsZero() {
		since = k.Rotated
	}
	d := now.Sub(since)
	switch {
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

func rotateCell(k keys.Key, now time.Time) string {
	if k.RotateBy.IsZero() {
		return "-"
	}
	s := k.RotateBy.Format(keysTimeLayout)
	if k.RotationDue(now) {
		s += " (due)"
	}
	return s
}

func notesCell(k keys.Key) string {
	var parts []string
	if k.TestMode {
		parts = append(parts, "test mode")
	}
	if k.Source == keys.SourceSession {
		parts = append(parts, "until Meshdrop quits")
	}
	if k.Warning != "" {
		parts = append(parts, "unusual format")
	}
	if k.Note != "" {
		parts = append(parts, oneLine(k.Note, 30))
	}
	return strings.Join(parts, "; ")
}

func runKeysShow(e *Env, args []string) int {
	fs := newFlags(e, "keys show")
	asJSON := fs.Bool("json", false, "one JSON object")
	prov := fs.String("provider", "", "the key's provider, when the name is not unique")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 {
		e.Errorf("usage: meshdrop keys show NAME [--provider P] [--json]")
		return ExitUsage
	}
	_, k, code := openKey(e, *prov, pos[0])
	if code != ExitOK {
		return code
	}
	now := time.Now()
	if *asJSON {
		if printJSONLine(e.Stdout, keyView{Key: k, ReadOnly: k.ReadOnly(), RotationDue: k.RotationDue(now)}) != nil {
			return ExitFailure
		}
		return ExitOK
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 0, 2, ' ', 0)
	row := func(label, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", label, value)
		}
	}
	row("Name", k.Name)
	row("Provider", k.Provider)
	row("Fingerprint", k.Fingerprint)
	src := string(k.Source)
	switch k.Source {
	case keys.SourceEnvironment:
		src += " (" + k.Env + ", read-only)"
	case keys.SourceSession:
		src += " (in memory until Meshdrop quits)"
	}
	row("Source", src)
	row("ID", k.ID)
	if k.Source != keys.SourceEnvironment {
		row("Created", k.Created.Local().Format(time.DateTime))
	}
	row("Last used", dateOr(k.LastUsed, "never"))
	if !k.Rotated.IsZero() {
		row("Rotated", k.Rotated.Local().Format(time.DateTime))
	}
	if !k.RotateBy.IsZero() {
		row("Rotate by", rotateCell(k, now))
	}
	if k.TestMode {
		row("Mode", "test mode (Meshy's test key: spends nothing, always the same sample)")
	}
	row("Warning", k.Warning)
	row("Note", k.Note)
	tw.Flush()
	return ExitOK
}

func runKeysAdd(e *Env, args []string) int {
	fs := newFlags(e, "keys add")
	prov := fs.String("provider", "", "the provider: "+strings.Join(keys.KeyedProviders, ", "))
	name := fs.String("name", "", "the key's name, unique for its provider (1–64 characters)")
	note := fs.String("note", "", "a note")
	rotateBy := fs.String("rotate-by", "", "a reminder date, YYYY-MM-DD")
	session := fs.Bool("session", false, "session-only (not available here: see the message)")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	switch {
	case len(pos) == 2 && *prov == "" && *name == "":
		*prov, *name = pos[0], pos[1]
	case len(pos) == 1 && *prov != "" && *name == "":
		*name = pos[0]
	case len(pos) != 0:
		// The extra argument may be a secret pasted by mistake: never echo it.
		e.Errorf("too many arguments; the secret is never given on the command line (it would stay in your shell history): pipe it in or type it at the prompt. Usage: meshdrop keys add --provider P --name N")
		return ExitUsage
	}
	if *prov == "" || strings.TrimSpace(*name) == "" {
		e.Errorf("usage: meshdrop keys add --provider P --name N (providers: %s)", strings.Join(keys.KeyedProviders, ", "))
		return ExitUsage
	}
	if err := keys.CheckProvider(*prov); err != nil {
		e.Errorf("%v", err)
		return ExitUsage
	}
	if _, err := keys.CleanName(*name); err != nil {
		e.Errorf("%v", err)
		return ExitUsage
	}
	if *session {
		e.Errorf("a session-only key lives in memory until Meshdrop quits, and this command quits at once. " +
			"Without a keychain, use an environment variable for the command line (MESHY_API_KEY=… meshdrop generate …) " +
			"or add a session-only key in the window's Keys screen")
		return ExitUsage
	}
	var opts keys.AddOptions
	opts.Note = *note
	if *rotateBy != "" {
		t, err := time.ParseInLocation(keysTimeLayout, *rotateBy, time.Local)
		if err != nil {
			e.Errorf("--rotate-by %q is not a date like 2026-12-31", *rotateBy)
			return ExitUsage
		}
		opts.RotateBy = t
	}
	v, code := openVault(e)
	if v == nil {
		return code
	}
	// Say so before anyone types or pipes a secret that could not be stored.
	if err := v.KeychainStatus(); err != nil {
		e.Errorf("%v", err)
		return ExitNoKey
	}
	secret, err := readSecret(e, fmt.Sprintf("API key for %s %q (typing is hidden): ", *prov, strings.TrimSpace(*name)))
	if err != nil {
		e.Errorf("%v", err)
		return ExitUsage
	}
	k, err := v.Add(*prov, *name, secret, opts)
	if err != nil {
		e.Errorf("%v", err)
		return keyExit(err)
	}
	fmt.Fprintf(e.Stdout, "Added %s key %q (%s) to the keychain.\n", k.Provider, k.Name, k.Fingerprint)
	reportKeyFlags(e, k)
	return ExitOK
}

func reportKeyFlags(e *Env, k keys.Key) {
	if k.TestMode {
		fmt.Fprintln(e.Stdout, "This is Meshy's test-mode key: it spends nothing and always returns the same sample model.")
	}
	if k.Warning != "" {
		e.Errorf("warning: %s", k.Warning)
	}
}

func runKeysRename(e *Env, args []string) int {
	fs := newFlags(e, "keys rename")
	prov := fs.String("provider", "", "the key's provider, when the name is not unique")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 2 {
		e.Errorf("usage: meshdrop keys rename OLD NEW [--provider P]")
		return ExitUsage
	}
	v, k, code := openKey(e, *prov, pos[0])
	if code != ExitOK {
		return code
	}
	nk, err := v.Rename(k.ID, pos[1])
	if err != nil {
		e.Errorf("%v", err)
		return keyExit(err)
	}
	fmt.Fprintf(e.Stdout, "Renamed %s key %q to %q.\n", nk.Provider, k.Name, nk.Name)
	return ExitOK
}

func runKeysRotate(e *Env, args []string) int {
	fs := newFlags(e, "keys rotate")
	prov := fs.String("provider", "", "the key's provider, when the name is not unique")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 {
		e.Errorf("usage: meshdrop keys rotate NAME [--provider P] (the new secret from stdin or a hidden prompt)")
		return ExitUsage
	}
	v, k, code := openKey(e, *prov, pos[0])
	if code != ExitOK {
		return code
	}
	if k.ReadOnly() {
		e.Errorf("%q comes from the environment variable %s; change the variable instead", k.Name, k.Env)
		return ExitUsage
	}
	if err := v.KeychainStatus(); err != nil && k.Source == keys.SourceKeychain {
		e.Errorf("%v", err)
		return ExitNoKey
	}
	secret, err := readSecret(e, fmt.Sprintf("New API key for %s %q (typing is hidden): ", k.Provider, k.Name))
	if err != nil {
		e.Errorf("%v", err)
		return ExitUsage
	}
	nk, err := v.Replace(k.ID, secret)
	if err != nil {
		e.Errorf("%v", err)
		return keyExit(err)
	}
	fmt.Fprintf(e.Stdout, "Replaced the secret of %s key %q: %s → %s.\n", nk.Provider, nk.Name, k.Fingerprint, nk.Fingerprint)
	reportKeyFlags(e, nk)
	return ExitOK
}

func runKeysDelete(e *Env, args []string) int {
	fs := newFlags(e, "keys rm")
	prov := fs.String("provider", "", "the key's provider, when the name is not unique")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	fs.BoolVar(yes, "y", false, "same as --yes")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 {
		e.Errorf("usage: meshdrop keys rm NAME [--provider P] [--yes]")
		return ExitUsage
	}
	v, k, code := openKey(e, *prov, pos[0])
	if code != ExitOK {
		return code
	}
	if k.ReadOnly() {
		e.Errorf("%q comes from the environment variable %s; unset the variable to remove it", k.Name, k.Env)
		return ExitUsage
	}
	if e.StdinIsTerminal && !*yes {
		fmt.Fprintf(e.Stderr, "Delete %s key %q (%s) from the keychain? This cannot be undone. [y/N] ", k.Provider, k.Name, k.Fingerprint)
		line, _ := bufio.NewReader(e.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(e.Stderr, "Nothing deleted.")
			return ExitFailure
		}
	}
	if err := v.Delete(k.ID); err != nil {
		e.Errorf("%v", err)
		return keyExit(err)
	}
	fmt.Fprintf(e.Stdout, "Deleted %s key %q (%s).\n", k.Provider, k.Name, k.Fingerprint)
	return ExitOK
}

func runKeysImportEnv(e *Env, args []string) int {
	fs := newFlags(e, "keys import-env")
	asJSON := fs.Bool("json", false, "one JSON object per variable")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) > 1 {
		e.Errorf("usage: meshdrop keys import-env [FILE]")
		return ExitUsage
	}
	file := ".env"
	if len(pos) == 1 {
		file = pos[0]
	}
	v, code := openVault(e)
	if v == nil {
		return code
	}
	res, err := v.ImportEnvFile(file)
	for _, r := range res {
		if *asJSON {
			printJSONLine(e.Stdout, r)
			continue
		}
		if r.Skipped != "" {
			fmt.Fprintf(e.Stdout, "%s: skipped: %s\n", r.Var, r.Skipped)
		} else {
			fmt.Fprintf(e.Stdout, "%s: added %s key %q (%s)\n", r.Var, r.Key.Provider, r.Key.Name, r.Key.Fingerprint)
		}
	}
	if err != nil {
		e.Errorf("%v", err)
		if errors.Is(err, os.ErrNotExist) {
			return ExitNotFound
		}
		return keyExit(err)
	}
	if len(res) == 0 && !*asJSON {
		names := make([]string, 0, len(keys.EnvVars))
		for _, ev := range keys.EnvVars {
			names = append(names, ev.Name)
		}
		fmt.Fprintf(e.Stdout, "No provider keys in %s (only %s are read).\n", file, strings.Join(names, ", "))
	}
	return ExitOK
}

func runKeysStatus(e *Env, args []string) int {
	if len(args) != 0 {
		e.Errorf("usage: meshdrop keys status")
		return ExitUsage
	}
	v, code := openVault(e)
	if v == nil {
		return code
	}
	if err := v.KeychainStatus(); err != nil {
		e.Errorf("%v", err)
		return ExitNoKey
	}
	counts := map[keys.Source]int{}
	for _, k := range v.List() {
		counts[k.Source]++
	}
	fmt.Fprintf(e.Stdout, "The keychain is usable (service %q). Keys: %d in the keychain, %d from the environment.\n",
		keys.KeychainService, counts[keys.SourceKeychain], counts[keys.SourceEnvironment])
	return ExitOK
}

func runKeysTest(e *Env, args []string) int {
	fs := newFlags(e, "keys test")
	prov := fs.String("provider", "", "the key's provider, when the name is not unique")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	switch {
	case len(pos) == 2 && *prov == "":
		*prov, pos = pos[0], pos[1:]
	case len(pos) != 1:
		e.Errorf("usage: meshdrop keys test NAME [--provider P]")
		return ExitUsage
	}
	v, k, code := openKey(e, *prov, pos[0])
	if code != ExitOK {
		return code
	}
	reg, err := e.Providers()
	if err != nil {
		e.Errorf("%v", err)
		return ExitFailure
	}
	p, err := reg.Get(k.Provider)
	if err != nil {
		e.Errorf("cannot test %q: this build has no %s adapter yet (%v)", k.Name, k.Provider, err)
		return ExitFailure
	}
	if !p.Capabilities().CanBalance {
		e.Errorf("%s has no balance endpoint, so a key cannot be tested without spending credits", p.DisplayName())
		return ExitFailure
	}
	secret, err := v.Secret(k.ID)
	if err != nil {
		e.Errorf("%v", err)
		return keyExit(err)
	}
	ctx, cancel := context.WithTimeout(e.Ctx, balanceTimeout)
	defer cancel()
	bal, err := p.Balance(ctx, provider.Credential{KeyID: k.ID, Name: k.Name, Secret: secret})
	if err != nil {
		e.Errorf("%v", err)
		return ExitFailure
	}
	unit := bal.Unit
	if unit == "" {
		unit = "credits"
	}
	fmt.Fprintf(e.Stdout, "%s key %q (%s) works: %s %s", p.DisplayName(), k.Name, k.Fingerprint, formatCredits(bal.Credits), unit)
	if bal.Frozen != 0 {
		fmt.Fprintf(e.Stdout, " (%s frozen)", formatCredits(bal.Frozen))
	}
	fmt.Fprintln(e.Stdout)
	return ExitOK
}

func formatCredits(c float64) string {
	if c == float64(int64(c)) {
		return fmt.Sprintf("%d", int64(c))
	}
	return fmt.Sprintf("%.2f", c)
}

// readSecret reads a secret: on a terminal from a prompt that does not echo,
// otherwise all of standard input (one trailing line break removed). The
// secret never comes from argv.
func readSecret(e *Env, prompt string) (keys.Secret, error) {
	if f, ok := e.Stdin.(*os.File); ok && e.StdinIsTerminal {
		return promptHidden(e, f, prompt)
	}
	b, err := io.ReadAll(io.LimitReader(e.Stdin, maxSecretInput+1))
	if err != nil {
		return keys.Secret{}, fmt.Errorf("cannot read the secret from standard input: %w", err)
	}
	if len(b) > maxSecretInput {
		return keys.Secret{}, errors.New("standard input is larger than 64 KiB; that is not an API key")
	}
	s := string(b)
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	if strings.TrimSpace(s) == "" {
		return keys.Secret{}, errors.New("no secret on standard input; pipe it in (printf '%s' \"$KEY\" | meshdrop keys add …) or run on a terminal to be asked for it")
	}
	return keys.NewSecret(s), nil
}

func promptHidden(e *Env, f *os.File, prompt string) (keys.Secret, error) {
	fmt.Fprint(e.Stderr, prompt)
	restore, err := echoOff(int(f.Fd()))
	if err != nil {
		fmt.Fprintln(e.Stderr)
		return keys.Secret{}, fmt.Errorf("cannot hide typing on this terminal (%v); pipe the secret in instead: printf '%%s' \"$KEY\" | meshdrop keys …", err)
	}
	// Put echo back even if the user presses Ctrl-C at the prompt.
	intr := make(chan os.Signal, 1)
	signal.Notify(intr, os.Interrupt)
	done := make(chan struct{})
	go func() {
		select {
		case <-intr:
			restore()
			fmt.Fprintln(e.Stderr)
			os.Exit(130)
		case <-done:
		}
	}()
	line, err := bufio.NewReaderSize(f, 4096).ReadString('\n')
	close(done)
	signal.Stop(intr)
	restore()
	fmt.Fprintln(e.Stderr)
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return keys.Secret{}, errors.New("no secret typed")
	}
	return keys.NewSecret(strings.TrimRight(line, "\r\n")), nil
}
