// Package rodin is the adapter for Rodin (Hyper3D): a multipart create with a
// prompt or up to five images, status by subscription key (progress is the
// fraction of jobs done), a download list whose file names come from the
// server (cleaned before use), and the balance. It follows the Rodin section
// of providers.md; where the docs are silent the code says so.
package rodin

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"time"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// DefaultBaseURL is Rodin's documented API root (the older host
// https://hyperhuman.deemos.com/api serves the same API).
const DefaultBaseURL = "https://api.hyper3d.com/api"

// MinPoll is the slowest pace the docs allow for status reads ("poll no faster
// than every 5 s; we may throttle").
const MinPoll = 5 * time.Second

// MaxImages is the documented limit on images per create.
const MaxImages = 5

// Extra keys in provider.TaskRef.
const (
	extraSubscription = "subscription_key"
)

// Config configures the adapter.
type Config struct {
	BaseURL string
	Log     *slog.Logger
	// PollEvery is the status pace; values under MinPoll are raised to it
	// unless AllowFastPoll is set (tests against a loopback server only).
	PollEvery     time.Duration
	AllowFastPoll bool
	// HTTP tunes the shared client (limits, backoff, transport); BaseURL,
	// Provider and Classify are set by the adapter.
	HTTP httpx.Config
}

// Rodin is the adapter. Safe for concurrent use.
type Rodin struct {
	c    *httpx.Client
	poll time.Duration
}

var _ provider.Provider = (*Rodin)(nil)

// New builds the adapter.
func New(cfg Config) (*Rodin, error) {
	h := cfg.HTTP
	h.Provider = "Rodin"
	h.BaseURL = cfg.BaseURL
	if h.BaseURL == "" {
		h.BaseURL = DefaultBaseURL
	}
	if h.Log == nil {
		h.Log = cfg.Log
	}
	h.Classify = classify
	c, err := httpx.New(h)
	if err != nil {
		return nil, err
	}
	poll := cfg.PollEvery
	if poll <= 0 {
		poll = MinPoll
	}
	if poll < MinPoll && !cfg.AllowFastPoll {
		poll = MinPoll
	}
	return &Rodin{c: c, poll: poll}, nil
}

// ID implements provider.Provider.
func (r *Rodin) ID() string { return provider.Rodin }

// DisplayName implements provider.Provider.
func (r *Rodin) DisplayName() string { return "Rodin (Hyper3D)" }

// PollEvery is the pace at which Watch reads the status.
func (r *Rodin) PollEvery() time.Duration { return r.poll }

func f(v float64) *float64 { return &v }

// Capabilities implements provider.Provider.
func (r *Rodin) Capabilities() provider.Capabilities {
	return provider.Capabilities{
		Modes: []provider.Mode{provider.ModeText, provider.ModeImage, provider.ModeMultiImage},
		// The docs publish no prompt length limit; none is enforced here.
		MaxImages: MaxImages,
		// The docs say "images (file)" without listing types or a size limit;
		// Meshdrop offers the common web image types and no size check.
		ImageTypes: []string{"image/png", "image/jpeg", "image/webp"},
		Options: []provider.Option{
			{Name: "tier", Label: "Tier", Type: provider.OptEnum, Default: "Regular",
				Choices: []string{"Regular", "Sketch", "Detail", "Smooth", "Gen-2"},
				Help:    "Sketch needs GLB, PBR and medium quality"},
			{Name: "quality", Label: "Quality", Type: provider.OptEnum, Default: "medium",
				Choices: []string{"high", "medium", "low", "extra-low"},
				Help:    "high ≈ 50k faces, medium ≈ 18k, low ≈ 8k, extra-low ≈ 4k"},
			{Name: "material", Label: "Material", Type: provider.OptEnum, Default: "PBR",
				Choices: []string{"PBR", "Shaded", "All"}},
			{Name: "geometry_file_format", Label: "Format", Type: provider.OptEnum, Default: "glb",
				Choices: []string{"glb", "usdz", "fbx", "obj", "stl"},
				Help:    "only GLB is drawn in the gallery"},
			{Name: "seed", Label: "Seed", Type: provider.OptInt, Default: "", Min: f(0), Max: f(65535),
				Help: "empty: the server picks one"},
			{Name: "condition_mode", Label: "Several images", Type: provider.OptEnum, Default: "concat",
				Choices: []string{"concat", "fuse"}, Modes: []provider.Mode{provider.ModeMultiImage}},
			{Name: "mesh_mode", Label: "Mesh", Type: provider.OptEnum, Default: "",
				Choices: []string{"", "Quad", "Raw"}, Help: "empty: the server's default"},
			{Name: "TAPose", Label: "T/A pose", Type: provider.OptBool, Default: "false"},
		},
		NeedsKey:   true,
		CanBalance: true,
		// No cancel, no list endpoint is documented.
		PollEvery: r.poll,
		// No concurrency or rate numbers are published; one task at a time
		// per key is the safe default until the user raises it in Settings.
		MaxConcurrent: 2,
		RatePerSecond: 1,
	}
}

