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
)

// Replace when the key list cannot be saved and the keychain then refuses
// to take the old secret back (it was locked in between): a *PutBackError
// saying the keychain holds the new secret, with both fingerprints and
// both causes, and the key list as it was. Before, a plain error read like
// any failed Replace, and a caller that then threw the new secret away
// (revoked it) left the keychain holding a dead key. Runs in its own
// private D-Bus session and gnome-keyring, since it locks the keyring.
func TestReplacePutBackFails(t *testing.T) {
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
	env := []string{helperEnv + "=putback", "HOME=" + home, "MESHDROP_TEST_DIR=" + t.TempDir()}
	for _, e := range os.Environ() {
		name, _, _ := strings.Cut(e, "=")
		switch name {
		case "HOME", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR":
		default:
			env = append(env, e)
		}
	}
	cmd.Env = env
	runHelper(t, cmd)
}

func helperPutBackFails() error {
	dir := os.Getenv("MESHDROP_TEST_DIR")
	v, err := OpenWith(dir, Options{Getenv: noEnv, KeychainTimeout: 20 * time.Second})
	if err != nil {
		return err
	}
	s1, s2 := meshyKey(), meshyKey()
	k, err := v.Add(providerMeshy, "work", NewSecret(s1), AddOptions{})
	if err != nil {
		return fmt.Errorf("Add: %w", err)
	}
	before, err := os.ReadFile(filepath.Join(dir, MetadataFile))
	if err != nil {
		return err
	}
	// The key list write fails, and by then the keychain is locked (a
	// screen lock at the wrong moment): the put-back is refused.
	v.save = func(string, []Key) error {
		if err := lockAllCollections(); err != nil {
			return fmt.Errorf("locking the keyring: %w", err)
		}
		return errDiskFull
	}
	_, err = v.Replace(k.ID, NewSecret(s2))
	var pb *PutBackError
	if !errors.As(err, &pb) {
		return fmt.Errorf("Replace: %v, want a *PutBackError", err)
	}
	if pb.ID != k.ID || pb.Name != "work" || pb.NewFingerprint != Fingerprint(s2) || pb.OldFingerprint != Fingerprint(s1) {
		return fmt.Errorf("PutBackError %+v", pb)
	}
	if !errors.Is(err, errDiskFull) || !errors.Is(err, ErrKeychainLocked) {
		return fmt.Errorf("the causes are not both in the error: %v", err)
	}
	msg := err.Error()
	if strings.Contains(msg, s1) || strings.Contains(msg, s2) {
		return errors.New("the error holds a secret")
	}
	if !strings.Contains(msg, "keychain now holds the new secret "+Fingerprint(s2)) {
		return fmt.Errorf("the message does not say which secret is in the keychain: %s", msg)
	}
	after, err := os.ReadFile(filepath.Join(dir, MetadataFile))
	if err != nil {
		return err
	}
	if string(after) != string(before) {
		return errors.New("the key list changed")
	}
	// (What the locked keychain holds cannot be read back here: unlocking
	// it needs a prompt. The new secret's set succeeded before the lock.)
	if got, ok := v.Get(k.ID); !ok || got.Fingerprint != Fingerprint(s1) {
		return fmt.Errorf("key after the failed Replace: %+v", got)
	}
	return nil
}
