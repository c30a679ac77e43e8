package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/genx3d"
)

// "meshdrop keys mint": a genX3D key replaced by a new scoped key with an
// expiry, minted through the server's keys API (issue 3, "rotate key").

// keyMinter is a provider that can mint its own replacement keys (only
// genX3D documents a keys API).
type keyMinter interface {
	RotateKey(ctx context.Context, cred provider.Credential, r genx3d.RotateRequest, store genx3d.StoreFunc) (genx3d.Rotated, error)
}

var _ keyMinter = (*genx3d.GenX3D)(nil)

const (
	// defaultMintLifetime is the new key's lifetime without --expires. The
	// docs give no default or maximum expiry; 90 days is a common policy.
	defaultMintLifetime = 90 * 24 * time.Hour
	// mintTimeout bounds the whole exchange (list, mint, check, store, revoke, check).
	mintTimeout = 2 * time.Minute
	// mintRemindAhead is how long before the new key expires "rotate by"
	// falls (or half its lifetime, when that is shorter).
	mintRemindAhead = 7 * 24 * time.Hour
	// mintStoreTries is how often storing the minted secret is tried before
	// giving up on it (the adapter then revokes it; the old key still works).
	mintStoreTries = 3
	mintStorePause = 500 * time.Millisecond
	// mintServerName names the new key on the server: Meshdrop, the vault's
	// name, the date.
	mintServerName = "Meshdrop %s %s"
)

// The usage line is added at package initialisation (before keys.go's init
// builds the help text from keysUsage).
var _ = addKeysUsage(
	"meshdrop keys mint NAME [--expires 30d|YYYY-MM-DD] [--permission P …] [--old-key-id ID]",
	"                                                    genX3D only: mint a scoped replacement key, store it, revoke the old one",
)

func addKeysUsage(lines ...string) bool {
	keysUsage = append(keysUsage, lines...)
	return true
}

func init() {
	KeysSubcommands["mint"] = runKeysMint
}

// stringList is a repeatable flag; commas also separate values.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// parseExpiry reads --expires: a number of days ("30d"), weeks ("8w"), a date
// (midnight local time) or an RFC 3339 time. It must be in the future.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return now.Add(defaultMintLifetime), nil
	}
	var t time.Time
	if n, unit := s[:len(s)-1], s[len(s)-1]; unit == 'd' || unit == 'w' {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > 3650 {
			return time.Time{}, fmt.Errorf("--expires %q: give a number of days like 30d (1 to 3650)", s)
		}
		if unit == 'w' {
			days *= 7
		}
		t = now.AddDate(0, 0, days)
	} else if d, err := time.ParseInLocation(keysTimeLayout, s, time.Local); err == nil {
		t = d
	} else if d, err := time.Parse(time.RFC3339, s); err == nil {
		t = d
	} else {
		return time.Time{}, fmt.Errorf("--expires %q is not 30d, 8w, a date like 2027-01-31 or an RFC 3339 time", s)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("--expires %q is not in the future", s)
	}
	return t, nil
}

// remindAt is the "rotate by" date for a key that expires at exp.
func remindAt(now, exp time.Time) time.Time {
	ahead := min(mintRemindAhead, exp.Sub(now)/2)
	return exp.Add(-ahead)
}

// redact removes secrets from a message before it is printed: the adapter's
// errors are meant to hold none, and this makes sure.
func redact(msg string, secrets ...keys.Secret) string {
	for _, s := range secrets {
		if v := s.Reveal(); len(v) >= 4 {
			msg = strings.ReplaceAll(msg, v, s.Fingerprint())
		}
	}
	return msg
}

