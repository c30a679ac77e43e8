package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"meshdrop/core/keys"
)

// requireKeychain skips (or under MESHDROP_REQUIRE_KEYCHAIN=1, as in `make
// test`, fails) when no Secret Service answers.
func requireKeychain(t *testing.T) {
	t.Helper()
	err := keys.CheckKeychain()
	if err == nil {
		return
	}
	msg := "no usable Secret Service (" + err.Error() + "); run the tests with `make test`, which starts a private unlocked gnome-keyring"
	if os.Getenv("MESHDROP_REQUIRE_KEYCHAIN") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func testSecret(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return prefix + string(b)
}

// run runs one command line with stdin and returns exit code, stdout, stderr.
func run(e *Env, stdin string, args ...string) (int, string, string) {
	out, errb := e.Stdout.(*bytes.Buffer), e.Stderr.(*bytes.Buffer)
	out.Reset()
	errb.Reset()
	e.Stdin = strings.NewReader(stdin)
	code := Run(e, args)
	return code, out.String(), errb.String()
}

func TestKeysCommandsRoundTrip(t *testing.T) {
	requireKeychain(t)
	e, _, _ := libEnv(t)
	s1, s2 := testSecret("msy_"), testSecret("msy_")
	var everything strings.Builder
	check := func(code, want int, out, errs string, args ...string) {
		t.Helper()
		everything.WriteString(out + errs)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, want, out, errs)
		}
	}
	code, out, errs := run(e, s1+"\n", "keys", "add", "--provider", "meshy", "--name", "Client A", "--note", "first client")
	check(code, ExitOK, out, errs, "add")
	if !strings.Contains(out, `"Client A"`) || !strings.Contains(out, keys.Fingerprint(s1)) {
		t.Fatalf("add output: %s", out)
	}
	code, out, errs = run(e, s2, "keys", "add", "tripo", "Studio") // positional form, format warning
	check(code, ExitOK, out, errs, "add tripo")
	if !strings.Contains(errs, "does not look like a Tripo key") {
		t.Fatalf("no format warning: %s", errs)
	}

	code, out, errs = run(e, "", "keys", "list", "--json")
	check(code, ExitOK, out, errs, "list --json")
	views := jsonLines[keyView](t, []byte(out))
	if len(views) != 2 || views[0].Provider != "meshy" || views[0].Name != "Client A" || views[0].Source != keys.SourceKeychain {
		t.Fatalf("list: %+v", views)
	}
	id := views[0].ID
	if got, err := keyring.Get(keys.KeychainService, id); err != nil || got != s1 {
		t.Fatalf("secret-tool would not find the key: %v", err)
	}

	code, out, errs = run(e, "", "keys", "list")
	check(code, ExitOK, out, errs, "list")
	for _, want := range []string{"PROVIDER", "Client A", keys.Fingerprint(s1), "keychain", "never", "first client", "unusual format"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	code, out, errs = run(e, "", "keys", "show", "client a")
	check(code, ExitOK, out, errs, "show")
	if !strings.Contains(out, "Fingerprint:") || !strings.Contains(out, id) {
		t.Fatalf("show: %s", out)
	}

	code, out, errs = run(e, "", "keys", "rename", "Client A", "Client B")
	check(code, ExitOK, out, errs, "rename")
	code, out, errs = run(e, "", "keys", "rename", "Client B", "Studio", "--provider", "meshy")
	check(code, ExitOK, out, errs, "rename to a name another provider uses")
	code, out, errs = run(e, "", "keys", "show", "Studio")
	check(code, ExitUsage, out, errs, "ambiguous show")
	if !strings.Contains(errs, "say which provider") {
		t.Fatalf("ambiguous: %s", errs)
	}

	s3 := testSecret("msy_")
	code, out, errs = run(e, s3+"\r\n", "keys", "rotate", "Studio", "--provider", "meshy")
	check(code, ExitOK, out, errs, "rotate")
	if got, _ := keyring.Get(keys.KeychainService, id); got != s3 {
		t.Fatal("rotate did not replace the keychain item")
	}

	code, out, errs = run(e, "", "keys", "rm", "Studio", "--provider", "meshy")
	check(code, ExitOK, out, errs, "rm (not a terminal: no question)")
	if _, err := keyring.Get(keys.KeychainService, id); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("keychain item left after rm: %v", err)
	}
	code, out, errs = run(e, "", "keys", "delete", "Studio", "--provider", "tripo", "--yes")
	check(code, ExitOK, out, errs, "delete")
	code, out, errs = run(e, "", "keys", "rm", "Studio")
	check(code, ExitNotFound, out, errs, "rm missing")

	for _, s := range []string{s1, s2, s3} {
		if strings.Contains(everything.String(), s) {
			t.Fatal("a secret was printed")
		}
	}
	assertNoFileHolds(t, e.Dirs.Config, s1, s2, s3)
	assertNoFileHolds(t, e.Dirs.Logs, s1, s2, s3)
}

