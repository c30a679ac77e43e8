// Package keys is Meshdrop's named-key vault: several named keys per provider,
// secrets only in the OS keychain (go-keyring, service "meshdrop", the key's ID
// as the account), metadata in a JSON file written atomically, keys from the
// environment shown read-only, and session-only keys when no keychain is usable.
//
// Files: vault.go (the Vault and its operations), keychain.go (the keychain
// calls, their time limit and the typed ErrNoKeychain errors), validate.go
// (name and secret rules, provider key formats), metadata.go (the key list
// file: load, damaged files moved aside, atomic save), env.go (environment
// keys and .env import), secret.go (the Secret type that never prints itself),
// lock_*.go (the file lock that lets the window and the CLI share the list).
//
// Several processes may use one folder: every change takes the file lock,
// re-reads the list, edits it and saves it; reads pick up changes when the
// file's identity, time or size changed. The keychain and the list are kept
// consistent: when the list cannot be saved after the keychain changed, the
// keychain is put back; when the keychain refuses, the list is not touched.
// Keychain items without metadata (a crash between the two writes) cannot be
// found through go-keyring, which has no way to list items; they are harmless
// (named by a random ID) and visible with `secret-tool search service meshdrop`.
package keys
