package keys

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeManyKeys writes a key list of n keys (metadata only; no keychain items).
func writeManyKeys(b *testing.B, dir string, n int) {
	ks := make([]Key, n)
	for i := range ks {
		ks[i] = Key{ID: fmt.Sprintf("key-%08d", i), Name: fmt.Sprintf("client %d", i), Provider: KeyedProviders[i%len(KeyedProviders)],
			Fingerprint: "msy_…abcd", Source: SourceKeychain, Created: time.Now().UTC()}
	}
	if err := writeMetadata(filepath.Join(dir, MetadataFile), ks); err != nil {
		b.Fatal(err)
	}
}

// Opening a vault with 1,000 keys (read, parse, validate the key list).
func BenchmarkOpen1000(b *testing.B) {
	dir := b.TempDir()
	writeManyKeys(b, dir, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OpenWith(dir, Options{Getenv: noEnv}); err != nil {
			b.Fatal(err)
		}
	}
}

// ForProvider on 1,000 keys: what the runner and the Keys screen call often.
func BenchmarkForProvider1000(b *testing.B) {
	dir := b.TempDir()
	writeManyKeys(b, dir, 1000)
	v, err := OpenWith(dir, Options{Getenv: noEnv})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(v.ForProvider(providerMeshy)) != 250 {
			b.Fatal("wrong count")
		}
	}
}

// Secret from the real keychain (one D-Bus round trip series per call).
func BenchmarkSecretKeychain(b *testing.B) {
	requireKeychain(b)
	v, err := OpenWith(b.TempDir(), Options{Getenv: noEnv})
	if err != nil {
		b.Fatal(err)
	}
	k, err := v.Add(providerMeshy, "bench", NewSecret(meshyKey()), AddOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Delete(k.ID)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Secret(k.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// Add then Delete through the real keychain, with the key list saved each time.
func BenchmarkAddDeleteKeychain(b *testing.B) {
	requireKeychain(b)
	dir := b.TempDir()
	v, err := OpenWith(dir, Options{Getenv: noEnv})
	if err != nil {
		b.Fatal(err)
	}
	s := NewSecret(meshyKey())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		k, err := v.Add(providerMeshy, fmt.Sprintf("bench %d", i), s, AddOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Delete(k.ID); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, MetadataFile)); err != nil {
		b.Fatal(err)
	}
}