func runKeysMint(e *Env, args []string) int {
	fs := newFlags(e, "keys mint")
	prov := fs.String("provider", "", "the key's provider, when the name is not unique")
	expires := fs.String("expires", "", "when the new key stops working: 30d, 8w, YYYY-MM-DD (default 90d)")
	var perms stringList
	fs.Var(&perms, "permission", "a permission of the new key (repeat, or separate with commas); default: "+strings.Join(genx3d.DefaultPermissions, ", "))
	oldID := fs.String("old-key-id", "", "the server's ID of the key being replaced (default: found in the server's key list)")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 {
		e.Errorf("usage: meshdrop keys mint NAME [--expires 30d|YYYY-MM-DD] [--permission P …] [--old-key-id ID]")
		return ExitUsage
	}
	now := time.Now()
	expiry, err := parseExpiry(*expires, now)
	if err != nil {
		e.Errorf("%v", err)
		return ExitUsage
	}
	v, k, code := openKey(e, *prov, pos[0])
	if code != ExitOK {
		return code
	}
	if k.ReadOnly() {
		e.Errorf("%q comes from the environment variable %s, where Meshdrop cannot store a new key; "+
			"copy it into the keychain first ('meshdrop keys import-env' or 'meshdrop keys add'), then mint from that key", k.Name, k.Env)
		return ExitUsage
	}
	if k.Provider != provider.GenX3D {
		e.Errorf("only genX3D can mint keys through its API; for a %s key, make a new key on the provider's site and store it with 'meshdrop keys rotate %s' (it reads the new secret from stdin or a hidden prompt)", k.Provider, k.Name)
		return ExitUsage
	}
	// Before anything is minted: a new secret that cannot be stored is
	// revoked again (the old key stays), a wasted mint. The keychain must
	// answer, and the key list must take a write (its note written back
	// unchanged).
	if k.Source == keys.SourceKeychain {
		if err := v.KeychainStatus(); err != nil {
			e.Errorf("%v", err)
			return ExitNoKey
		}
	}
	if _, err := v.SetNote(k.ID, k.Note); err != nil {
		e.Errorf("nothing was minted: the key list cannot be changed (%v); fix that first", err)
		return keyExit(err)
	}
	reg, err := e.Providers()
	if err != nil {
		e.Errorf("%v", err)
		return ExitFailure
	}
	p, err := reg.Get(k.Provider)
	if err != nil {
		e.Errorf("cannot mint for %q: %v", k.Name, err)
		return ExitFailure
	}
	minter, ok := p.(keyMinter)
	if !ok {
		e.Errorf("this build's %s adapter cannot mint keys", p.DisplayName())
		return ExitFailure
	}
	old, err := v.Secret(k.ID)
	if err != nil {
		e.Errorf("%v", err)
		return keyExit(err)
	}
	cred := provider.Credential{KeyID: k.ID, Name: k.Name, Secret: old}
	ctx, cancel := context.WithTimeout(e.Ctx, mintTimeout)
	defer cancel()
	// The new secret is stored before the old key is revoked: if it cannot
	// be, the adapter revokes the new key and the old one keeps working.
	var nk keys.Key
	var minted keys.Secret
	rot, rotErr := minter.RotateKey(ctx, cred, genx3d.RotateRequest{
		Name:        fmt.Sprintf(mintServerName, k.Name, now.Format(keysTimeLayout)),
		Permissions: perms,
		ExpiresAt:   expiry,
		OldKeyID:    *oldID,
	}, func(r genx3d.Rotated) error {
		minted = r.Secret
		var err error
		nk, err = storeMinted(v, k, r.Secret)
		return err
	})
	var notStored *genx3d.NotStoredError
	if errors.As(rotErr, &notStored) {
		return reportNotStored(e, k, notStored, redact(notStored.Err.Error(), old, minted))
	}
	oldLive := errors.Is(rotErr, genx3d.ErrOldKeyNotRevoked)
	if rotErr != nil && !oldLive {
		e.Errorf("minting a new key for %q failed: %s", k.Name, redact(rotErr.Error(), old, minted))
		return ExitFailure
	}
	if _, rerr := v.SetRotateBy(k.ID, remindAt(now, rot.ExpiresAt)); rerr != nil {
		e.Errorf("warning: could not set the rotate-by date: %v", rerr)
	}
	fmt.Fprintf(e.Stdout, "Minted a new genX3D key for %q and stored it in the keychain: %s → %s (server ID %s, expires %s).\n",
		k.Name, k.Fingerprint, nk.Fingerprint, rot.KeyID, rot.ExpiresAt.Local().Format(keysTimeLayout))
	if oldLive {
		e.Errorf("the old key %s (server ID %s) is STILL LIVE and works for anyone who has it (%s). "+
			"Revoke key %s yourself in the genX3D server's key management (or DELETE /keys/%s on its API with an admin key), then check with 'meshdrop keys test %s' that the new key works.",
			k.Fingerprint, rot.OldKeyID, redact(rotErr.Error(), old, minted), rot.OldKeyID, rot.OldKeyID, k.Name)
		return ExitFailure
	}
	fmt.Fprintf(e.Stdout, "Revoked the old key %s (server ID %s).\n", k.Fingerprint, rot.OldKeyID)
	return ExitOK
}

