package genx3d

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// Permissions from the docs' examples. What each endpoint needs is not
// documented; DefaultPermissions is what Meshdrop's own calls plausibly use.
const (
	PermModelsRead  = "models:read"
	PermModelsWrite = "models:write"
	PermChatSend    = "chat:send"
)

// DefaultPermissions scope a rotated key to what Meshdrop does: chat, store
// and export models, download files. Note: the docs do not say which
// permission the keys API itself needs, so a key with only these may not be
// able to rotate itself again; pass more in RotateRequest.Permissions if the
// server requires it.
var DefaultPermissions = []string{PermModelsRead, PermModelsWrite, PermChatSend}

// RotateRequest says what the replacement key should be.
type RotateRequest struct {
	// Name of the new key at the server (e.g. "Meshdrop 2026-11-23").
	Name string
	// Permissions of the new key; nil: DefaultPermissions.
	Permissions []string
	// ExpiresAt is when the new key stops working; required and in the future.
	ExpiresAt time.Time
	// OldKeyID is the server's ID of the key being replaced. Empty: found in
	// GET /keys (see findKeyID).
	OldKeyID string
}

// Rotated is the replacement key. Secret is shown once by the server: store
// it at once (the keychain), never log it.
type Rotated struct {
	Secret    keys.Secret
	KeyID     string
	ExpiresAt time.Time
	// OldKeyID is the key that was revoked (or should have been).
	OldKeyID string
}

// ErrOldKeyNotRevoked is wrapped in RotateKey's error when the new key was
// minted but the old one could not be revoked: the new key is returned and
// must still be stored, and the old one revoked by hand.
var ErrOldKeyNotRevoked = errors.New("the old key is still active")

// keyEntry is one key in GET /keys or POST /keys's answer. Neither answer's
// shape is documented: these are the usual spellings, and findKeyID and
// parseMinted refuse to guess when they do not match.
type keyEntry struct {
	ID        flexString `json:"id"`
	KeyID     flexString `json:"key_id"`
	Name      string     `json:"name"`
	Key       string     `json:"key"`
	APIKey    string     `json:"api_key"`
	Secret    string     `json:"secret"`
	Prefix    string     `json:"prefix"`
	KeyPrefix string     `json:"key_prefix"`
	ExpiresAt string     `json:"expires_at"`
}

func (k keyEntry) id() string {
	if k.ID != "" {
		return k.ID.String()
	}
	return k.KeyID.String()
}

func (k keyEntry) secret() string {
	for _, s := range []string{k.Key, k.APIKey, k.Secret} {
		if s != "" {
			return s
		}
	}
	return ""
}

func (k keyEntry) prefix() string {
	if k.KeyPrefix != "" {
		return k.KeyPrefix
	}
	return k.Prefix
}

// parseKeyList reads GET /keys: a bare array, or one under "keys" or "data".
func parseKeyList(body []byte) ([]keyEntry, error) {
	var list []keyEntry
	if err := json.Unmarshal(body, &list); err == nil {
		return list, nil
	}
	var wrapped struct {
		Keys []keyEntry `json:"keys"`
		Data []keyEntry `json:"data"`
	}
	if err := json.Unmarshal(body, &wrapped); err != nil {
		return nil, errors.New("the key list is not a JSON list of keys")
	}
	if wrapped.Keys != nil {
		return wrapped.Keys, nil
	}
	return wrapped.Data, nil
}

// findKeyID picks the entry of list that is secret: one whose shown prefix
// (at least 6 characters) starts the secret, or whose masked key ends with
// the secret's last four. Exactly one must match.
func findKeyID(list []keyEntry, secret string) (string, error) {
	var ids []string
	for _, k := range list {
		if k.id() == "" {
			continue
		}
		p := strings.TrimRight(k.prefix(), ".*…")
		shown := k.secret()
		switch {
		case len(p) >= 6 && strings.HasPrefix(secret, p):
			ids = append(ids, k.id())
		case shown == secret:
			ids = append(ids, k.id())
		case len(shown) >= 8 && len(secret) >= 8 && strings.ContainsAny(shown, "*…") &&
			strings.HasSuffix(shown, secret[len(secret)-4:]) && strings.HasPrefix(secret, strings.SplitN(strings.SplitN(shown, "*", 2)[0], "…", 2)[0]):
			ids = append(ids, k.id())
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		return "", errors.New("no key in the server's list looks like this one")
	}
	return "", fmt.Errorf("%d keys in the server's list look like this one", len(ids))
}

// parseMinted reads POST /keys's answer: the key entry, bare or under "key"
// or "data". Its secret must start with sk- [doc].
func parseMinted(body []byte) (keyEntry, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		// No excerpt of the body: it may hold the new secret.
		return keyEntry{}, errors.New("the answer is not a JSON object")
	}
	obj := body
	for _, name := range []string{"key", "data"} {
		if raw := bytes.TrimSpace(top[name]); len(raw) > 0 && raw[0] == '{' {
			obj = raw
			break
		}
	}
	var k keyEntry
	if err := json.Unmarshal(obj, &k); err != nil {
		return keyEntry{}, errors.New("the key in the answer is not in a known shape")
	}
	s := k.secret()
	if s == "" {
		return keyEntry{}, errors.New("the answer has no key")
	}
	if !strings.HasPrefix(s, KeyPrefix) || strings.ContainsAny(s, " \t\r\n") {
		return keyEntry{}, fmt.Errorf("the new key does not look like a genX3D key (it should start with %q)", KeyPrefix)
	}
	if k.id() == "" {
		return keyEntry{}, errors.New("the answer has no key id")
	}
	return k, nil
}

