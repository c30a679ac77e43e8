package keys

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
)

// helperEnv selects a scenario that must run in a process of its own (the
// D-Bus session connection is per process).
const helperEnv = "MESHDROP_KEYS_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		var err error
		switch mode {
		case "nokeychain":
			err = helperNoKeychain()
		case "locked":
			err = helperLocked()
		case "putback":
			err = helperPutBackFails()
		default:
			err = fmt.Errorf("unknown helper %q", mode)
		}
		if err != nil {
			fmt.Println("HELPER FAILED:", err)
			os.Exit(1)
		}
		fmt.Println("HELPER OK")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runHelper(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "HELPER OK") {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
}

// No D-Bus session at all (SSH, containers): a typed error that says what to
// do, nothing written, and session-only keys still work.
func TestNoKeychain(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=nokeychain",
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus-here"), "MESHDROP_TEST_DIR="+t.TempDir())
	runHelper(t, cmd)

	// No variable and no per-user bus socket: reported at once, and no
	// session bus is autolaunched behind the user's back.
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
		return // this machine has a per-user bus; the case cannot be made here
	}
	var env []string
	for _, e := range cmd.Env {
		if !strings.HasPrefix(e, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, e)
		}
	}
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(env, "MESHDROP_TEST_DIR="+t.TempDir(), "MESHDROP_EXPECT_NO_SESSION=1")
	runHelper(t, cmd)
}

func helperNoKeychain() error {
	if os.Getenv("MESHDROP_EXPECT_NO_SESSION") == "1" {
		if err := CheckKeychain(); !errors.Is(err, ErrNoKeychain) || !strings.Contains(err.Error(), "no D-Bus session") {
			return fmt.Errorf("CheckKeychain without a session: %v", err)
		}
	}
	dir := os.Getenv("MESHDROP_TEST_DIR")
	v, err := OpenWith(dir, Options{Getenv: noEnv, KeychainTimeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("Open must work without a keychain: %w", err)
	}
	if err := v.KeychainStatus(); !errors.Is(err, ErrNoKeychain) || errors.Is(err, ErrKeychainLocked) {
		return fmt.Errorf("KeychainStatus = %v, want ErrNoKeychain (not locked)", err)
	}
	secret := meshyKey()
	_, err = v.Add(providerMeshy, "work", NewSecret(secret), AddOptions{})
	var ke *KeychainError
	if !errors.Is(err, ErrNoKeychain) || !errors.As(err, &ke) {
		return fmt.Errorf("Add without keychain: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"No keychain is available", "gnome-keyring-daemon --unlock", "dbus-run-session", "MESHY_API_KEY", "session-only"} {
		if !strings.Contains(msg, want) {
			return fmt.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, secret) {
		return errors.New("error quotes the secret")
	}
	if len(v.List()) != 0 {
		return errors.New("a key was listed although the keychain refused it")
	}
	if _, err := os.Stat(filepath.Join(dir, MetadataFile)); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("metadata written although the keychain refused: %v", err)
	}
	k, err := v.Add(providerMeshy, "work", NewSecret(secret), AddOptions{SessionOnly: true})
	if err != nil || k.Source != SourceSession {
		return fmt.Errorf("session-only key: %v", err)
	}
	if s, err := v.Secret(k.ID); err != nil || s.Reveal() != secret {
		return fmt.Errorf("session-only Secret: %v", err)
	}
	return nil
}

// A locked collection (the prompt cannot be shown): reads, rotation and
// deletion fail with ErrKeychainLocked and leave the key as it was. Runs in
// its own private D-Bus session and gnome-keyring, since it locks the keyring.
func TestLockedKeychain(t *testing.T) {
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := tool + " is not installed; `make test` installs it (scripts/deps.sh)"
			if os.Getenv("MESHDROP_REQUIRE_KEYCHAIN") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	home := t.TempDir()
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c",
		`printf '\n' | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$0" -test.run='^$'`, os.Args[0])
	env := []string{helperEnv + "=locked", "HOME=" + home, "MESHDROP_TEST_DIR=" + t.TempDir()}
	for _, e := range os.Environ() {
		name, _, _ := strings.Cut(e, "=")
		switch name {
		case "HOME", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR":
			// A private session, and no display: an unlock prompt must not pop up on a desktop.
		default:
			env = append(env, e)
		}
	}
	cmd.Env = env
	runHelper(t, cmd)
}

func helperLocked() error {
	dir := os.Getenv("MESHDROP_TEST_DIR")
	v, err := OpenWith(dir, Options{Getenv: noEnv, KeychainTimeout: 20 * time.Second})
	if err != nil {
		return err
	}
	secret := meshyKey()
	k, err := v.Add(providerMeshy, "work", NewSecret(secret), AddOptions{})
	if err != nil {
		return fmt.Errorf("Add on the unlocked keychain: %w", err)
	}
	before, err := os.ReadFile(filepath.Join(dir, MetadataFile))
	if err != nil {
		return err
	}
	if err := lockAllCollections(); err != nil {
		return fmt.Errorf("locking the keyring: %w", err)
	}
	if err := v.KeychainStatus(); !errors.Is(err, ErrKeychainLocked) || !strings.Contains(err.Error(), "The keychain is locked") {
		return fmt.Errorf("KeychainStatus on a locked keychain: %v", err)
	}
	if _, err := v.Secret(k.ID); !errors.Is(err, ErrKeychainLocked) || !strings.Contains(err.Error(), `"work"`) {
		return fmt.Errorf("Secret on a locked keychain: %v", err)
	}
	if _, err := v.Replace(k.ID, NewSecret(meshyKey())); !errors.Is(err, ErrKeychainLocked) {
		return fmt.Errorf("Replace on a locked keychain: %v", err)
	}
	err = v.Delete(k.ID)
	if !errors.Is(err, ErrKeychainLocked) || !strings.Contains(err.Error(), "nothing was changed") {
		return fmt.Errorf("Delete on a locked keychain: %v", err)
	}
	if _, err := v.Add(providerMeshy, "other", NewSecret(meshyKey()), AddOptions{}); !errors.Is(err, ErrKeychainLocked) {
		return fmt.Errorf("Add on a locked keychain: %v", err)
	}
	after, err := os.ReadFile(filepath.Join(dir, MetadataFile))
	if err != nil {
		return err
	}
	if string(after) != string(before) {
		return errors.New("the key list changed although the keychain refused")
	}
	if got, ok := openTest(nopTB{}, dir).Get(k.ID); !ok || got.Fingerprint != k.Fingerprint {
		return fmt.Errorf("key not kept as it was: %+v", got)
	}
	if strings.Contains(string(after), secret) {
		return errors.New("metadata holds the secret")
	}
	return nil
}

// lockAllCollections locks the Secret Service's collections over D-Bus (what
// a screen lock or `secret-tool lock` does).
func lockAllCollections() error {
	conn, err := dbus.SessionBus()
	if err != nil {
		return err
	}
	svc := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	prop, err := svc.GetProperty("org.freedesktop.Secret.Service.Collections")
	if err != nil {
		return err
	}
	paths, _ := prop.Value().([]dbus.ObjectPath)
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	return svc.Call("org.freedesktop.Secret.Service.Lock", 0, paths).Store(&locked, &prompt)
}

// nopTB lets test helpers run in the helper process (outside a test); a
// failure there panics, which fails the helper.
type nopTB struct{ testing.TB }

func (nopTB) Helper()                   {}
func (nopTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
