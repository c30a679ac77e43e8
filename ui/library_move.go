package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/app"
	"meshdrop/core/library"
)

// libraryFolderName is the folder made for the library inside a chosen
// folder that already holds other things.
const libraryFolderName = "Meshdrop library"

// moveTarget is where the library goes for the folder people picked: that
// folder when it is new or empty (or holds a copy cut short, or is the
// library itself: the move then says it is already there), else a
// "Meshdrop library" folder inside it, so that choosing "Documents" works.
func moveTarget(picked, current string) string {
	if filepath.Clean(picked) == filepath.Clean(current) {
		return picked
	}
	ents, err := os.ReadDir(picked)
	if err != nil || len(ents) == 0 {
		return picked
	}
	if _, err := os.Stat(filepath.Join(picked, library.MovingMarker)); err == nil {
		return picked
	}
	return filepath.Join(picked, libraryFolderName)
}

// onMoveLibrary is the "Move…" button: a folder, a confirmation, the move.
func (s *settingsScreen) onMoveLibrary() {
	if s.core == nil {
		return
	}
	if n := s.runningHere(); n > 0 {
		s.message.SetText(fmt.Sprintf("The library was not moved: %s. Wait for them or cancel them in Jobs, then move.", plural(n, "job is running", "jobs are running")))
		return
	}
	start := filepath.Dir(s.core.LibraryDir())
	chooseFolder(s.mw.win, "Choose where to keep the library", start, func(picked string) {
		s.confirmMove(moveTarget(picked, s.core.LibraryDir()))
	})
}

// runningHere counts the jobs this window's runner drives.
func (s *settingsScreen) runningHere() int {
	if s.svc == nil || s.svc.Runner == nil {
		return 0
	}
	return len(s.svc.Runner.Active())
}

// confirmMove says what will happen and moves on "Move".
func (s *settingsScreen) confirmMove(dst string) {
	text := widget.NewLabel(fmt.Sprintf("Every model, with its inputs, thumbnail and record, moves from\n%s\nto\n%s\n\n"+
		"On the same disk this is instant. Onto another disk the files are copied and checked first, "+
		"and the old folder is removed only once the copy is complete; if anything goes wrong the library stays where it is.",
		s.core.LibraryDir(), dst))
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Move the library?", "Move", "Cancel", text, func(ok bool) {
		if ok {
			s.moveLibrary(dst, nil)
		}
	}, s.mw.win)
	d.Resize(fyne.NewSize(560, 320))
	d.Show()
}

// moveLibrary moves the library to dst with a progress dialog (UI
// goroutine). The move runs in the background; the screens let go of the
// library and runner first and are bound to the re-opened ones after, at
// the new place or (on failure) the old one. done, when set, runs on the
// UI goroutine at the end with the move's error.
func (s *settingsScreen) moveLibrary(dst string, done func(error)) {
	core, mw := s.core, s.mw
	if core == nil {
		return
	}
	status := widget.NewLabel("Getting ready…")
	status.Wrapping = fyne.TextWrapWord
	bar := widget.NewProgressBar()
	prog := dialog.NewCustomWithoutButtons("Moving the library", container.NewVBox(status, bar), mw.win)
	prog.Resize(fyne.NewSize(480, 160))
	prog.Show()
	if s.moveBtn != nil {
		s.moveBtn.Disable()
	}
	s.saveBtn.Disable()
	s.message.SetText("Moving the library to " + dst + "…")
	// The screens stop listening to the runner and library about to close.
	mw.jobs.stop()
	mw.gallery.stop()
	before := s.svc
	go func() {
		lastPhase, lastPct := library.MovePhase(""), -1
		res, err := core.MoveLibrary(dst, func(p library.MoveProgress) error {
			pct := int(p.Fraction() * 100)
			if p.Phase == lastPhase && pct == lastPct {
				return nil // one redraw per percent
			}
			lastPhase, lastPct = p.Phase, pct
			text := capitalize(p.String()) + "…"
			frac := p.Fraction()
			fyne.Do(func() {
				status.SetText(text)
				bar.SetValue(frac)
			})
			return nil
		})
		svc := before
		if err == nil || !stillOpen(core, before) {
			svc = openServices(core)
		}
		fyne.Do(func() {
			prog.Hide()
			mw.bind(svc)
			if err != nil {
				msg := moveErrorText(err)
				s.message.SetText(msg)
				dialog.ShowError(errors.New(msg), mw.win)
			} else {
				s.message.SetText(moveDoneText(res))
				if len(res.Warnings) > 0 {
					dialog.ShowInformation("The library was moved, with notes", strings.Join(res.Warnings, "\n"), mw.win)
				}
			}
			if done != nil {
				done(err)
			}
		})
	}()
}

// stillOpen reports whether the core's library and runner are the ones
// svc holds (a move refused before anything was closed): the screens are
// then bound to them again rather than to newly opened services, which
// would start a second library watch.
func stillOpen(core *app.App, svc *services) bool {
	if svc == nil || svc.Library == nil || svc.Runner == nil {
		return false
	}
	l, lerr := core.Library()
	r, rerr := core.Runner()
	return lerr == nil && rerr == nil && l == svc.Library && svc.Runner == jobRunner(r)
}

// moveErrorText is a failed move in plain words: what happened, where the
// library is, what to do (the core's messages say the last two).
func moveErrorText(err error) string {
	msg := err.Error()
	if errors.Is(err, app.ErrJobsRunning) || errors.Is(err, app.ErrLibraryInUse) {
		// The core's text says what to do; drop the sentinel's repetition.
		msg, _, _ = strings.Cut(msg, ": "+app.ErrJobsRunning.Error())
		msg, _, _ = strings.Cut(msg, ": "+app.ErrLibraryInUse.Error())
	}
	return "The library was not moved: " + msg
}

func moveDoneText(res app.MoveResult) string {
	if res.Copied {
		return fmt.Sprintf("The library is now in %s (%d files, %s copied and checked; the old folder was removed).", res.To, res.Files, library.HumanBytes(res.Bytes))
	}
	return "The library is now in " + res.To + "."
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