// StoreFunc keeps a minted key (the keychain). RotateKey calls it after
// the server has accepted the new key and before the old key is revoked; an
// error makes RotateKey revoke the new key instead, unless it wraps
// ErrRevokeNeither. It must not log the secret.
type StoreFunc func(Rotated) error

// ErrRevokeNeither, wrapped in a StoreFunc's error, says the store failed
// half-way and the new secret may be the one kept now (the keychain took
// it, and the old one could not be put back): RotateKey then revokes
// neither key, since either may be the only copy in use, and returns a
// *NotStoredError with RevokedNeither set.
var ErrRevokeNeither = errors.New("neither key may be revoked")

// NotStoredError is RotateKey's error when a minted key was not kept: the
// server did not accept it (store was not called), or store failed. The old
// key was not revoked and still works; the new key was revoked where the
// server let it be (Revoked).
type NotStoredError struct {
	KeyID       string // the new key's server ID
	Fingerprint string // the new secret's, for messages
	OldKeyID    string // the old key's server ID
	Refused     bool   // the server did not accept the new key
	Revoked     bool   // the new key was revoked: the server refuses it now
	// RevokedNeither: store's error wrapped ErrRevokeNeither, so the new key
	// was left live too; both keys work on the server.
	RevokedNeither bool
	Err            error // the store error, or the server's refusal
}

func (e *NotStoredError) Error() string {
	what := "could not be stored"
	if e.Refused {
		what = "was not accepted by the server"
	}
	if e.RevokedNeither {
		return fmt.Sprintf("the new key %s (server ID %s) could not be stored cleanly (%v); neither key was revoked: the old key (server ID %s) and the new key both still work", e.Fingerprint, e.KeyID, e.Err, e.OldKeyID)
	}
	fate := "it was revoked"
	if !e.Revoked {
		fate = fmt.Sprintf("revoking it failed, so revoke key %s on the server", e.KeyID)
	}
	return fmt.Sprintf("the new key %s (server ID %s) %s (%v); %s. The old key was not revoked and still works", e.Fingerprint, e.KeyID, what, e.Err, fate)
}

func (e *NotStoredError) Unwrap() error { return e.Err }

// revokeTimeout bounds the clean-up revoke of a new key that was not kept:
// it runs even when ctx has ended, since an unstored live key is a leak.
const revokeTimeout = 30 * time.Second

