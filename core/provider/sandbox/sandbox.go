// Package sandbox is Meshdrop's own offline provider: no key, no network. A
// prompt becomes a procedural textured model built from its words (shapes,
// colours, materials); an image becomes a relief plate textured with it. It
// behaves like a remote service — a short queue, progress, failure when the
// prompt says "fail", results fetched as files — and every GLB it writes is
// meant to pass the Khronos glTF validator. Tasks survive a restart: the task
// ID carries the seed, start time and pace, the prompt travels in the
// TaskRef and the model URL, and input images are kept in Config.StateDir.
package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"meshdrop/core/meshio"
	"meshdrop/core/provider"
)

// By default a simulated task takes between MinPace and MinPace+PaceSpread
// from create to done, the same for the same request.
const (
	MinPace    = 4 * time.Second
	PaceSpread = 2 * time.Second
)

// Simulated timeline, as fractions of the pace: queued until queueEnd
// (position 2 then 1), running after; a "fail" prompt fails at failAt.
const (
	queueEnd = 0.25
	failAt   = 0.6
)

// MaxImageBytes is the largest input image accepted.
const MaxImageBytes = 20 << 20

// Option names.
const (
	OptSeed   = "seed"
	OptDetail = "detail"
)

// Extra keys in provider.TaskRef and query keys of a model URL.
const (
	extraPrompt = "prompt"
	extraDetail = "detail"
)

// urlScheme marks the sandbox's own result URLs; Fetch builds the file.
const urlScheme = "sandbox"

// displayName is the provider's name in messages.
const displayName = "Sandbox"

