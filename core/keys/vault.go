package keys

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"meshdrop/core/fsutil"
)

// Source says where a key lives.
type Source string

const (
	SourceKeychain    Source = "keychain"
	SourceEnvironment Source = "environment"
	SourceSession     Source = "session-only"
)

// Key is a key's metadata. It never holds the secret.
type Key struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Provider    string    `json:"provider"`
	Fingerprint string    `json:"fingerprint"`
	Source      Source    `json:"source"`
	Created     time.Time `json:"created"`
	LastUsed    time.Time `json:"last_used,omitzero"`
	Rotated     time.Time `json:"rotated,omitzero"`
	RotateBy    time.Time `json:"rotate_by,omitzero"`
	Note        string    `json:"note,omitempty"`
	TestMode    bool      `json:"test_mode,omitempty"`
	// Warning is set when the secret did not look like the provider's
	// documented format (accepted anyway: providers change formats).
	Warning string `json:"warning,omitempty"`
	// Env is the environment variable of an environment key.
	Env string `json:"env,omitempty"`
}

// ReadOnly reports whether the key cannot be renamed, replaced or deleted in
// Meshdrop (environment keys: change the environment instead).
func (k Key) ReadOnly() bool { return k.Source == SourceEnvironment }

// RotationDue reports whether the key's rotate-by date has passed at now.
func (k Key) RotationDue(now time.Time) bool { return !k.RotateBy.IsZero() && !now.Before(k.RotateBy) }

// ErrNotFound: no key with that ID or name.
var ErrNotFound = errors.New("key not found")

// ErrAmbiguous: a name matches keys of several providers; say which provider.
var ErrAmbiguous = errors.New("several keys have that name")

// lastUsedEvery is how stale the last-used time in the file may get before a
// use writes it again (each write is an fsync; jobs fetch the secret per request).
const lastUsedEvery = time.Minute

// Options tune Open; the zero value is the normal setting.
type Options struct {
	// Getenv reads the environment keys; nil means os.Getenv.
	Getenv func(string) string
	// KeychainTimeout bounds each keychain call; 0 means DefaultKeychainTimeout.
	KeychainTimeout time.Duration
}

// AddOptions are the optional parts of a new key.
type AddOptions struct {
	// SessionOnly keeps the key in memory only, until the process ends; for
	// when there is no keychain or the user does not want the key kept.
	SessionOnly bool
	Note        string
	RotateBy    time.Time
}

// Vault is the named-key store. It is safe for concurrent use, and several
// processes may use the same folder (changes are serialised by a file lock
// and each change re-reads the file first).
type Vault struct {
	path string
	kc   keychain
	now  func() time.Time
	// save writes the key list (writeMetadata; tests make it fail to check
	// that the keychain is put back as it was).
	save func(path string, keys []Key) error

	mu       sync.Mutex
	stored   []Key // keychain keys, as in the metadata file
	stamp    fileStamp
	env      []Key
	envSec   map[string]Secret
	session  []Key
	sessSec  map[string]Secret
	used     map[string]time.Time // last uses seen by this process
	warnings []string
}

// Open opens the vault whose metadata lives in dir, using the OS keychain.
// It does not touch the keychain: listing works without one. A damaged
// metadata file is moved aside and reported in Warnings.
func Open(dir string) (*Vault, error) { return OpenWith(dir, Options{}) }

// OpenWith is Open with options.
func OpenWith(dir string, o Options) (*Vault, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.KeychainTimeout <= 0 {
		o.KeychainTimeout = DefaultKeychainTimeout
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the key folder %s: %w", dir, err)
	}
	v := &Vault{
		path:    filepath.Join(dir, MetadataFile),
		kc:      keychain{service: KeychainService, timeout: o.KeychainTimeout},
		now:     func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
		save:    writeMetadata,
		envSec:  map[string]Secret{},
		sessSec: map[string]Secret{},
		used:    map[string]time.Time{},
	}
	v.loadEnv(o.Getenv)
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.reload(true); err != nil {
		return nil, err
	}
	return v, nil
}

// Warnings are problems met while loading (a damaged key list moved aside, an
// unusable environment variable) that people should see.
func (v *Vault) Warnings() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.warnings)
}

// KeychainStatus reports nil when the OS keychain answers, or an error
// matching ErrNoKeychain (and ErrKeychainLocked) saying what to do.
func (v *Vault) KeychainStatus() error { return v.kc.check() }

