package genx3d

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"meshdrop/core/provider"
	"meshdrop/core/provider/genx3d/genx3dtest"
)

// rotateSetup is a fake server whose admin key (key_1) is rotated to a key
// that also holds the keys permission.
func rotateSetup(t *testing.T) (*genx3dtest.Server, string, *GenX3D, RotateRequest) {
	t.Helper()
	srv, admin := genx3dtest.New()
	t.Cleanup(srv.Close)
	req := RotateRequest{Name: "rotated", ExpiresAt: time.Now().Add(time.Hour), OldKeyID: "key_1",
		Permissions: append([]string{genx3dtest.PermAdmin}, DefaultPermissions...)}
	return srv, admin, newAdapter(t, srv.BaseURL()), req
}

func TestRotateKeyStoresBeforeRevoking(t *testing.T) {
	srv, admin, g, req := rotateSetup(t)
	var stored string
	calls := 0
	rot, err := g.RotateKey(context.Background(), cred(admin), req, func(nk Rotated) error {
		calls++
		stored = nk.Secret.Reveal()
		// At store time the new key works and the old one is untouched.
		if n := srv.Hits("DELETE /keys/{id}"); n != 0 {
			t.Errorf("%d revokes before the new key was stored", n)
		}
		if old, _ := srv.KeyBySecret(admin); old.Revoked {
			t.Error("the old key was revoked before the new key was stored")
		}
		if k, ok := srv.KeyBySecret(stored); !ok || k.Revoked || k.ID != nk.KeyID {
			t.Errorf("store got %s, the server has %+v (%v)", nk.KeyID, k, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || rot.Secret.Reveal() != stored {
		t.Fatalf("store called %d times; returned key is the stored one: %v", calls, rot.Secret.Reveal() == stored)
	}
	// After store returned, the old key went.
	if old, _ := srv.KeyBySecret(admin); !old.Revoked || srv.Hits("DELETE /keys/{id}") != 1 {
		t.Fatalf("old key after rotation: %+v, revokes %d", old, srv.Hits("DELETE /keys/{id}"))
	}
	if _, err := g.Balance(context.Background(), cred(stored)); err != nil && provider.KindOf(err) != provider.ErrUnsupported {
		t.Fatalf("new key: %v", err)
	}
}

func TestRotateKeyStoreFailureRevokesTheNewKey(t *testing.T) {
	srv, admin, g, req := rotateSetup(t)
	ctx := context.Background()
	keychainDown := errors.New("the keychain is locked")
	var minted string
	rot, err := g.RotateKey(ctx, cred(admin), req, func(nk Rotated) error {
		minted = nk.Secret.Reveal()
		return keychainDown
	})
	var nse *NotStoredError
	if !errors.As(err, &nse) || !errors.Is(err, keychainDown) || nse.Refused || !nse.Revoked || nse.KeyID != "key_2" {
		t.Fatalf("err = %#v", err)
	}
	if !rot.Secret.IsZero() || rot.KeyID != "key_2" || rot.OldKeyID != "key_1" {
		t.Fatalf("returned %+v: it must name the keys and hold no secret", rot)
	}
	msg := err.Error()
	if strings.Contains(msg, minted) || strings.Contains(msg, admin) || !strings.Contains(msg, "still works") || !strings.Contains(msg, "was revoked") {
		t.Fatalf("message %q", msg)
	}
	// On the server: the old key still works, the new one is revoked.
	if old, _ := srv.KeyBySecret(admin); old.Revoked {
		t.Fatal("the old key was revoked")
	}
	if _, err := g.Balance(ctx, cred(admin)); err != nil && provider.KindOf(err) != provider.ErrUnsupported {
		t.Fatalf("old key: %v", err)
	}
	if k, ok := srv.KeyBySecret(minted); !ok || !k.Revoked {
		t.Fatalf("new key on the server: %+v (%v)", k, ok)
	}
	if _, err := g.Balance(ctx, cred(minted)); provider.KindOf(err) != provider.ErrUnauthorized {
		t.Fatalf("new key after a failed store: %v", err)
	}
}

// The new key cannot be revoked either: the error says so and names it.
func TestRotateKeyStoreFailureAndRevokeFailure(t *testing.T) {
	srv, admin, g, req := rotateSetup(t)
	var minted string
	_, err := g.RotateKey(context.Background(), cred(admin), req, func(nk Rotated) error {
		minted = nk.Secret.Reveal()
		srv.FailNext("DELETE /keys/{id}", http.StatusBadRequest)
		return errors.New("disk full")
	})
	var nse *NotStoredError
	if !errors.As(err, &nse) || nse.Revoked || !strings.Contains(err.Error(), "revoke key key_2 on the server") {
		t.Fatalf("err = %v", err)
	}
	if k, _ := srv.KeyBySecret(minted); k.Revoked {
		t.Fatal("the new key was revoked after all")
	}
	if old, _ := srv.KeyBySecret(admin); old.Revoked {
		t.Fatal("the old key was revoked")
	}
}

// A store that outlives the caller's deadline: the new key is still revoked.
func TestRotateKeyRevokesTheNewKeyAfterTheContextEnds(t *testing.T) {
	srv, admin, g, req := rotateSetup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var minted string
	_, err := g.RotateKey(ctx, cred(admin), req, func(nk Rotated) error {
		minted = nk.Secret.Reveal()
		cancel()
		return ctx.Err()
	})
	var nse *NotStoredError
	if !errors.As(err, &nse) || !nse.Revoked || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if k, _ := srv.KeyBySecret(minted); !k.Revoked {
		t.Fatal("the unstored new key is still live")
	}
}

// The server does not accept the key it minted: store is not called, the
// new key is revoked, the old one kept.
func TestRotateKeyNewKeyRefused(t *testing.T) {
	srv, admin, g, req := rotateSetup(t)
	next := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.Header.Get("Authorization") != "Bearer "+admin {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"UNAUTHORIZED","message":"Invalid API key"}}`))
			return
		}
		next.ServeHTTP(w, r)
	})
	called := false
	_, err := g.RotateKey(context.Background(), cred(admin), req, func(Rotated) error { called = true; return nil })
	var nse *NotStoredError
	if !errors.As(err, &nse) || !nse.Refused || !nse.Revoked || provider.KindOf(err) != provider.ErrUnauthorized || called {
		t.Fatalf("err = %v, store called %v", err, called)
	}
	if old, _ := srv.KeyBySecret(admin); old.Revoked {
		t.Fatal("the old key was revoked")
	}
	if k, ok := srv.KeyByID(nse.KeyID); !ok || !k.Revoked || srv.Hits("DELETE /keys/{id}") != 1 {
		t.Fatalf("new key on the server: %+v (%v), revokes %d", k, ok, srv.Hits("DELETE /keys/{id}"))
	}
}
