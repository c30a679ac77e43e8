package app

import (
	"path/filepath"
	"testing"
	"time"

	"meshdrop/core/library"
	"meshdrop/core/settings"
)

// A settings save while the library moves must neither wait for the move
// nor make the move wait for it: SaveSettings holds settingsMu while it
// applies the settings to the open runner, and the move holds the runner
// closed until it has recorded the new place under settingsMu.
func TestSaveSettingsDuringMoveLibrary(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	a := newMoveApp(t, dirs)
	jobs := importModels(t, a, 2)
	if _, err := a.Runner(); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(root, "elsewhere")
	want := a.Current()
	want.ThumbSize = 384

	saved := make(chan error, 1)
	started := false
	moved := make(chan error, 1)
	go func() {
		_, err := a.MoveLibrary(dst, func(library.MoveProgress) error {
			if started {
				return nil
			}
			started = true
			go func() { saved <- a.SaveSettings(want) }()
			// Let the save take settingsMu (or finish) before the move goes on.
			for {
				select {
				case err := <-saved:
					saved <- err
					return nil
				default:
				}
				if !settingsMu.TryLock() {
					return nil
				}
				settingsMu.Unlock()
				time.Sleep(time.Millisecond)
			}
		})
		moved <- err
	}()
	for _, ch := range []chan error{moved, saved} {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("MoveLibrary and SaveSettings wait for each other (deadlock)")
		}
	}
	st, err := settings.Load(dirs.Config)
	if err != nil || st.LibraryDir != dst || st.ThumbSize != 384 {
		t.Fatalf("settings file after both: library_dir %q, thumb size %d, %v", st.LibraryDir, st.ThumbSize, err)
	}
	l, err := a.Library()
	if err != nil || l.Dir() != dst {
		t.Fatalf("library after the move: %v", err)
	}
	checkLibrary(t, l, jobs)
}

// Settings read before a move and saved after it (a form filled in
// earlier) keep the library's new place: only MoveLibrary changes it, and
// a stale library_dir would send the next start to the removed old folder.
func TestSaveSettingsAfterMoveKeepsTheLibraryPlace(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	a := newMoveApp(t, dirs)
	jobs := importModels(t, a, 1)
	stale := a.Current()
	dst := filepath.Join(root, "elsewhere")
	if _, err := a.MoveLibrary(dst, nil); err != nil {
		t.Fatal(err)
	}
	stale.ThumbSize = 384
	if err := a.SaveSettings(stale); err != nil {
		t.Fatal(err)
	}
	if a.Current().LibraryDir != dst {
		t.Fatalf("settings in force: library_dir %q, want %s", a.Current().LibraryDir, dst)
	}
	a.Close()

	b := newMoveApp(t, dirs)
	if b.LibraryDir() != dst || b.Current().ThumbSize != 384 {
		t.Fatalf("next start: library in %s (want %s), thumb size %d", b.LibraryDir(), dst, b.Current().ThumbSize)
	}
	l, err := b.Library()
	if err != nil {
		t.Fatal(err)
	}
	checkLibrary(t, l, jobs)
}
