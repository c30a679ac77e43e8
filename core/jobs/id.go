package jobs

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// NewID returns a new job ID: sortable by creation time, unique, and safe as
// a folder name on every system (e.g. "20261123-094500-3f9a1c2b7d4e").
func NewID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405-") + hex.EncodeToString(b[:])
}

// ValidID reports whether id looks like a job ID (and so is safe in paths).
func ValidID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