// replaceSecret is Vault.Replace (a variable so a test can reach the
// failure where the keychain keeps the new secret, which needs a keychain
// locked between two of Replace's own calls).
var replaceSecret = (*keys.Vault).Replace

// storeMinted puts the minted secret in k's keychain entry (Replace records
// the rotation, and puts the old secret back if it fails), trying again a few
// times. When the old secret could not be put back (*keys.PutBackError) the
// keychain holds the new one: no retry (a retry would "put back" the new
// secret and look like a clean failure), and the error tells RotateKey to
// revoke neither key.
func storeMinted(v *keys.Vault, k keys.Key, secret keys.Secret) (keys.Key, error) {
	var err error
	for try := range mintStoreTries {
		if try > 0 {
			time.Sleep(mintStorePause)
		}
		var nk keys.Key
		if nk, err = replaceSecret(v, k.ID, secret); err == nil {
			return nk, nil
		}
		var pb *keys.PutBackError
		if errors.As(err, &pb) {
			return keys.Key{}, fmt.Errorf("%w: %w", genx3d.ErrRevokeNeither, err)
		}
	}
	return keys.Key{}, err
}

// reportBothLive says what happened when the keychain took the minted
// secret but the key list could not record it and the old secret could not
// be put back: the keychain holds the new key, and neither key was revoked.
func reportBothLive(e *Env, k keys.Key, ns *genx3d.NotStoredError, why string) int {
	e.Errorf("genX3D made a new key for %q (server ID %s, %s) and the keychain took it, but the key list could not be saved and the old secret could not be put back.", k.Name, ns.KeyID, ns.Fingerprint)
	e.Errorf("The keychain now holds the NEW key %s; Meshdrop's key list still shows the old one %s.", ns.Fingerprint, k.Fingerprint)
	e.Errorf("Neither key was revoked: the old key (server ID %s) and the new key (server ID %s) both still work on the server.", ns.OldKeyID, ns.KeyID)
	e.Errorf("What to do: make the key list %s writable again, check with 'meshdrop keys test %s' that the new key works, then revoke the old key %s in the genX3D server's key management (or DELETE /keys/%s on its API with an admin key).", filepath.Join(e.Dirs.Config, keys.MetadataFile), k.Name, ns.OldKeyID, ns.OldKeyID)
	e.Errorf("(cause: %s)", why)
	return ExitNoKey
}

// reportNotStored says what happened to a minted key that was not kept: the
// server did not accept it, or it could not be stored. Either way the old
// key was not revoked and k is unchanged; the new key was revoked unless the
// server refused that too.
func reportNotStored(e *Env, k keys.Key, ns *genx3d.NotStoredError, why string) int {
	if ns.RevokedNeither {
		return reportBothLive(e, k, ns, why)
	}
	fate := fmt.Sprintf("The new key %s was revoked on the server.", ns.KeyID)
	if !ns.Revoked {
		fate = fmt.Sprintf("Revoking the new key failed: revoke key %s yourself in the genX3D server's key management.", ns.KeyID)
	}
	if ns.Refused {
		e.Errorf("genX3D made a new key (server ID %s, %s) but does not accept it (%s); %q keeps its old key %s, which still works. %s",
			ns.KeyID, ns.Fingerprint, why, k.Name, k.Fingerprint, fate)
		return ExitFailure
	}
	e.Errorf("genX3D made a new key for %q (server ID %s, %s) but it could not be stored: %s", k.Name, ns.KeyID, ns.Fingerprint, why)
	e.Errorf("the old key %s was not revoked and still works; %q is unchanged. %s Fix the keychain ('meshdrop keys status') and run 'meshdrop keys mint %s' again.",
		k.Fingerprint, k.Name, fate, k.Name)
	return ExitNoKey
}
