package library

import (
	"path/filepath"
	"testing"
)

// BenchmarkMoveCopy100Jobs copies (fsync per file, then reads back and
// checks) a 100-job library to another folder and back, per op one way.
func BenchmarkMoveCopy100Jobs(b *testing.B) {
	root := b.TempDir()
	a, c := filepath.Join(root, "a"), filepath.Join(root, "c")
	movedLibrary(b, a, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := Move(a, c, MoveOptions{ForceCopy: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Finish(); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(m.Bytes)
		a, c = c, a
	}
}

// BenchmarkMoveRename100Jobs is the same move on one disk (a rename).
func BenchmarkMoveRename100Jobs(b *testing.B) {
	root := b.TempDir()
	a, c := filepath.Join(root, "a"), filepath.Join(root, "c")
	movedLibrary(b, a, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := Move(a, c, MoveOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Finish(); err != nil {
			b.Fatal(err)
		}
		a, c = c, a
	}
}
