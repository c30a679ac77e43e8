package jobs

import "meshdrop/core/library"

// NewID returns a new job ID: sortable by creation time, unique, and safe as
// a folder name on every system (e.g. "20261123-094500-3f9a1c2b7d4e"). It is
// the library's, so imported and generated jobs sort together.
func NewID() string { return library.NewID() }

// ValidID reports whether id looks like a job ID (and so is safe in paths).
func ValidID(id string) bool { return library.ValidID(id) }