// createAnswer is POST /v2/rodin's answer.
type createAnswer struct {
	Error   *string `json:"error"`
	Message string  `json:"message"`
	UUID    string  `json:"uuid"`
	Jobs    struct {
		UUIDs           []string `json:"uuids"`
		SubscriptionKey string   `json:"subscription_key"`
	} `json:"jobs"`
}

// formFields turns the request's options into multipart fields, checking the
// documented constraints before anything is sent.
func formFields(req provider.Request) ([]httpx.FormField, error) {
	opt := func(name, def string) string {
		if v, ok := req.Options[name]; ok && v != "" {
			return v
		}
		return def
	}
	tier, format, material, quality := opt("tier", "Regular"), opt("geometry_file_format", "glb"), opt("material", "PBR"), opt("quality", "medium")
	if tier == "Sketch" && (format != "glb" || material != "PBR" || quality != "medium") {
		return nil, &provider.Error{Kind: provider.ErrInvalidInput, Provider: "Rodin", Field: "tier",
			Message: "the Sketch tier needs GLB format, PBR material and medium quality"}
	}
	fields := []httpx.FormField{
		{Name: "tier", Value: tier},
		{Name: "geometry_file_format", Value: format},
		{Name: "material", Value: material},
		{Name: "quality", Value: quality},
	}
	if req.Prompt != "" {
		fields = append(fields, httpx.FormField{Name: "prompt", Value: req.Prompt})
	}
	if s := opt("seed", ""); s != "" {
		fields = append(fields, httpx.FormField{Name: "seed", Value: s})
	}
	if len(req.Images) > 1 {
		fields = append(fields, httpx.FormField{Name: "condition_mode", Value: opt("condition_mode", "concat")})
	}
	if m := opt("mesh_mode", ""); m != "" {
		fields = append(fields, httpx.FormField{Name: "mesh_mode", Value: m})
	}
	if opt("TAPose", "false") == "true" {
		// Booleans go as "true"/"false" strings.
		fields = append(fields, httpx.FormField{Name: "TAPose", Value: "true"})
	}
	return fields, nil
}

// Create implements provider.Provider: one multipart POST /v2/rodin, sent once.
func (r *Rodin) Create(ctx context.Context, cred provider.Credential, req provider.Request) (provider.TaskRef, error) {
	if len(req.Images) == 0 && strings.TrimSpace(req.Prompt) == "" {
		return provider.TaskRef{}, r.c.Error(provider.ErrInvalidInput, cred, "a prompt or at least one image is needed", nil)
	}
	if len(req.Images) > MaxImages {
		e := r.c.Error(provider.ErrInvalidInput, cred, fmt.Sprintf("at most %d images per request", MaxImages), nil)
		e.Field = "images"
		return provider.TaskRef{}, e
	}
	fields, err := formFields(req)
	if err != nil {
		return provider.TaskRef{}, err
	}
	var files []httpx.FormFile
	for i, im := range req.Images {
		name := im.Name
		if name == "" {
			name = fmt.Sprintf("image%d", i+1)
		}
		files = append(files, httpx.FormFile{Field: "images", FileName: name, MIME: im.MIME, Data: im.Data})
	}
	body, ctype, err := httpx.Multipart(fields, files)
	if err != nil {
		return provider.TaskRef{}, err
	}
	var ans createAnswer
	resp, err := r.c.Create(ctx, cred, httpx.Call{Method: "POST", Path: "/v2/rodin", Body: body, Type: ctype}, &ans)
	if err != nil {
		return provider.TaskRef{}, err
	}
	if ans.Error != nil && *ans.Error != "" {
		// A non-null error in a 2xx answer: the server says it failed.
		e := r.c.Error(provider.ErrInvalidInput, cred, *ans.Error, nil)
		e.HTTPStatus = resp.StatusCode
		return provider.TaskRef{}, e
	}
	if ans.UUID == "" || ans.Jobs.SubscriptionKey == "" {
		// Accepted (2xx) but without the IDs we need: it may exist and be charged.
		e := r.c.Error(provider.ErrSubmissionUnknown, cred, "the answer had no task uuid or subscription key", nil)
		e.HTTPStatus = resp.StatusCode
		return provider.TaskRef{}, e
	}
	return provider.TaskRef{ID: ans.UUID, Extra: map[string]string{extraSubscription: ans.Jobs.SubscriptionKey}}, nil
}