// RotateKey replaces cred's key with a new scoped key that expires: it finds
// the old key's ID (unless given), mints the new key with POST /keys, checks
// the server recognises it, hands it to store, and only once store returned
// nil revokes the old key with DELETE /keys/{key_id}. The old key is never
// revoked before the new key is working and kept.
//
// If the new key is refused by the server or store fails, the new key is
// revoked (best effort, with the old key, which holds the keys permission)
// and a *NotStoredError is returned: the old key still works. If the revoke
// of the old key fails, the new key (stored) is returned with an error
// wrapping ErrOldKeyNotRevoked: revoke the old one by hand.
func (g *GenX3D) RotateKey(ctx context.Context, cred provider.Credential, r RotateRequest, store StoreFunc) (Rotated, error) {
	if cred.Secret.IsZero() {
		return Rotated{}, g.c.Error(provider.ErrInvalidInput, cred, "there is no key to rotate", nil)
	}
	if store == nil {
		return Rotated{}, g.c.Error(provider.ErrInvalidInput, cred, "there is nowhere to store the new key", nil)
	}
	name := strings.TrimSpace(r.Name)
	if name == "" {
		e := g.c.Error(provider.ErrInvalidInput, cred, "the new key needs a name", nil)
		e.Field = "name"
		return Rotated{}, e
	}
	if !r.ExpiresAt.After(g.now()) {
		e := g.c.Error(provider.ErrInvalidInput, cred, "the new key needs an expiry date in the future", nil)
		e.Field = "expires_at"
		return Rotated{}, e
	}
	perms := r.Permissions
	if len(perms) == 0 {
		perms = DefaultPermissions
	}
	oldID := strings.TrimSpace(r.OldKeyID)
	if oldID == "" {
		resp, err := g.c.Read(ctx, cred, httpx.Call{Path: "/keys"}, nil)
		if err != nil {
			return Rotated{}, err
		}
		list, err := parseKeyList(resp.Body)
		if err != nil {
			return Rotated{}, g.c.Error(provider.ErrBadResponse, cred, err.Error(), nil)
		}
		if oldID, err = findKeyID(list, cred.Secret.Reveal()); err != nil {
			e := g.c.Error(provider.ErrInvalidInput, cred, err.Error()+"; give the old key's ID from the server's key list", nil)
			e.Field = "key_id"
			return Rotated{}, e
		}
	}
	if strings.ContainsAny(oldID, "/?#") {
		return Rotated{}, g.c.Error(provider.ErrInvalidInput, cred, "the old key's ID is not a plain ID", nil)
	}
	expires := r.ExpiresAt.UTC().Truncate(time.Second)
	// Minting is sent once: a retry after a lost answer would make a second key.
	resp, err := g.c.Once(ctx, cred, httpx.Call{Method: "POST", Path: "/keys", JSON: map[string]any{
		"name": name, "permissions": perms, "expires_at": expires.Format(time.RFC3339),
	}}, nil)
	if err != nil {
		if provider.KindOf(err) == provider.ErrUnavailable || provider.KindOf(err) == provider.ErrBadResponse {
			var pe *provider.Error
			errors.As(err, &pe)
			pe.Message += "; a new key may have been made: check the server's key list (the old key was not revoked)"
		}
		return Rotated{}, err
	}
	minted, err := parseMinted(resp.Body)
	if err != nil {
		return Rotated{}, g.c.Error(provider.ErrBadResponse, cred, "minting a key: "+err.Error()+"; the old key was not revoked", nil)
	}
	out := Rotated{Secret: keys.NewSecret(minted.secret()), KeyID: minted.id(), ExpiresAt: expires, OldKeyID: oldID}
	if t, err := time.Parse(time.RFC3339, minted.ExpiresAt); err == nil {
		out.ExpiresAt = t
	}
	if minted.id() == oldID {
		return Rotated{}, g.c.Error(provider.ErrBadResponse, cred, "the server gave the new key the old key's ID; nothing was revoked", nil)
	}
	// The new key must be recognised before it is kept. Its scope may not
	// include the keys API, so FORBIDDEN still proves it authenticates.
	newCred := provider.Credential{Name: cred.Name + " (new)", Secret: out.Secret}
	if _, err := g.c.Read(ctx, newCred, httpx.Call{Path: "/keys"}, nil); err != nil && provider.KindOf(err) != provider.ErrForbidden {
		return g.dropNew(ctx, cred, out, true, err)
	}
	if err := store(out); err != nil {
		if errors.Is(err, ErrRevokeNeither) {
			nse := &NotStoredError{KeyID: out.KeyID, Fingerprint: out.Secret.Fingerprint(), OldKeyID: oldID, RevokedNeither: true, Err: err}
			out.Secret = keys.Secret{}
			return out, nse
		}
		return g.dropNew(ctx, cred, out, false, err)
	}
	_, err = g.c.Read(ctx, cred, httpx.Call{Method: "DELETE", Path: "/keys/" + url.PathEscape(oldID)}, nil)
	if err != nil && provider.KindOf(err) != provider.ErrNotFound {
		return out, fmt.Errorf("%w: revoking key %s failed (%v); revoke it on the server", ErrOldKeyNotRevoked, oldID, err)
	}
	// NOT_FOUND may mean a retried DELETE whose first try worked, or a wrong
	// ID: only the old key being refused now proves it is gone.
	if _, err := g.c.Read(ctx, cred, httpx.Call{Path: "/keys"}, nil); provider.KindOf(err) != provider.ErrUnauthorized {
		return out, fmt.Errorf("%w: key %s was asked to be revoked but the old key still works; revoke it on the server", ErrOldKeyNotRevoked, oldID)
	}
	return out, nil
}

// dropNew revokes a minted key that is not kept (refused by the server, or
// store failed), with the old key, and reports it as a *NotStoredError. The
// returned Rotated names the keys but holds no secret.
func (g *GenX3D) dropNew(ctx context.Context, cred provider.Credential, out Rotated, refused bool, why error) (Rotated, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeTimeout)
	defer cancel()
	_, err := g.c.Read(ctx, cred, httpx.Call{Method: "DELETE", Path: "/keys/" + url.PathEscape(out.KeyID)}, nil)
	revoked := false
	if err == nil || provider.KindOf(err) == provider.ErrNotFound {
		// As for the old key: only the new key being refused proves it gone.
		newCred := provider.Credential{Name: cred.Name + " (new)", Secret: out.Secret}
		_, err = g.c.Read(ctx, newCred, httpx.Call{Path: "/keys"}, nil)
		revoked = provider.KindOf(err) == provider.ErrUnauthorized
	}
	nse := &NotStoredError{KeyID: out.KeyID, Fingerprint: out.Secret.Fingerprint(), OldKeyID: out.OldKeyID, Refused: refused, Revoked: revoked, Err: why}
	out.Secret = keys.Secret{}
	return out, nse
}
