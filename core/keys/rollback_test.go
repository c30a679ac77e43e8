package keys

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

var errDiskFull = errors.New("no space left on device (test)")

// When the key list cannot be saved after the keychain changed, the keychain
// is put back: no orphan secret after Add, the old secret after Replace, the
// secret restored after Delete. The key list stays as it was.
func TestKeychainPutBackWhenSaveFails(t *testing.T) {
	requireKeychain(t)
	dir := t.TempDir()
	v := openTest(t, dir)
	s1 := meshyKey()
	k, err := v.Add(providerMeshy, "kept", NewSecret(s1), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, MetadataFile))

	var attemptedIDs []string
	v.save = func(path string, ks []Key) error {
		for _, c := range ks {
			attemptedIDs = append(attemptedIDs, c.ID)
		}
		return errDiskFull
	}
	if _, err := v.Add(providerMeshy, "new", NewSecret(meshyKey()), AddOptions{}); !errors.Is(err, errDiskFull) {
		t.Fatalf("Add with a failing save: %v", err)
	}
	for _, id := range attemptedIDs {
		if id == k.ID {
			continue
		}
		if _, ok := keychainValue(t, id); ok {
			t.Fatalf("Add left an orphan keychain item %s", id)
		}
	}
	if _, err := v.Replace(k.ID, NewSecret(meshyKey())); !errors.Is(err, errDiskFull) {
		t.Fatalf("Replace with a failing save: %v", err)
	}
	if got, _ := keychainValue(t, k.ID); got != s1 {
		t.Fatal("Replace did not put the old secret back")
	}
	if err := v.Delete(k.ID); !errors.Is(err, errDiskFull) {
		t.Fatalf("Delete with a failing save: %v", err)
	}
	if got, ok := keychainValue(t, k.ID); !ok || got != s1 {
		t.Fatal("Delete did not put the secret back")
	}
	after, _ := os.ReadFile(filepath.Join(dir, MetadataFile))
	if string(after) != string(before) {
		t.Fatal("the key list changed")
	}
	if got, ok := v.Get(k.ID); !ok || got.Fingerprint != k.Fingerprint || got.Name != "kept" {
		t.Fatalf("key after failed changes: %+v", got)
	}
	v.save = writeMetadata
	if err := v.Delete(k.ID); err != nil {
		t.Fatal(err)
	}
}