// reload re-reads the metadata file when it changed (or always with force).
// Called with v.mu held.
func (v *Vault) reload(force bool) error {
	if !force && statStamp(v.path).same(v.stamp) {
		return nil
	}
	lock, err := fsutil.LockFile(lockPath(filepath.Dir(v.path)))
	if err != nil {
		return fmt.Errorf("cannot lock the key list in %s: %w", filepath.Dir(v.path), err)
	}
	defer lock.Unlock()
	return v.reloadLocked()
}

func (v *Vault) reloadLocked() error {
	keys, stamp, problems, err := readMetadata(v.path)
	if err != nil {
		return err
	}
	v.stored, v.stamp = keys, stamp
	for _, p := range problems {
		v.warn(p)
	}
	return nil
}

// warn records a problem for Warnings once (a list re-read on every call
// must not repeat the same complaint). Called with v.mu held.
func (v *Vault) warn(msg string) {
	if !slices.Contains(v.warnings, msg) {
		v.warnings = append(v.warnings, msg)
	}
}

// begin takes the file lock and re-reads the file, for a change. Called with v.mu held.
func (v *Vault) begin() (*fsutil.Lock, error) {
	lock, err := fsutil.LockFile(lockPath(filepath.Dir(v.path)))
	if err != nil {
		return nil, fmt.Errorf("cannot lock the key list in %s: %w", filepath.Dir(v.path), err)
	}
	if err := v.reloadLocked(); err != nil {
		lock.Unlock()
		return nil, err
	}
	return lock, nil
}

// commit writes keys as the new metadata. Called with v.mu and the file lock held.
func (v *Vault) commit(keys []Key) error {
	if err := v.save(v.path, keys); err != nil {
		return err
	}
	v.stored = keys
	v.stamp = statStamp(v.path)
	return nil
}

func (v *Vault) all() []Key {
	out := make([]Key, 0, len(v.stored)+len(v.env)+len(v.session))
	out = append(out, v.stored...)
	out = append(out, v.env...)
	out = append(out, v.session...)
	for i := range out {
		if t := v.used[out[i].ID]; t.After(out[i].LastUsed) {
			out[i].LastUsed = t
		}
	}
	return out
}

