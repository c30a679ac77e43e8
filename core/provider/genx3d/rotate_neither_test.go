package genx3d

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"meshdrop/core/provider"
)

// A store that failed half-way (its error wraps ErrRevokeNeither: the
// keychain took the new secret and the old one could not be put back)
// makes RotateKey revoke neither key: both keep working on the server, and
// the *NotStoredError says so with both server IDs. Before, the new key
// was revoked, leaving the keychain holding a dead key.
func TestRotateKeyStoreSaysRevokeNeither(t *testing.T) {
	srv, admin, g, req := rotateSetup(t)
	var minted string
	storeErr := errors.New("the keychain now holds the new secret (test)")
	rot, err := g.RotateKey(context.Background(), cred(admin), req, func(nk Rotated) error {
		minted = nk.Secret.Reveal()
		return fmt.Errorf("%w: %w", ErrRevokeNeither, storeErr)
	})
	var ns *NotStoredError
	if !errors.As(err, &ns) || !ns.RevokedNeither || ns.Revoked || ns.Refused || !errors.Is(err, storeErr) {
		t.Fatalf("RotateKey: %v (%+v)", err, ns)
	}
	if ns.KeyID == "" || ns.KeyID != rot.KeyID || ns.OldKeyID != "key_1" || !rot.Secret.IsZero() {
		t.Fatalf("the error names %q and %q; returned %+v", ns.KeyID, ns.OldKeyID, rot)
	}
	if srv.Hits("DELETE /keys/{id}") != 0 {
		t.Fatalf("%d revokes", srv.Hits("DELETE /keys/{id}"))
	}
	for name, s := range map[string]string{"old": admin, "new": minted} {
		if k, ok := srv.KeyBySecret(s); !ok || k.Revoked {
			t.Fatalf("the %s key on the server: %+v (%v)", name, k, ok)
		}
		if _, err := g.Balance(context.Background(), cred(s)); provider.KindOf(err) == provider.ErrUnauthorized {
			t.Fatalf("the %s key no longer works: %v", name, err)
		}
	}
	msg := err.Error()
	if !strings.Contains(msg, "neither key was revoked") || !strings.Contains(msg, ns.KeyID) || !strings.Contains(msg, "key_1") ||
		strings.Contains(msg, admin) || strings.Contains(msg, minted) {
		t.Fatalf("message: %s", msg)
	}
}
