// Package logging sets up Meshdrop's structured log: log/slog to a size-capped
// file in the data folder, and to stderr as well when asked (-v).
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// DefaultMaxBytes caps the log file; when it is reached the file is moved to
// meshdrop.log.1 (replacing the older one) and a new file is started.
const DefaultMaxBytes = 4 << 20

// FileName is the log file's name inside the logs folder.
const FileName = "meshdrop.log"

// Setup opens the log in dir and returns a logger writing JSON lines there,
// plus text on stderr when verbose. Close the returned closer on exit.
func Setup(dir string, verbose bool) (*slog.Logger, io.Closer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	w, err := OpenCapped(filepath.Join(dir, FileName), DefaultMaxBytes)
	if err != nil {
		return nil, nil, err
	}
	var h slog.Handler = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})
	if verbose {
		h = fanout{h, slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})}
	}
	return slog.New(h), w, nil
}

// Capped is an io.Writer to a file that rotates once it passes a size.
type Capped struct {
	mu   sync.Mutex
	path string
	max  int64
	f    *os.File
	size int64
}

// OpenCapped opens (appending) a size-capped log file.
func OpenCapped(path string, max int64) (*Capped, error) {
	c := &Capped{path: path, max: max}
	if err := c.open(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Capped) open() error {
	f, err := os.OpenFile(c.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	c.f, c.size = f, st.Size()
	return nil
}

// Write appends p, rotating first if p would take the file past its cap.
func (c *Capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return 0, os.ErrClosed
	}
	if c.size > 0 && c.size+int64(len(p)) > c.max {
		c.f.Close()
		_ = os.Rename(c.path, c.path+".1")
		if err := c.open(); err != nil {
			c.f = nil
			return 0, err
		}
	}
	n, err := c.f.Write(p)
	c.size += int64(n)
	return n, err
}

// Close closes the file.
func (c *Capped) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}

type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var first error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (f fanout) WithAttrs(a []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(a)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