func assertNoFileHolds(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds a secret", p)
			}
		}
		return nil
	})
}

func TestKeysAddRefusesBadInput(t *testing.T) {
	e, _, _ := libEnv(t)
	s := testSecret("msy_")
	cases := []struct {
		stdin string
		args  []string
		want  int
		msg   string
	}{
		{"", []string{"keys", "add", "--provider", "meshy", "--name", "x", s}, ExitUsage, "never given on the command line"},
		{s, []string{"keys", "add", "--provider", "sandbox", "--name", "x"}, ExitUsage, "keys are for"},
		{s, []string{"keys", "add", "--provider", "meshy", "--name", strings.Repeat("n", 65)}, ExitUsage, "at most 64"},
		{s, []string{"keys", "add", "--provider", "meshy", "--name", "x", "--rotate-by", "soon"}, ExitUsage, "not a date"},
		{s, []string{"keys", "add", "--provider", "meshy", "--name", "x", "--session"}, ExitUsage, "environment variable"},
		{"", []string{"keys", "frobnicate"}, ExitUsage, "unknown keys subcommand"},
	}
	// Bad secrets are found once the keychain answered (it is checked before
	// a secret is read, so nobody types one for nothing).
	if keys.CheckKeychain() == nil {
		cases = append(cases, []struct {
			stdin string
			args  []string
			want  int
			msg   string
		}{
			{"", []string{"keys", "add", "--provider", "meshy", "--name", "x"}, ExitUsage, "no secret on standard input"},
			{"  \n", []string{"keys", "add", "--provider", "meshy", "--name", "x"}, ExitUsage, "no secret on standard input"},
			{s + "\n" + s + "\n", []string{"keys", "add", "--provider", "meshy", "--name", "x"}, ExitUsage, "control character"},
		}...)
	} else {
		t.Log("no keychain here: the bad-secret cases run under `make test` (a private unlocked keyring)")
	}
	for _, c := range cases {
		code, out, errs := run(e, c.stdin, c.args...)
		if code != c.want || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args[2:], code, errs, c.want, c.msg)
		}
		if strings.Contains(out+errs, s) {
			t.Errorf("%v printed the secret", c.args[2:])
		}
	}
}

func TestKeysEnvironmentAndImport(t *testing.T) {
	requireKeychain(t)
	envKey := testSecret("tsk_")
	t.Setenv("TRIPO_API_KEY", envKey)
	e, _, _ := libEnv(t)
	m := testSecret("msy_")
	dotenv := filepath.Join(t.TempDir(), "project.env")
	os.WriteFile(dotenv, []byte("# keys\nMESHY_API_KEY=\""+m+"\"\nOTHER=1\n"), 0o600)

	code, out, errs := run(e, "", "keys", "import-env", dotenv)
	if code != ExitOK || !strings.Contains(out, `added meshy key "Meshy (project.env)"`) {
		t.Fatalf("import-env: %d %s %s", code, out, errs)
	}
	code, out, _ = run(e, "", "keys", "list", "--json")
	views := jsonLines[keyView](t, []byte(out))
	if code != ExitOK || len(views) != 2 {
		t.Fatalf("list: %s", out)
	}
	var env keyView
	for _, v := range views {
		if v.Source == keys.SourceEnvironment {
			env = v
		}
	}
	if env.Name != "TRIPO_API_KEY" || !env.ReadOnly {
		t.Fatalf("environment key: %+v", env)
	}
	if code, _, errs := run(e, "", "keys", "rm", "TRIPO_API_KEY"); code != ExitUsage || !strings.Contains(errs, "unset the variable") {
		t.Fatalf("rm of an environment key: %d %s", code, errs)
	}
	if code, _, _ := run(e, "", "keys", "import-env", filepath.Join(t.TempDir(), "none.env")); code != ExitNotFound {
		t.Fatalf("missing file: exit %d", code)
	}
	if strings.Contains(out, m) || strings.Contains(out, envKey) {
		t.Fatal("a secret was printed")
	}
	run(e, "", "keys", "rm", "Meshy (project.env)")
}