// Config configures the sandbox.
type Config struct {
	// Pace is how long every task takes (0: 4–6 s, picked per request).
	// Tests use milliseconds.
	Pace time.Duration
	// PollEvery is how often Watch reports (0: Pace/10, at least 10 ms).
	PollEvery time.Duration
	// StateDir keeps input images and cancellations so tasks survive a
	// restart. Empty: kept in memory only (a text task still resumes, since
	// everything it needs is in its ID and TaskRef; an image task does not).
	StateDir string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Sandbox is the offline provider. Safe for concurrent use.
type Sandbox struct {
	cfg Config

	mu        sync.Mutex
	images    map[string][]byte // task ID → input image, when there is no StateDir
	cancelled map[string]bool
}

var _ provider.Provider = (*Sandbox)(nil)

// New makes the sandbox.
func New(cfg Config) *Sandbox {
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 500 * time.Millisecond
		if cfg.Pace > 0 {
			cfg.PollEvery = max(cfg.Pace/10, 10*time.Millisecond)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sandbox{cfg: cfg, images: map[string][]byte{}, cancelled: map[string]bool{}}
}

// ID implements provider.Provider.
func (s *Sandbox) ID() string { return provider.Sandbox }

// DisplayName implements provider.Provider.
func (s *Sandbox) DisplayName() string { return displayName }

// Capabilities implements provider.Provider.
func (s *Sandbox) Capabilities() provider.Capabilities {
	return provider.Capabilities{
		Modes:         []provider.Mode{provider.ModeText, provider.ModeImage},
		PromptMaxLen:  1000,
		MaxImages:     1,
		ImageTypes:    []string{"image/png", "image/jpeg", "image/webp"},
		MaxImageBytes: MaxImageBytes,
		Options: []provider.Option{
			{Name: OptSeed, Label: "Seed", Type: provider.OptInt, Min: provider.Float(0), Max: provider.Float(4294967295),
				Help: "the same prompt and seed give the same model; empty: picked from the prompt", Modes: []provider.Mode{provider.ModeText}},
			{Name: OptDetail, Label: "Detail", Type: provider.OptEnum, Default: DetailMedium,
				Choices: []string{DetailLow, DetailMedium, DetailHigh}, Help: "how finely curves are cut and how large textures are"},
		},
		CanCancel:     true,
		PollEvery:     s.cfg.PollEvery,
		MaxConcurrent: 4,
	}
}

// task is what a sandbox task ID says.
type task struct {
	Mode  provider.Mode
	Seed  uint64
	Start time.Time
	Pace  time.Duration
	Hash  string // first 16 hex digits of sha256 of the prompt or image
}

const idPrefix = "sbx1"

// String is the task ID: sbx1.<t|i>.<seed>.<start ms>.<pace ms>.<hash>.
func (t task) String() string {
	m := "t"
	if t.Mode == provider.ModeImage {
		m = "i"
	}
	return fmt.Sprintf("%s.%s.%d.%d.%d.%s", idPrefix, m, t.Seed, t.Start.UnixMilli(), t.Pace.Milliseconds(), t.Hash)
}

// parseTask reads a task ID.
func parseTask(id string) (task, error) {
	f := strings.Split(id, ".")
	if len(f) != 6 || f[0] != idPrefix {
		return task{}, errors.New("not a sandbox task ID")
	}
	var t task
	switch f[1] {
	case "t":
		t.Mode = provider.ModeText
	case "i":
		t.Mode = provider.ModeImage
	default:
		return task{}, errors.New("unknown task mode")
	}
	seed, err1 := strconv.ParseUint(f[2], 10, 64)
	start, err2 := strconv.ParseInt(f[3], 10, 64)
	pace, err3 := strconv.ParseInt(f[4], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return task{}, fmt.Errorf("bad number in task ID: %w", err)
	}
	if pace < 0 || pace > int64(24*time.Hour/time.Millisecond) {
		return task{}, errors.New("task pace out of range")
	}
	if len(f[5]) != 16 {
		return task{}, errors.New("bad hash in task ID")
	}
	if _, err := hex.DecodeString(f[5]); err != nil {
		return task{}, errors.New("bad hash in task ID")
	}
	t.Seed, t.Start, t.Pace, t.Hash = seed, time.UnixMilli(start), time.Duration(pace)*time.Millisecond, f[5]
	return t, nil
}

func hash16(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

func (s *Sandbox) errorf(kind provider.ErrKind, field, format string, a ...any) *provider.Error {
	return &provider.Error{Kind: kind, Provider: displayName, Field: field, Message: fmt.Sprintf(format, a...)}
}

// Create implements provider.Provider. Nothing is sent anywhere: the task
// starts now and its ID says everything Status needs.
func (s *Sandbox) Create(_ context.Context, _ provider.Credential, req provider.Request) (provider.TaskRef, error) {
	mode := req.Mode
	if mode == "" {
		mode = provider.ModeText
		if len(req.Images) > 0 {
			mode = provider.ModeImage
		}
	}
	caps := s.Capabilities()
	if err := caps.ValidateOptions(displayName, mode, req.Options); err != nil {
		return provider.TaskRef{}, err
	}
	detail := req.Options[OptDetail]
	if detail == "" {
		detail = DetailMedium
	}
	t := task{Mode: mode, Start: s.cfg.Now().Truncate(time.Millisecond), Pace: s.cfg.Pace.Round(time.Millisecond)}
	ref := provider.TaskRef{Extra: map[string]string{extraDetail: detail}}
	switch mode {
	case provider.ModeText:
		prompt := strings.TrimSpace(req.Prompt)
		if prompt == "" {
			return provider.TaskRef{}, s.errorf(provider.ErrInvalidInput, "prompt", "the prompt is empty: describe a shape, a colour and a material, e.g. \"a red wooden cube\"")
		}
		if n := len([]rune(prompt)); n > caps.PromptMaxLen {
			return provider.TaskRef{}, s.errorf(provider.ErrInvalidInput, "prompt", "the prompt is %d characters; at most %d", n, caps.PromptMaxLen)
		}
		t.Seed = seedFor(prompt)
		if v, ok := provider.OptIntValue(req.Options, OptSeed); ok {
			t.Seed = uint64(v)
		}
		t.Hash = hash16([]byte(prompt))
		ref.Extra[extraPrompt] = prompt
	case provider.ModeImage:
		if len(req.Images) != 1 {
			return provider.TaskRef{}, s.errorf(provider.ErrInvalidInput, "images", "the Sandbox takes exactly one image, got %d", len(req.Images))
		}
		data := req.Images[0].Data
		if len(data) > MaxImageBytes {
			return provider.TaskRef{}, s.errorf(provider.ErrInvalidInput, "images", "the image is %d bytes; at most %d", len(data), MaxImageBytes)
		}
		if _, err := decodeImage(data); err != nil {
			return provider.TaskRef{}, s.errorf(provider.ErrInvalidInput, "images", "%v", err)
		}
		t.Hash = hash16(data)
		ref.ID = t.withPace().String()
		if err := s.keepImage(ref.ID, data); err != nil {
			return provider.TaskRef{}, s.errorf(provider.ErrUnavailable, "", "could not keep the image for the task: %v", err)
		}
	default:
		return provider.TaskRef{}, s.errorf(provider.ErrInvalidInput, "mode", "the Sandbox makes models from a prompt or one image, not %q", mode)
	}
	ref.ID = t.withPace().String()
	return ref, nil
}

// withPace gives a task with no set pace one between MinPace and
// MinPace+PaceSpread, from its hash.
func (t task) withPace() task {
	if t.Pace <= 0 {
		h, _ := strconv.ParseUint(t.Hash[:8], 16, 64)
		t.Pace = MinPace + time.Duration(h%uint64(PaceSpread/time.Millisecond))*time.Millisecond
	}
	return t
}

// keepImage stores a task's input image in StateDir, or in memory.
func (s *Sandbox) keepImage(id string, data []byte) error {
	if s.cfg.StateDir == "" {
		s.mu.Lock()
		s.images[id] = append([]byte(nil), data...)
		s.mu.Unlock()
		return nil
	}
	if err := os.MkdirAll(s.cfg.StateDir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.cfg.StateDir, ".img-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), s.statePath(id, ".img"))
}

func (s *Sandbox) statePath(id, ext string) string {
	return filepath.Join(s.cfg.StateDir, id+ext)
}

// image returns a task's input image.
func (s *Sandbox) image(id string) ([]byte, error) {
	s.mu.Lock()
	data, ok := s.images[id]
	s.mu.Unlock()
	if ok {
		return data, nil
	}
	if s.cfg.StateDir == "" {
		return nil, errors.New("the input image was kept in memory and is gone (Meshdrop restarted)")
	}
	return os.ReadFile(s.statePath(id, ".img"))
}

// NextStage implements provider.Provider: one stage.
func (s *Sandbox) NextStage(context.Context, provider.Credential, provider.Request, provider.TaskRef) (provider.TaskRef, bool, error) {
	return provider.TaskRef{}, false, nil
}

// Status implements provider.Provider from the clock: the task's state is a
// function of its start time and pace.
func (s *Sandbox) Status(_ context.Context, _ provider.Credential, ref provider.TaskRef) (provider.Status, error) {
	t, err := parseTask(ref.ID)
	if err != nil {
		return provider.Status{}, s.errorf(provider.ErrNotFound, "", "task %q: %v", ref.ID, err)
	}
	prompt := ref.Extra[extraPrompt]
	if t.Mode == provider.ModeText && hash16([]byte(prompt)) != t.Hash {
		return provider.Status{}, s.errorf(provider.ErrNotFound, "", "task %q: its prompt is missing or does not match", ref.ID)
	}
	if t.Mode == provider.ModeImage {
		if _, err := s.image(ref.ID); err != nil {
			return provider.Status{}, s.errorf(provider.ErrNotFound, "", "task %q: %v", ref.ID, err)
		}
	}
	if s.isCancelled(ref.ID) {
		return provider.Status{State: provider.StateCancelled, Message: "cancelled"}, nil
	}
	frac := 1.0
	if t.Pace > 0 {
		frac = float64(s.cfg.Now().Sub(t.Start)) / float64(t.Pace)
	}
	frac = max(frac, 0)
	left := time.Duration((1 - min(frac, 1)) * float64(t.Pace))
	fails := t.Mode == provider.ModeText && mentionsFail(prompt)
	switch {
	case fails && frac >= failAt:
		e := s.errorf(provider.ErrTaskFailed, "", "the prompt asked the Sandbox to fail (it contains the word \"fail\")")
		return provider.Status{State: provider.StateFailed, Progress: 100 * (failAt - queueEnd) / (1 - queueEnd), Message: e.Message, Err: e}, nil
	case frac < queueEnd/2:
		return provider.Status{State: provider.StateQueued, QueuePosition: 2, ETA: left}, nil
	case frac < queueEnd:
		return provider.Status{State: provider.StateQueued, QueuePosition: 1, ETA: left}, nil
	case frac < 1:
		p := 100 * (frac - queueEnd) / (1 - queueEnd)
		return provider.Status{State: provider.StateRunning, Progress: float64(int(p)), ETA: left}, nil
	}
	return provider.Status{State: provider.StateSucceeded, Progress: 100, Outputs: []provider.Output{s.modelOutput(ref)}}, nil
}

// modelOutput is the model file: a sandbox: URL that carries what Fetch
// needs to build it.
func (s *Sandbox) modelOutput(ref provider.TaskRef) provider.Output {
	q := url.Values{}
	if p := ref.Extra[extraPrompt]; p != "" {
		q.Set(extraPrompt, p)
	}
	if d := ref.Extra[extraDetail]; d != "" {
		q.Set(extraDetail, d)
	}
	u := url.URL{Scheme: urlScheme, Opaque: ref.ID, RawQuery: q.Encode()}
	return provider.Output{Kind: provider.OutModel, Format: "glb", Name: "model.glb", URL: u.String()}
}

// Watch implements provider.Provider by polling the clock, reporting only
// changes of state, progress or queue position.
func (s *Sandbox) Watch(ctx context.Context, c provider.Credential, ref provider.TaskRef, fn func(provider.Status)) (provider.Status, error) {
	return provider.Poll(ctx, s.cfg.PollEvery, func(ctx context.Context) (provider.Status, error) {
		return s.Status(ctx, c, ref)
	}, fn, provider.ReportChanges())
}

// Fetch implements provider.Provider: it builds the model the URL names and
// writes it as GLB.
func (s *Sandbox) Fetch(_ context.Context, _ provider.Credential, out provider.Output, w io.Writer) (int64, error) {
	u, err := url.Parse(out.URL)
	if err != nil || u.Scheme != urlScheme {
		return 0, s.errorf(provider.ErrNotFound, "", "%q is not a Sandbox result", out.URL)
	}
	t, err := parseTask(u.Opaque)
	if err != nil {
		return 0, s.errorf(provider.ErrNotFound, "", "%q: %v", out.URL, err)
	}
	q := u.Query()
	detail := q.Get(extraDetail)
	var m *meshio.Model
	switch t.Mode {
	case provider.ModeText:
		prompt := q.Get(extraPrompt)
		if hash16([]byte(prompt)) != t.Hash {
			return 0, s.errorf(provider.ErrNotFound, "", "the result's prompt is missing or does not match its task")
		}
		m, err = TextModel(prompt, t.Seed, detail)
	default:
		var data []byte
		if data, err = s.image(u.Opaque); err != nil {
			return 0, s.errorf(provider.ErrNotFound, "", "task %s: %v", u.Opaque, err)
		}
		m, err = ReliefModel(data, "relief", detail)
	}
	if err != nil {
		return 0, s.errorf(provider.ErrTaskFailed, "", "%v", err)
	}
	cw := &countWriter{w: w}
	if err := meshio.WriteGLB(cw, m); err != nil {
		return cw.n, s.errorf(provider.ErrTaskFailed, "", "%v", err)
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Balance implements provider.Provider: the Sandbox is free.
func (s *Sandbox) Balance(context.Context, provider.Credential) (provider.Balance, error) {
	return provider.Balance{}, s.errorf(provider.ErrUnsupported, "", "the Sandbox is free and needs no key")
}

// Cancel implements provider.Provider: the task stops and reads as cancelled.
func (s *Sandbox) Cancel(ctx context.Context, c provider.Credential, ref provider.TaskRef) error {
	if _, err := parseTask(ref.ID); err != nil {
		return s.errorf(provider.ErrNotFound, "", "task %q: %v", ref.ID, err)
	}
	st, err := s.Status(ctx, c, ref)
	if err != nil {
		return err
	}
	if st.State.Terminal() {
		return nil // nothing left to stop
	}
	s.mu.Lock()
	s.cancelled[ref.ID] = true
	s.mu.Unlock()
	if s.cfg.StateDir != "" {
		if err := os.MkdirAll(s.cfg.StateDir, 0o700); err != nil {
			return s.errorf(provider.ErrUnavailable, "", "could not record the cancel: %v", err)
		}
		if err := os.WriteFile(s.statePath(ref.ID, ".cancelled"), nil, 0o600); err != nil {
			return s.errorf(provider.ErrUnavailable, "", "could not record the cancel: %v", err)
		}
	}
	return nil
}

func (s *Sandbox) isCancelled(id string) bool {
	s.mu.Lock()
	c := s.cancelled[id]
	s.mu.Unlock()
	if c || s.cfg.StateDir == "" {
		return c
	}
	_, err := os.Stat(s.statePath(id, ".cancelled"))
	return err == nil
}

// Reconcile implements provider.Provider: a sandbox create cannot lose its
// answer, so there is never anything to look for.
func (s *Sandbox) Reconcile(context.Context, provider.Credential, provider.Request, time.Time) (provider.TaskRef, bool, error) {
	return provider.TaskRef{}, false, nil
}
