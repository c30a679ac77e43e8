package keys

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// KeychainService is the service name of every Meshdrop item in the OS
// keychain; the account (user) of an item is the key's ID.
const KeychainService = "meshdrop"

// DefaultKeychainTimeout bounds one keychain call. go-keyring waits without a
// limit for an unlock prompt to be answered; a person typing a password needs
// time, a headless session with no prompter must not hang forever.
const DefaultKeychainTimeout = 90 * time.Second

// probeAccount is looked up (never created) to check that the keychain answers.
const probeAccount = "meshdrop-keychain-probe"

// ErrNoKeychain matches (errors.Is) every error that means the OS keychain
// cannot be used right now: no D-Bus session, no Secret Service, a locked
// collection, a keychain that does not answer. The concrete error is a
// *KeychainError whose message says what to do.
var ErrNoKeychain = errors.New("no usable keychain")

// ErrKeychainLocked matches (errors.Is) the subset of ErrNoKeychain where the
// keychain is there but locked (or has no default collection and could not
// prompt to create one).
var ErrKeychainLocked = errors.New("the keychain is locked")

// ErrSecretMissing: the metadata names a key whose keychain item is gone
// (deleted outside Meshdrop, or another keychain).
var ErrSecretMissing = errors.New("the key's secret is missing from the keychain")

// KeychainError is a keychain failure explained for people. It never holds a
// secret: the underlying error comes from D-Bus or go-keyring, and is scrubbed
// of the secret being stored just in case.
type KeychainError struct {
	Op     string // what Meshdrop was doing: "store a key", "read a key", "delete a key", "reach the keychain"
	Locked bool   // the keychain is there but locked
	Err    error  // the cause, for errors.Is/As and logs
}

func (e *KeychainError) Error() string {
	what := "No keychain is available"
	if e.Locked {
		what = "The keychain is locked"
	}
	return fmt.Sprintf("%s (could not %s: %v). Meshdrop keeps secrets only in the OS keychain, never in a file. "+
		"Start or unlock a Secret Service (GNOME Keyring: gnome-keyring-daemon --unlock --components=secrets; "+
		"KWallet with its Secret Service enabled; or KeePassXC with Secret Service integration on), "+
		"run Meshdrop inside dbus-run-session when there is no D-Bus session (SSH, containers), "+
		"or meanwhile use environment variables (MESHY_API_KEY, TRIPO_API_KEY, RODIN_API_KEY, GENX3D_API_KEY) "+
		"or a session-only key that lives in memory until Meshdrop quits.", what, e.Op, e.Err)
}

// Unwrap gives the cause.
func (e *KeychainError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoKeychain) and, when locked, ErrKeychainLocked true.
func (e *KeychainError) Is(target error) bool {
	return target == ErrNoKeychain || (e.Locked && target == ErrKeychainLocked)
}

// keychain is the secret store behind the vault: go-keyring on the OS
// keychain, each call bounded by a timeout.
type keychain struct {
	service string
	timeout time.Duration
}

var errKeychainTimeout = errors.New("the keychain did not answer (is it waiting for an unlock prompt nobody can see?)")

// call runs f with the timeout. A call that times out is left running in its
// goroutine (go-keyring cannot be cancelled); its result is dropped.
func (k keychain) call(f func() error) error {
	if err := sessionBusKnown(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(k.timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return errKeychainTimeout
	}
}

func (k keychain) set(id string, secret Secret) error {
	err := k.call(func() error { return keyring.Set(k.service, id, secret.Reveal()) })
	return k.explain("store a key", err, secret)
}

func (k keychain) get(id string) (Secret, error) {
	var v string
	err := k.call(func() error {
		var err error
		v, err = keyring.Get(k.service, id)
		return err
	})
	if err != nil {
		return Secret{}, k.explain("read a key", err, Secret{})
	}
	return NewSecret(v), nil
}

func (k keychain) delete(id string) error {
	err := k.call(func() error { return keyring.Delete(k.service, id) })
	return k.explain("delete a key", err, Secret{})
}

// CheckKeychain reports nil when the OS keychain answers, or an error
// matching ErrNoKeychain (and ErrKeychainLocked) saying what to do. It looks
// up an item that does not exist: nothing is created, no prompt is needed
// on an unlocked keychain.
func CheckKeychain() error {
	return keychain{service: KeychainService, timeout: DefaultKeychainTimeout}.check()
}

// check reports nil when the keychain answers (a lookup of an item that does
// not exist comes back "not found"), or a *KeychainError.
func (k keychain) check() error {
	_, err := k.get(probeAccount)
	if errors.Is(err, ErrSecretMissing) {
		return nil
	}
	if err != nil {
		var ke *KeychainError
		if errors.As(err, &ke) {
			ke.Op = "reach the keychain"
		}
	}
	return err
}

// explain turns a go-keyring error into ErrSecretMissing, a size error or a
// *KeychainError, never quoting the secret.
func (k keychain) explain(op string, err error, secret Secret) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrSecretMissing
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("the keychain refused the secret as too long: %w", ErrInvalidSecret)
	}
	msg := err.Error()
	if s := secret.Reveal(); s != "" && strings.Contains(msg, s) {
		err = errors.New(strings.ReplaceAll(msg, s, secret.Fingerprint()))
		msg = err.Error()
	}
	lower := strings.ToLower(msg)
	locked := errors.Is(err, errKeychainTimeout) || strings.Contains(lower, "unlock") || strings.Contains(lower, "islocked") || strings.Contains(lower, "locked")
	return &KeychainError{Op: op, Locked: locked, Err: err}
}
