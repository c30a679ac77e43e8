package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"meshdrop/core/fsutil"
	"meshdrop/core/library"
	"meshdrop/core/paths"
	"meshdrop/core/settings"
)

// pendingMoveFile in Dirs.Data names the folder a library move is putting
// the library in. It is written before anything moves and removed once the
// new place is recorded in the settings (or the move failed). On one disk
// the move is a rename, which takes the library out of its recorded folder
// at once: a process that ends between the rename and the settings write
// leaves this file as the only note of where the library went, and the
// next NewAt records that place (recoverPendingMove).
const pendingMoveFile = "library.moving"

// pendingMoveTo starts the line naming the target in pendingMoveFile.
const pendingMoveTo = "to="

func writePendingMove(data, dst string) error {
	text := "Meshdrop is moving its library; if this file is still here after the move, the next start finishes it.\n" + pendingMoveTo + dst + "\n"
	if err := fsutil.WriteFileAtomic(filepath.Join(data, pendingMoveFile), []byte(text), 0o600); err != nil {
		return fmt.Errorf("the library was not moved: cannot write in %s (%w); check that folder is writable", data, err)
	}
	return nil
}

func clearPendingMove(data string) {
	if err := os.Remove(filepath.Join(data, pendingMoveFile)); err == nil {
		fsutil.SyncDir(data)
	}
}

// recoverPendingMove finishes a move whose process ended after the library
// left its recorded folder (a rename) but before the new place was
// recorded: the recorded folder is missing or empty (NewAt re-creates the
// default one), and the target named in pendingMoveFile is not empty and
// has no copy-in-progress marker. It records the target in st and the
// settings file and returns a warning for people; "" when there was
// nothing to finish. Another process moving the library, or holding it
// open, leaves the file alone.
func recoverPendingMove(dirs *paths.Dirs, st *settings.Settings) string {
	data, err := os.ReadFile(filepath.Join(dirs.Data, pendingMoveFile))
	if err != nil {
		return ""
	}
	to := ""
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, pendingMoveTo); ok {
			to = filepath.Clean(v)
		}
	}
	lk, busy, err := fsutil.TryLock(filepath.Join(dirs.Data, libraryLockFile), true)
	if busy || err != nil {
		return "" // a move running now, or the library open elsewhere
	}
	defer lk.Unlock()
	if to == "." || !filepath.IsAbs(to) || to == dirs.Library || !emptyOrMissing(dirs.Library) {
		clearPendingMove(dirs.Data) // recorded, never moved, or undone: the recorded folder holds the library
		return ""
	}
	if fi, err := os.Stat(to); err != nil || !fi.IsDir() || emptyOrMissing(to) {
		// Nothing went there (an empty target is only the folder made
		// before the rename): the library is where it is recorded, perhaps
		// on a disk not connected now.
		clearPendingMove(dirs.Data)
		return ""
	}
	if _, err := os.Stat(filepath.Join(to, library.MovingMarker)); err == nil {
		clearPendingMove(dirs.Data) // a copy cut short: the old folder is the library
		return ""
	}
	rec := *st
	rec.LibraryDir = to
	if to == filepath.Join(dirs.Data, defaultLibraryName) {
		rec.LibraryDir = ""
	}
	*st = rec
	dirs.Library = to
	if err := settings.Save(dirs.Config, rec); err != nil {
		// Kept: the next start tries to record the place again.
		return fmt.Sprintf("an earlier library move to %s stopped before the new place was saved, and it still cannot be saved (%v): the library is used there for now; make the settings folder %s writable", to, err, dirs.Config)
	}
	clearPendingMove(dirs.Data)
	return fmt.Sprintf("an earlier library move to %s stopped before the new place was saved; the library is used there now", to)
}

// emptyOrMissing reports whether dir holds nothing (or is not there).
func emptyOrMissing(dir string) bool {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	return err == nil && len(ents) == 0
}
