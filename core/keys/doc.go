// Package keys is Meshdrop's named-key vault: several named keys per provider,
// secrets only in the OS keychain (go-keyring, service "meshdrop", the key's ID
// as the account), metadata in a JSON file written atomically, keys from the
// environment shown read-only, and session-only keys when no keychain is usable.
package keys