// NextStage implements provider.Provider: Rodin tasks have one stage.
func (r *Rodin) NextStage(context.Context, provider.Credential, provider.Request, provider.TaskRef) (provider.TaskRef, bool, error) {
	return provider.TaskRef{}, false, nil
}

type statusAnswer struct {
	Jobs []struct {
		UUID   string `json:"uuid"`
		Status string `json:"status"`
	} `json:"jobs"`
}

// Job states as the docs and clients spell them.
const (
	jobWaiting    = "Waiting"
	jobGenerating = "Generating"
	jobDone       = "Done"
	jobFailed     = "Failed"
	jobCanceled   = "Canceled"
)

// Status implements provider.Provider: POST /v2/status by subscription key,
// and on success the download list for the outputs.
func (r *Rodin) Status(ctx context.Context, cred provider.Credential, ref provider.TaskRef) (provider.Status, error) {
	sub := ref.Extra[extraSubscription]
	if sub == "" {
		return provider.Status{}, r.c.Error(provider.ErrInvalidInput, cred, "the task has no subscription key", nil)
	}
	var ans statusAnswer
	if _, err := r.c.Read(ctx, cred, httpx.Call{Method: "POST", Path: "/v2/status", JSON: map[string]string{"subscription_key": sub}}, &ans); err != nil {
		return provider.Status{}, err
	}
	st := summarise(ans)
	if st.State == provider.StateFailed {
		st.Err = r.c.Error(provider.ErrTaskFailed, cred, st.Message, nil)
		return st, nil
	}
	if st.State != provider.StateSucceeded {
		return st, nil
	}
	outs, err := r.downloads(ctx, cred, ref.ID)
	if err != nil {
		return provider.Status{}, err
	}
	st.Outputs = outs
	// Links last about 10 minutes (docs); the job engine downloads at once
	// and reads the task again when one has expired.
	st.ExpiresAt = time.Now().Add(10 * time.Minute)
	return st, nil
}

// summarise folds the jobs' states: done when all are Done, failed when any
// failed, progress the fraction done (the API has no progress number).
func summarise(ans statusAnswer) provider.Status {
	n := len(ans.Jobs)
	if n == 0 {
		// The docs don't say what an empty list means; treat it as queued.
		return provider.Status{State: provider.StateQueued}
	}
	done, running, waiting := 0, 0, 0
	for _, j := range ans.Jobs {
		switch j.Status {
		case jobDone:
			done++
		case jobFailed:
			return provider.Status{State: provider.StateFailed, Progress: 100 * float64(done) / float64(n), Message: "job " + j.UUID + " failed"}
		case jobCanceled:
			return provider.Status{State: provider.StateCancelled, Message: "job " + j.UUID + " was cancelled"}
		case jobWaiting:
			waiting++
		case jobGenerating:
			running++
		default:
			// Unknown states are taken as still running.
			running++
		}
	}
	p := 100 * float64(done) / float64(n)
	switch {
	case done == n:
		return provider.Status{State: provider.StateSucceeded, Progress: 100}
	case running == 0 && done == 0:
		return provider.Status{State: provider.StateQueued, Progress: p}
	}
	return provider.Status{State: provider.StateRunning, Progress: p}
}

type downloadAnswer struct {
	List []struct {
		URL  string `json:"url"`
		Name string `json:"name"`
	} `json:"list"`
}