// keys test asks the provider for the balance with the key from the
// keychain, over a loopback server that speaks Rodin's documented protocol.
func TestKeysTestAsksForBalance(t *testing.T) {
	requireKeychain(t)
	secret := testSecret("rdn")
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.URL.Path != "/v2/check_balance" || r.Method != http.MethodGet {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+secret {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]any{"error": "unauthorized"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"balance": 42.5})
	}))
	defer srv.Close()
	t.Setenv("MESHDROP_RODIN_URL", srv.URL)
	e, _, _ := libEnv(t)
	if code, out, errs := run(e, secret, "keys", "add", "rodin", "Render farm"); code != ExitOK {
		t.Fatalf("add: %s %s", out, errs)
	}
	start := time.Now()
	code, out, errs := run(e, "", "keys", "test", "Render farm")
	if code != ExitOK || !strings.Contains(out, "42.50 credits") || calls != 1 {
		t.Fatalf("keys test: exit %d, calls %d\n%s%s", code, calls, out, errs)
	}
	code, out, _ = run(e, "", "keys", "show", "Render farm", "--json")
	var v keyView
	if json.Unmarshal([]byte(out), &v); code != ExitOK || v.LastUsed.Before(start.Add(-time.Second)) {
		t.Fatalf("the test did not count as a use: %s", out)
	}
	// A wrong key: the provider's refusal, named by key, never the secret.
	wrong := testSecret("rdn")
	if code, out, errs := run(e, wrong, "keys", "rotate", "Render farm"); code != ExitOK {
		t.Fatalf("rotate: %s %s", out, errs)
	}
	code, out, errs = run(e, "", "keys", "test", "rodin", "Render farm")
	if code != ExitFailure || strings.Contains(out+errs, wrong) || !strings.Contains(errs, "Render farm") {
		t.Fatalf("wrong key: exit %d\n%s%s", code, out, errs)
	}
	run(e, "", "keys", "rm", "Render farm")
}

// Without any D-Bus session, "keys add" fails with exit 3 and says what to
// do, before reading a secret. Runs in a child process: the session bus
// connection is per process.
func TestKeysAddWithoutKeychain(t *testing.T) {
	if os.Getenv("MESHDROP_CLI_NOKEYCHAIN_CHILD") == "1" {
		e, _, _ := libEnv(t)
		code, out, errs := run(e, testSecret("msy_"), "keys", "add", "--provider", "meshy", "--name", "x")
		os.Stdout.WriteString("CHILD " + strings.ReplaceAll(out+errs, "\n", " ") + "\n")
		if code != ExitNoKey {
			t.Fatalf("exit %d, want %d", code, ExitNoKey)
		}
		code, _, errs = run(e, "", "keys", "status")
		if code != ExitNoKey || !strings.Contains(errs, "No keychain is available") {
			t.Fatalf("status: exit %d %s", code, errs)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeysAddWithoutKeychain$", "-test.v")
	cmd.Env = append(os.Environ(), "MESHDROP_CLI_NOKEYCHAIN_CHILD=1",
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{"No keychain is available", "gnome-keyring-daemon", "MESHY_API_KEY"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("message lacks %q:\n%s", want, out)
		}
	}
}
