package cli

import (
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"meshdrop/core/keys"
)

// The keychain takes the minted secret, the key list cannot be saved and
// the old secret cannot be put back (Replace's *keys.PutBackError; core/keys
// TestReplacePutBackFails makes it with a keyring locked in between, which
// cannot be timed from here, so Replace runs for real against a broken key
// list and the lock's effect, the new secret left in the keychain, is
// applied to the real keychain). Mint must revoke neither key, not retry,
// and say which secret the keychain holds, that both keys work and what to
// do. Before, the new key was revoked (the keychain then held a dead key)
// and the message said the key was unchanged.
func TestKeysMintKeychainKeepsTheNewSecret(t *testing.T) {
	e, srv, admin := mintEnv(t)
	k, _ := storedSecret(t, e, "Lab")
	calls := 0
	var minted string
	t.Cleanup(func() { replaceSecret = (*keys.Vault).Replace })
	replaceSecret = func(v *keys.Vault, id string, s keys.Secret) (keys.Key, error) {
		calls++
		minted = s.Reveal()
		breakKeyList(t, e)
		_, err := v.Replace(id, s) // fails: the key list is a folder now
		if err == nil {
			t.Fatal("Replace succeeded on a broken key list")
		}
		if err := keyring.Set(keys.KeychainService, id, s.Reveal()); err != nil {
			t.Fatal(err)
		}
		return keys.Key{}, &keys.PutBackError{ID: id, Name: k.Name, NewFingerprint: s.Fingerprint(), OldFingerprint: k.Fingerprint,
			SaveErr: err, PutBackErr: keys.ErrKeychainLocked}
	}
	code, out, errs := run(e, "", "keys", "mint", "Lab")
	t.Logf("stdout: %sstderr: %s", out, errs)
	noSecrets(t, out+errs, admin, minted)
	if calls != 1 {
		t.Fatalf("Replace tried %d times after the keychain kept the new secret", calls)
	}
	newKey, ok := srv.KeyBySecret(minted)
	if !ok {
		t.Fatal("the server does not know the minted key")
	}
	for _, want := range []string{
		"keychain now holds the NEW key " + keys.Fingerprint(minted),
		"still shows the old one " + k.Fingerprint,
		"Neither key was revoked",
		"old key (server ID key_1) and the new key (server ID " + newKey.ID + ") both still work",
		"keys test Lab",
		"revoke the old key key_1",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr does not say %q", want)
		}
	}
	if code != ExitNoKey || strings.Contains(errs, "unchanged") {
		t.Fatalf("exit %d; stderr: %s", code, errs)
	}
	if srv.Hits("DELETE /keys/{id}") != 0 || newKey.Revoked {
		t.Fatalf("revokes %d, new key %+v", srv.Hits("DELETE /keys/{id}"), newKey)
	}
	if old, _ := srv.KeyBySecret(admin); old.Revoked {
		t.Fatal("the old key was revoked")
	}
	if got, err := keyring.Get(keys.KeychainService, k.ID); err != nil || got != minted {
		t.Fatalf("the keychain does not hold the new key (%v)", err)
	}
}