func sortKeys(ks []Key) {
	slices.SortStableFunc(ks, func(a, b Key) int {
		if c := strings.Compare(a.Provider, b.Provider); c != 0 {
			return c
		}
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// List returns every key (keychain, environment and session-only), sorted by provider then name.
func (v *Vault) List() []Key {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.refresh()
	ks := v.all()
	sortKeys(ks)
	return ks
}

// refresh picks up changes made by another process; a failure keeps the
// last good list (and is reported in Warnings). Called with v.mu held.
func (v *Vault) refresh() {
	if err := v.reload(false); err != nil {
		v.warn(err.Error())
	}
}

// Get returns a key's metadata by ID.
func (v *Vault) Get(id string) (Key, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.refresh()
	for _, k := range v.all() {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// Find returns the key of provider with the given name (trimmed; an exact
// match first, else the one whose name differs only in case).
func (v *Vault) Find(provider, name string) (Key, bool) {
	name = strings.TrimSpace(name)
	ks := v.ForProvider(provider)
	for _, k := range ks {
		if k.Name == name {
			return k, true
		}
	}
	for _, k := range ks {
		if strings.EqualFold(k.Name, name) {
			return k, true
		}
	}
	return Key{}, false
}

// ForProvider lists a provider's keys.
func (v *Vault) ForProvider(provider string) []Key {
	var out []Key
	for _, k := range v.List() {
		if k.Provider == provider {
			out = append(out, k)
		}
	}
	return out
}

// Lookup finds a key by name or ID for people typing one: with a provider,
// that provider's key of that name (or ID); without, the one key of any
// provider with that name (ErrAmbiguous when several providers have it) or
// that ID. ErrNotFound otherwise.
func (v *Vault) Lookup(provider, ref string) (Key, error) {
	if provider != "" {
		if k, ok := v.Find(provider, ref); ok {
			return k, nil
		}
		if k, ok := v.Get(ref); ok && k.Provider == provider {
			return k, nil
		}
		return Key{}, fmt.Errorf("%w: no %s key named %q; 'meshdrop keys list' shows the keys", ErrNotFound, provider, strings.TrimSpace(ref))
	}
	name := strings.TrimSpace(ref)
	var hits []Key
	for _, k := range v.List() {
		if k.Name == name {
			hits = append(hits, k)
		}
	}
	if len(hits) == 0 {
		for _, k := range v.List() {
			if strings.EqualFold(k.Name, name) {
				hits = append(hits, k)
			}
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		if k, ok := v.Get(ref); ok {
			return k, nil
		}
		return Key{}, fmt.Errorf("%w: no key named %q; 'meshdrop keys list' shows the keys", ErrNotFound, name)
	}
	var ps []string
	for _, k := range hits {
		ps = append(ps, k.Provider)
	}
	return Key{}, fmt.Errorf("%w: %q is a key of %s; say which provider", ErrAmbiguous, name, strings.Join(ps, " and "))
}

// Secret fetches a key's secret for use and records the use.
func (v *Vault) Secret(id string) (Secret, error) {
	v.mu.Lock()
	v.refresh()
	var k Key
	found := false
	for _, c := range v.all() {
		if c.ID == id {
			k, found = c, true
			break
		}
	}
	var s Secret
	switch {
	case !found:
	case k.Source == SourceEnvironment:
		s = v.envSec[id]
	case k.Source == SourceSession:
		s = v.sessSec[id]
	}
	v.mu.Unlock()
	if !found {
		return Secret{}, fmt.Errorf("%w: no key with ID %s (deleted?)", ErrNotFound, id)
	}
	if k.Source == SourceKeychain {
		var err error
		s, err = v.kc.get(id)
		if errors.Is(err, ErrSecretMissing) {
			return Secret{}, fmt.Errorf("key %q (%s, %s): %w; replace its secret or delete the key in Keys", k.Name, k.Provider, k.Fingerprint, err)
		}
		if err != nil {
			return Secret{}, fmt.Errorf("key %q (%s): %w", k.Name, k.Provider, err)
		}
	}
	v.recordUse(k)
	return s, nil
}

// recordUse notes a use in memory, and in the file when the stored time is stale.
func (v *Vault) recordUse(k Key) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	v.used[k.ID] = now
	if k.Source != SourceKeychain {
		return
	}
	i := slices.IndexFunc(v.stored, func(c Key) bool { return c.ID == k.ID })
	if i >= 0 && now.Sub(v.stored[i].LastUsed) < lastUsedEvery {
		return
	}
	lock, err := v.begin()
	if err != nil {
		v.warn("could not record a key's last use: " + err.Error())
		return
	}
	defer lock.Unlock()
	ks := slices.Clone(v.stored)
	i = slices.IndexFunc(ks, func(c Key) bool { return c.ID == k.ID })
	if i < 0 {
		return // deleted meanwhile
	}
	ks[i].LastUsed = now
	if err := v.commit(ks); err != nil {
		v.warn("could not record a key's last use: " + err.Error())
	}
}

// nameTaken reports whether provider already has a key called name (any
// case), other than the key except. Called with v.mu held.
func (v *Vault) nameTaken(provider, name, except string) bool {
	for _, k := range v.all() {
		if k.Provider == provider && k.ID != except && strings.EqualFold(k.Name, name) {
			return true
		}
	}
	return false
}

func takenErr(provider, name string) error {
	return fmt.Errorf("%w: %s already has a key named %q; choose another name", ErrNameTaken, provider, name)
}

// Add stores a new key: the secret in the OS keychain (or in memory with
// opts.SessionOnly), the metadata in the key list. A secret that does not look
// like the provider's format is accepted and the returned key's Warning says
// so. Without a usable keychain the error matches ErrNoKeychain and nothing
// is stored.
func (v *Vault) Add(provider, name string, secret Secret, opts AddOptions) (Key, error) {
	if err := CheckProvider(provider); err != nil {
		return Key{}, err
	}
	name, err := CleanName(name)
	if err != nil {
		return Key{}, err
	}
	clean, warning, testMode, err := CheckSecret(provider, secret)
	if err != nil {
		return Key{}, err
	}
	now := v.now()
	k := Key{
		Name: name, Provider: provider, Fingerprint: clean.Fingerprint(), Created: now,
		RotateBy: opts.RotateBy.UTC(), Note: strings.TrimSpace(opts.Note), TestMode: testMode, Warning: warning,
	}
	if opts.RotateBy.IsZero() {
		k.RotateBy = time.Time{}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if opts.SessionOnly {
		v.refresh()
		if v.nameTaken(provider, name, "") {
			return Key{}, takenErr(provider, name)
		}
		k.ID, k.Source = "session-"+randomHex(), SourceSession
		v.session = append(v.session, k)
		v.sessSec[k.ID] = clean
		return k, nil
	}
	lock, err := v.begin()
	if err != nil {
		return Key{}, err
	}
	defer lock.Unlock()
	if v.nameTaken(provider, name, "") {
		return Key{}, takenErr(provider, name)
	}
	k.ID, k.Source = "key-"+randomHex(), SourceKeychain
	if err := v.kc.set(k.ID, clean); err != nil {
		return Key{}, fmt.Errorf("could not add key %q: %w", name, err)
	}
	if err := v.commit(append(slices.Clone(v.stored), k)); err != nil {
		if derr := v.kc.delete(k.ID); derr != nil {
			return Key{}, fmt.Errorf("%w; and the secret just stored could not be removed from the keychain again (item %s, service %s): %v", err, k.ID, KeychainService, derr)
		}
		return Key{}, err
	}
	return k, nil
}

// change applies edit to the key id (a keychain or session-only key) under
// the locks. Environment keys are read-only.
func (v *Vault) change(id string, edit func(k *Key) error) (Key, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if i := slices.IndexFunc(v.session, func(k Key) bool { return k.ID == id }); i >= 0 {
		k := v.session[i]
		if err := edit(&k); err != nil {
			return Key{}, err
		}
		v.session[i] = k
		return k, nil
	}
	if i := slices.IndexFunc(v.env, func(k Key) bool { return k.ID == id }); i >= 0 {
		return Key{}, readOnlyErr(v.env[i])
	}
	lock, err := v.begin()
	if err != nil {
		return Key{}, err
	}
	defer lock.Unlock()
	ks := slices.Clone(v.stored)
	i := slices.IndexFunc(ks, func(k Key) bool { return k.ID == id })
	if i < 0 {
		return Key{}, fmt.Errorf("%w: no key with ID %s (deleted?)", ErrNotFound, id)
	}
	if err := edit(&ks[i]); err != nil {
		return Key{}, err
	}
	if err := v.commit(ks); err != nil {
		return Key{}, err
	}
	return ks[i], nil
}

func readOnlyErr(k Key) error {
	return fmt.Errorf("%w: %q comes from the environment variable %s; change or unset the variable, or import it with 'meshdrop keys import-env'", ErrReadOnly, k.Name, k.Env)
}

// Rename gives the key a new name (unique for its provider). The keychain is
// not touched: its item is named by the key's ID.
func (v *Vault) Rename(id, newName string) (Key, error) {
	name, err := CleanName(newName)
	if err != nil {
		return Key{}, err
	}
	return v.change(id, func(k *Key) error {
		if v.nameTaken(k.Provider, name, k.ID) {
			return takenErr(k.Provider, name)
		}
		k.Name = name
		return nil
	})
}

// SetNote sets the key's note ("" clears it).
func (v *Vault) SetNote(id, note string) (Key, error) {
	note = strings.TrimSpace(note)
	return v.change(id, func(k *Key) error { k.Note = note; return nil })
}

// SetRotateBy sets the date by which the key should be rotated (zero clears it).
func (v *Vault) SetRotateBy(id string, t time.Time) (Key, error) {
	if !t.IsZero() {
		t = t.UTC()
	}
	return v.change(id, func(k *Key) error { k.RotateBy = t; return nil })
}

// Replace puts a new secret in the key (rotation) and records when. If the
// key list cannot be saved afterwards, the old secret is put back.
func (v *Vault) Replace(id string, secret Secret) (Key, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if i := slices.IndexFunc(v.session, func(k Key) bool { return k.ID == id }); i >= 0 {
		k := v.session[i]
		clean, warning, testMode, err := CheckSecret(k.Provider, secret)
		if err != nil {
			return Key{}, err
		}
		k.Fingerprint, k.Warning, k.TestMode, k.Rotated = clean.Fingerprint(), warning, testMode, v.now()
		v.session[i], v.sessSec[id] = k, clean
		return k, nil
	}
	if i := slices.IndexFunc(v.env, func(k Key) bool { return k.ID == id }); i >= 0 {
		return Key{}, readOnlyErr(v.env[i])
	}
	lock, err := v.begin()
	if err != nil {
		return Key{}, err
	}
	defer lock.Unlock()
	ks := slices.Clone(v.stored)
	i := slices.IndexFunc(ks, func(k Key) bool { return k.ID == id })
	if i < 0 {
		return Key{}, fmt.Errorf("%w: no key with ID %s (deleted?)", ErrNotFound, id)
	}
	k := &ks[i]
	clean, warning, testMode, err := CheckSecret(k.Provider, secret)
	if err != nil {
		return Key{}, err
	}
	old, err := v.kc.get(id)
	if err != nil && !errors.Is(err, ErrSecretMissing) {
		return Key{}, fmt.Errorf("could not replace the secret of %q: %w", k.Name, err)
	}
	if err := v.kc.set(id, clean); err != nil {
		return Key{}, fmt.Errorf("could not replace the secret of %q: %w", k.Name, err)
	}
	k.Fingerprint, k.Warning, k.TestMode, k.Rotated = clean.Fingerprint(), warning, testMode, v.now()
	if err := v.commit(ks); err != nil {
		var rerr error
		if old.IsZero() {
			rerr = v.kc.delete(id)
		} else {
			rerr = v.kc.set(id, old)
		}
		if rerr != nil {
			pb := &PutBackError{ID: id, Name: k.Name, NewFingerprint: clean.Fingerprint(), SaveErr: err, PutBackErr: rerr}
			if !old.IsZero() {
				pb.OldFingerprint = old.Fingerprint()
			}
			return Key{}, pb
		}
		return Key{}, fmt.Errorf("%w; the old secret was kept", err)
	}
	return *k, nil
}

// PutBackError is Replace's error when the key list could not be saved and
// the old secret could not be put back either: the keychain holds the NEW
// secret while the key list still describes the old one. Whoever made the
// new secret must not throw it away (revoke it) on the strength of the
// error alone: it is the one in the keychain now.
type PutBackError struct {
	ID, Name       string
	NewFingerprint string // the secret in the keychain now
	OldFingerprint string // the secret the key list still describes ("" when the keychain had none)
	SaveErr        error  // why the key list could not be saved
	PutBackErr     error  // why the old secret could not be put back
}

func (e *PutBackError) Error() string {
	return fmt.Sprintf("the keychain now holds the new secret %s of %q, but the key list could not be saved (%v) and the old secret could not be put back (%v)", e.NewFingerprint, e.Name, e.SaveErr, e.PutBackErr)
}

// Unwrap gives both causes, so errors.Is finds a locked keychain, say.
func (e *PutBackError) Unwrap() []error { return []error{e.SaveErr, e.PutBackErr} }

// Delete removes the key: its keychain item and its metadata together. If
// the keychain refuses (locked, unreachable), nothing is changed and the
// error says so; if the item was already gone, the metadata is removed.
func (v *Vault) Delete(id string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if i := slices.IndexFunc(v.session, func(k Key) bool { return k.ID == id }); i >= 0 {
		v.session = slices.Delete(v.session, i, i+1)
		delete(v.sessSec, id)
		delete(v.used, id)
		return nil
	}
	if i := slices.IndexFunc(v.env, func(k Key) bool { return k.ID == id }); i >= 0 {
		return readOnlyErr(v.env[i])
	}
	lock, err := v.begin()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	ks := slices.Clone(v.stored)
	i := slices.IndexFunc(ks, func(k Key) bool { return k.ID == id })
	if i < 0 {
		return fmt.Errorf("%w: no key with ID %s (already deleted?)", ErrNotFound, id)
	}
	k := ks[i]
	// Read the secret first so that it can be put back if the key list
	// cannot be saved; this also finds a locked keychain before anything changes.
	old, err := v.kc.get(id)
	if err != nil && !errors.Is(err, ErrSecretMissing) {
		return fmt.Errorf("could not delete key %q: the keychain refused, so nothing was changed: %w", k.Name, err)
	}
	if !old.IsZero() {
		if err := v.kc.delete(id); err != nil && !errors.Is(err, ErrSecretMissing) {
			return fmt.Errorf("could not delete key %q: the keychain refused to delete its secret, so the key was kept: %w", k.Name, err)
		}
	}
	if err := v.commit(slices.Delete(ks, i, i+1)); err != nil {
		if !old.IsZero() {
			if rerr := v.kc.set(id, old); rerr != nil {
				return fmt.Errorf("%w; and its secret, already deleted from the keychain, could not be put back: %v", err, rerr)
			}
		}
		return fmt.Errorf("%w; the key was kept", err)
	}
	delete(v.used, id)
	return nil
}

func randomHex() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("keys: no randomness: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b[:])
}

// validID accepts the IDs Meshdrop makes (key-…, session-…, env-…): letters,
// digits, '-' and '_', at most 80 characters.
func validID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
