package app

import (
	"fmt"

	"meshdrop/core/library"
	"meshdrop/core/render"
)

const libraryName = "library"

// Library returns the job library in Dirs.Library (settings' LibraryDir
// when the library was moved), opened on first use with
// render.ThumbnailFile as its thumbnailer at the size chosen in Settings. Damaged job files met while
// opening are moved aside by the library; they are logged here and listed
// by its Problems.
func (a *App) Library() (*library.Library, error) {
	v, err := a.Once(libraryName, func() (any, func(), error) {
		size := a.Current().ThumbSize
		if size < 32 || size > 2048 {
			size = render.DefaultThumbSize
		}
		dir, lk, err := a.shareLibrary()
		if err != nil {
			return nil, nil, fmt.Errorf("cannot open the library: %w", err)
		}
		l, err := library.Open(dir, library.Config{
			Thumbnail:     render.ThumbnailFile,
			ThumbnailSize: size,
		})
		if err != nil {
			lk.Unlock()
			return nil, nil, fmt.Errorf("cannot open the library: %w", err)
		}
		if lk != nil {
			libraryLocks.Store(l, lk)
		}
		for _, p := range l.Problems() {
			a.Log.Warn("library", "problem", p.String())
		}
		return l, func() {
			if err := l.Close(); err != nil {
				a.Log.Warn("library", "close", err)
			}
			releaseLibrary(l)
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*library.Library), nil
}