// downloads reads POST /v2/download and classifies the files: the model (in
// the requested geometry format), the preview image, and the rest.
func (r *Rodin) downloads(ctx context.Context, cred provider.Credential, task string) ([]provider.Output, error) {
	var ans downloadAnswer
	if _, err := r.c.Read(ctx, cred, httpx.Call{Method: "POST", Path: "/v2/download", JSON: map[string]string{"task_uuid": task}}, &ans); err != nil {
		return nil, err
	}
	var outs []provider.Output
	haveModel := false
	for i, it := range ans.List {
		if it.URL == "" {
			continue
		}
		name := CleanName(it.Name, i)
		ext := strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")
		o := provider.Output{Kind: provider.OutOther, Format: ext, Name: name, URL: it.URL}
		switch {
		case !haveModel && (ext == "glb" || ext == "gltf" || ext == "usdz" || ext == "fbx" || ext == "obj" || ext == "stl"):
			o.Kind, haveModel = provider.OutModel, true
		case ext == "webp" || ext == "png" || ext == "jpg" || ext == "jpeg":
			if strings.Contains(strings.ToLower(name), "preview") {
				o.Kind = provider.OutPreview
			} else {
				o.Kind = provider.OutTexture
			}
		}
		outs = append(outs, o)
	}
	if !haveModel {
		return nil, r.c.Error(provider.ErrBadResponse, cred, "the download list has no model file", nil)
	}
	return outs, nil
}

// CleanName makes a server-sent file name safe as a base name in the job's
// folder: no folders, no "..", no control or reserved characters, a bounded
// length, and a fallback when nothing is left.
func CleanName(name string, i int) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(path.Clean("/" + name))
	if name == "/" {
		name = ""
	}
	var b strings.Builder
	for _, c := range name {
		switch {
		case c < 0x20 || c == 0x7f:
		case strings.ContainsRune(`<>:"/\|?*`, c):
			b.WriteRune('_')
		default:
			b.WriteRune(c)
		}
	}
	out := strings.Trim(b.String(), ". ")
	if len(out) > 120 {
		ext := path.Ext(out)
		if len(ext) > 10 {
			ext = ""
		}
		out = out[:120-len(ext)] + ext
	}
	if out == "" {
		out = fmt.Sprintf("file%d", i+1)
	}
	return out
}

// Watch implements provider.Provider by polling at the documented pace
// (never faster than r.poll, at least MinPoll outside tests, also while
// backing off), reporting only changes of state or progress. Rate limits,
// an unavailable server and garbled answers are waited out (honouring
// Retry-After); a key, credit or not-found error ends the watch at once.
func (r *Rodin) Watch(ctx context.Context, cred provider.Credential, ref provider.TaskRef, fn func(provider.Status)) (provider.Status, error) {
	return provider.Poll(ctx, r.poll, func(ctx context.Context) (provider.Status, error) {
		return r.Status(ctx, cred, ref)
	}, fn, provider.ReportChanges())
}

// Fetch implements provider.Provider: result links live on other hosts and
// get no key (httpx.Download enforces it).
func (r *Rodin) Fetch(ctx context.Context, cred provider.Credential, out provider.Output, w io.Writer) (int64, error) {
	return r.c.Download(ctx, cred, out.URL, w)
}

// Balance implements provider.Provider: GET /v2/check_balance.
func (r *Rodin) Balance(ctx context.Context, cred provider.Credential) (provider.Balance, error) {
	credits, err := r.c.ReadBalance(ctx, cred, "/v2/check_balance")
	if err != nil {
		return provider.Balance{}, err
	}
	return provider.Balance{Credits: credits, Unit: "credits"}, nil
}

// Cancel implements provider.Provider: the API documents no cancel.
func (r *Rodin) Cancel(_ context.Context, cred provider.Credential, _ provider.TaskRef) error {
	return r.c.Error(provider.ErrUnsupported, cred, "the API has no cancel; the task runs to its end and may be charged", nil)
}

// Reconcile implements provider.Provider: the API documents no way to list
// tasks, so a lost create cannot be found again; the user is shown the facts.
func (r *Rodin) Reconcile(_ context.Context, cred provider.Credential, _ provider.Request, _ time.Time) (provider.TaskRef, bool, error) {
	return provider.TaskRef{}, false, r.c.Error(provider.ErrUnsupported, cred, "the API has no task list, so a lost request cannot be looked up; check your Rodin dashboard", nil)
}
