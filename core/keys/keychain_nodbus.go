//go:build !(linux || freebsd || netbsd || openbsd || dragonfly)

package keys

// sessionBusKnown: the keychain here (macOS Keychain, Windows Credential
// Manager) needs no D-Bus session.
func sessionBusKnown() error { return nil }
