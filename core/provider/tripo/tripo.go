// Package tripo is the adapter for Tripo's V3 API: text-to-model,
// image-to-model (the image is uploaded first and passed by its file token),
// multiview-to-model (front, left, back, right), task reads, the batch read
// the job engine uses to refresh known tasks, and the balance. A setting picks
// the international or the China host. Every create carries "model", and the
// documented code table becomes typed errors. It follows the Tripo section of
// providers.md (built from the official SDKs, the V2 docs and a migration
// guide, as no V3 reference page was available); where that is silent the
// code says so.
package tripo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// Hosts: a key works only in its own region; the other answers 401.
const (
	DefaultBaseURL = "https://openapi.tripo3d.ai/v3"  // international
	ChinaBaseURL   = "https://openapi.tripo3d.com/v3" // China mainland
)

// Regions as settings.Provider.Region spells them.
const (
	RegionInternational = "international"
	RegionChina         = "china"
)

// BaseURLFor returns the documented host of a region ("" is international).
func BaseURLFor(region string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(region)) {
	case "", RegionInternational:
		return DefaultBaseURL, nil
	case RegionChina:
		return ChinaBaseURL, nil
	}
	return "", fmt.Errorf("Tripo region %q is not %q or %q; fix it in Settings", region, RegionInternational, RegionChina)
}

// Documented limits and pace.
const (
	PromptMaxLen   = 1024
	MaxImageBytes  = 20 << 20
	MaxBatch       = 100
	DefaultPoll    = 2 * time.Second // the SDKs poll every 2 s
	MinPoll        = time.Second     // never faster than once a second
	MaxRetryAfter  = 30 * time.Second
	DefaultRunning = 10 // tasks running at once (5 for P1)
)

// Models.
const (
	ModelV31     = "v3.1-20260211"
	ModelV30     = "v3.0-20250812"
	ModelV25     = "v2.5-20250123"
	ModelP1      = "P1-20260311"
	ModelDefault = ModelV31
)

// Views of a multiview request, in the order the API takes them.
var Views = []string{"front", "left", "back", "right"}

// Option names (the API's own).
const (
	OptModel            = "model"
	OptNegativePrompt   = "negative_prompt"
	OptTexture          = "texture"
	OptPBR              = "pbr"
	OptTextureQuality   = "texture_quality"
	OptGeometryQuality  = "geometry_quality"
	OptFaceLimit        = "face_limit"
	OptAutoSize         = "auto_size"
	OptTextureAlignment = "texture_alignment"
	OptOrientation      = "orientation"
)

// Config configures the adapter.
type Config struct {
	BaseURL string // "" : the region's host
	Region  string // RegionInternational (default) or RegionChina
	Log     *slog.Logger
	// PollEvery is the status pace (default 2 s); values under a second are
	// raised to it unless AllowFastPoll is set (loopback tests only).
	PollEvery     time.Duration
	AllowFastPoll bool
	// HTTP tunes the shared client; BaseURL, Provider, Classify and
	// DeclinedStatuses are set by the adapter.
	HTTP httpx.Config
}

// Tripo is the adapter. Safe for concurrent use.
type Tripo struct {
	c    *httpx.Client
	poll time.Duration
}

var _ provider.Provider = (*Tripo)(nil)

// New builds the adapter.
func New(cfg Config) (*Tripo, error) {
	h := cfg.HTTP
	h.Provider = "Tripo"
	h.BaseURL = cfg.BaseURL
	if h.BaseURL == "" {
		u, err := BaseURLFor(cfg.Region)
		if err != nil {
			return nil, err
		}
		h.BaseURL = u
	}
	if h.Log == nil {
		h.Log = cfg.Log
	}
	h.Classify = classify
	// The SDKs retry 429 and 503 for any method: the server declined. Any
	// other 5xx after a create was written means "maybe billed".
	h.DeclinedStatuses = []int{http.StatusServiceUnavailable}
	if h.Backoff.MaxRetryAfter <= 0 {
		h.Backoff.MaxRetryAfter = MaxRetryAfter
	}
	c, err := httpx.New(h)
	if err != nil {
		return nil, err
	}
	poll := cfg.PollEvery
	if poll <= 0 {
		poll = DefaultPoll
	}
	if poll < MinPoll && !cfg.AllowFastPoll {
		poll = MinPoll
	}
	return &Tripo{c: c, poll: poll}, nil
}

// BaseURL is the API root in use.
func (t *Tripo) BaseURL() string { return t.c.BaseURL().String() }

// ID implements provider.Provider.
func (t *Tripo) ID() string { return provider.Tripo }

// DisplayName implements provider.Provider.
func (t *Tripo) DisplayName() string { return "Tripo" }

var (
	textOnly   = []provider.Mode{provider.ModeText}
	imageModes = []provider.Mode{provider.ModeImage, provider.ModeMultiImage}
)

// Capabilities implements provider.Provider. The documented request example
// sends texture and pbr true; other defaults are not documented and are left
// to the server (not sent) unless set.
//
// quad is documented but not offered: quad:true makes FBX instead of GLB,
// which Meshdrop's gallery cannot show.
func (t *Tripo) Capabilities() provider.Capabilities {
	return provider.Capabilities{
		Modes:         []provider.Mode{provider.ModeText, provider.ModeImage, provider.ModeMultiImage},
		PromptMaxLen:  PromptMaxLen,
		MaxImages:     len(Views),
		ImageSlots:    Views,
		ImageTypes:    []string{"image/png", "image/jpeg", "image/webp"},
		MaxImageBytes: MaxImageBytes,
		Options: []provider.Option{
			{Name: OptModel, Label: "Model", Type: provider.OptEnum, Default: ModelDefault,
				Choices: []string{ModelV31, ModelV30, ModelV25, ModelP1},
				Help:    "P1 is low-poly (face limit 48–20000); v2.5 has no geometry quality"},
			{Name: OptNegativePrompt, Label: "Negative prompt", Type: provider.OptString, Modes: textOnly},
			{Name: OptTexture, Label: "Texture", Type: provider.OptBool, Default: "true"},
			{Name: OptPBR, Label: "PBR", Type: provider.OptBool, Default: "true"},
			{Name: OptTextureQuality, Label: "Texture quality", Type: provider.OptEnum, Choices: []string{"standard", "detailed", "extreme"}},
			{Name: OptGeometryQuality, Label: "Geometry quality", Type: provider.OptEnum, Choices: []string{"standard", "detailed"},
				Help: "not used by v2.5 and P1"},
			// No general face_limit range is documented; P1's 48–20000 is checked in Create.
			{Name: OptFaceLimit, Label: "Face limit", Type: provider.OptInt, Min: provider.Float(1)},
			{Name: OptAutoSize, Label: "Real-world size", Type: provider.OptBool},
			{Name: OptTextureAlignment, Label: "Texture alignment", Type: provider.OptEnum, Choices: []string{"original_image", "geometry"}, Modes: imageModes},
			{Name: OptOrientation, Label: "Orientation", Type: provider.OptEnum, Choices: []string{"default", "align_image"}, Modes: imageModes},
		},
		NeedsKey:   true,
		CanBalance: true,
		// No cancel and no list-all endpoint exist; the batch read refreshes known tasks.
		PollEvery: t.poll,
		// Default concurrency group: 10 tasks running (5 for P1).
		MaxConcurrent: DefaultRunning,
	}
}

func (t *Tripo) invalid(c provider.Credential, field, msg string) *provider.Error {
	e := t.c.Error(provider.ErrInvalidInput, c, msg, nil)
	e.Field = field
	return e
}

// decode reads the data of a success envelope.
func (t *Tripo) decode(c provider.Credential, body []byte, out any) error {
	var env envelope
	if err := t.c.DecodeJSON(c, body, &env); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return t.c.Error(provider.ErrBadResponse, c, fmt.Sprintf("the answer has no data: %q", httpx.Excerpt(body, 120)), nil)
	}
	return t.c.DecodeJSON(c, env.Data, out)
}

// Create implements provider.Provider. For images it uploads each file first
// (uploads are free and never retried), then sends the create once.
func (t *Tripo) Create(ctx context.Context, c provider.Credential, req provider.Request) (provider.TaskRef, error) {
	if err := t.Capabilities().ValidateOptions(t.DisplayName(), req.Mode, req.Options); err != nil {
		return provider.TaskRef{}, err
	}
	body, err := t.commonBody(c, req.Options)
	if err != nil {
		return provider.TaskRef{}, err
	}
	var p string
	switch req.Mode {
	case provider.ModeImage:
		if len(req.Images) != 1 {
			return provider.TaskRef{}, t.invalid(c, "images", fmt.Sprintf("image-to-model takes exactly one image, got %d", len(req.Images)))
		}
		if err := t.checkImage(c, req.Images[0]); err != nil {
			return provider.TaskRef{}, err
		}
		tok, err := t.Upload(ctx, c, req.Images[0])
		if err != nil {
			return provider.TaskRef{}, err
		}
		// input as a bare token (the SDKs' form; an object {"file_token":…} is also documented).
		body["input"] = tok
		p = "/generation/image-to-model"
	case provider.ModeMultiImage:
		views, err := t.arrange(c, req.Images)
		if err != nil {
			return provider.TaskRef{}, err
		}
		inputs := make([]string, len(Views))
		for i, im := range views {
			if im == nil {
				continue // "" for a missing view
			}
			tok, err := t.Upload(ctx, c, *im)
			if err != nil {
				return provider.TaskRef{}, err
			}
			inputs[i] = tok
		}
		body["inputs"] = inputs
		p = "/generation/multiview-to-model"
	default:
		n := len([]rune(req.Prompt))
		if strings.TrimSpace(req.Prompt) == "" || n > PromptMaxLen {
			return provider.TaskRef{}, t.invalid(c, "prompt", fmt.Sprintf("the prompt must have 1 to %d characters, it has %d", PromptMaxLen, n))
		}
		body["prompt"] = req.Prompt
		if v := req.Options[OptNegativePrompt]; v != "" {
			body[OptNegativePrompt] = v
		}
		p = "/generation/text-to-model"
	}
	if req.Mode != provider.ModeText {
		for _, name := range []string{OptTextureAlignment, OptOrientation} {
			if v := req.Options[name]; v != "" {
				body[name] = v
			}
		}
	}
	var env envelope
	resp, err := t.c.Create(ctx, c, httpx.Call{Method: http.MethodPost, Path: p, JSON: body}, &env)
	if err != nil {
		return provider.TaskRef{}, err
	}
	var data struct {
		TaskID string `json:"task_id"`
	}
	if len(env.Data) > 0 {
		_ = json.Unmarshal(env.Data, &data)
	}
	if strings.TrimSpace(data.TaskID) == "" || strings.ContainsAny(data.TaskID, "/?#") {
		// Accepted (2xx, code 0) but without a usable ID: it may exist and be charged.
		e := t.c.Error(provider.ErrSubmissionUnknown, c, "the answer had no task_id", nil)
		e.HTTPStatus = resp.StatusCode
		return provider.TaskRef{}, e
	}
	return provider.TaskRef{ID: data.TaskID}, nil
}

// commonBody builds the options every create shares, always with "model"
// (the server may answer 400/1004 without it), leaving out what the chosen
// model does not take.
func (t *Tripo) commonBody(c provider.Credential, opts map[string]string) (map[string]any, error) {
	model := opts[OptModel]
	if model == "" {
		model = ModelDefault
	}
	body := map[string]any{OptModel: model}
	for _, name := range []string{OptTexture, OptPBR, OptAutoSize} {
		if v, ok := opts[name]; ok && v != "" {
			b, _ := strconv.ParseBool(v)
			body[name] = b
		} else if o, _ := t.Capabilities().Option(name); o.Default != "" {
			b, _ := strconv.ParseBool(o.Default)
			body[name] = b
		}
	}
	if v := opts[OptTextureQuality]; v != "" {
		body[OptTextureQuality] = v
	}
	if v := opts[OptGeometryQuality]; v != "" && model != ModelV25 && model != ModelP1 {
		body[OptGeometryQuality] = v
	}
	if v := opts[OptFaceLimit]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, t.invalid(c, OptFaceLimit, fmt.Sprintf("%q is not a positive whole number", v))
		}
		if model == ModelP1 && (n < 48 || n > 20000) {
			return nil, t.invalid(c, OptFaceLimit, fmt.Sprintf("P1 takes a face limit from 48 to 20000, not %d", n))
		}
		body[OptFaceLimit] = n
	}
	// P1 takes no quad, smart_low_poly, generate_parts or geometry_quality;
	// Meshdrop sends none of the first three for any model.
	return body, nil
}

// checkImage refuses, before any upload, what the docs say Tripo refuses.
func (t *Tripo) checkImage(c provider.Credential, im provider.Image) error {
	if len(im.Data) == 0 {
		return t.invalid(c, "images", fmt.Sprintf("image %q is empty", im.Name))
	}
	if len(im.Data) > MaxImageBytes {
		return t.invalid(c, "images", fmt.Sprintf("image %q is %d MB; Tripo takes images up to 20 MB", im.Name, len(im.Data)>>20))
	}
	if m := imageMIME(im); m != "image/png" && m != "image/jpeg" && m != "image/webp" {
		return t.invalid(c, "images", fmt.Sprintf("image %q is %s; Tripo takes PNG, JPEG or WebP", im.Name, m))
	}
	return nil
}

func imageMIME(im provider.Image) string {
	m := strings.ToLower(im.MIME)
	if m == "" || m == "application/octet-stream" {
		m = http.DetectContentType(im.Data)
	}
	if m == "image/jpg" {
		m = "image/jpeg"
	}
	return m
}

// arrange puts images in the front, left, back, right order: by Slot when
// images have one, else by position. Front is required and at least two views.
func (t *Tripo) arrange(c provider.Credential, imgs []provider.Image) ([]*provider.Image, error) {
	if len(imgs) > len(Views) {
		return nil, t.invalid(c, "images", fmt.Sprintf("multiview takes at most %d images (front, left, back, right), got %d", len(Views), len(imgs)))
	}
	out := make([]*provider.Image, len(Views))
	for i := range imgs {
		im := &imgs[i]
		slot := strings.ToLower(strings.TrimSpace(im.Slot))
		j := i
		if slot != "" {
			j = slices.Index(Views, slot)
			if j < 0 {
				return nil, t.invalid(c, "images", fmt.Sprintf("view %q is not one of front, left, back, right", im.Slot))
			}
		}
		if out[j] != nil {
			return nil, t.invalid(c, "images", fmt.Sprintf("two images for the %s view", Views[j]))
		}
		if err := t.checkImage(c, *im); err != nil {
			return nil, err
		}
		out[j] = im
	}
	n := 0
	for _, im := range out {
		if im != nil {
			n++
		}
	}
	if out[0] == nil || n < 2 {
		return nil, t.invalid(c, "images", "multiview needs the front view and at least one other")
	}
	return out, nil
}

// Upload sends one image to POST /files (multipart, part "file") and returns
// its file token. Uploads are never retried automatically.
func (t *Tripo) Upload(ctx context.Context, c provider.Credential, im provider.Image) (string, error) {
	if err := t.checkImage(c, im); err != nil {
		return "", err
	}
	mime := imageMIME(im)
	name := im.Name
	if name == "" {
		name = "image." + strings.TrimPrefix(mime, "image/")
	}
	body, ctype, err := httpx.Multipart(nil, []httpx.FormFile{{Field: "file", FileName: name, MIME: mime, Data: im.Data}})
	if err != nil {
		return "", err
	}
	resp, err := t.c.Once(ctx, c, httpx.Call{Method: http.MethodPost, Path: "/files", Body: body, Type: ctype}, nil)
	if err != nil {
		return "", err
	}
	var data struct {
		FileToken string `json:"file_token"`
	}
	if err := t.decode(c, resp.Body, &data); err != nil {
		return "", err
	}
	if data.FileToken == "" {
		return "", t.c.Error(provider.ErrBadResponse, c, "the upload answer had no file_token", nil)
	}
	return data.FileToken, nil
}

// NextStage implements provider.Provider: Tripo tasks have one stage.
func (t *Tripo) NextStage(context.Context, provider.Credential, provider.Request, provider.TaskRef) (provider.TaskRef, bool, error) {
	return provider.TaskRef{}, false, nil
}

// Status implements provider.Provider: GET /tasks/{id}.
func (t *Tripo) Status(ctx context.Context, c provider.Credential, ref provider.TaskRef) (provider.Status, error) {
	if ref.ID == "" || strings.ContainsAny(ref.ID, "/?#") {
		return provider.Status{}, t.invalid(c, "task", fmt.Sprintf("%q is not a Tripo task id", ref.ID))
	}
	resp, err := t.c.Read(ctx, c, httpx.Call{Path: "/tasks/" + ref.ID}, nil)
	if err != nil {
		return provider.Status{}, err
	}
	var tk task
	if err := t.decode(c, resp.Body, &tk); err != nil {
		return provider.Status{}, err
	}
	return t.finish(c, tk), nil
}

// finish adds the typed error to a failed task's status.
func (t *Tripo) finish(c provider.Credential, tk task) provider.Status {
	st := tk.status(time.Now())
	if st.State == provider.StateFailed {
		kind, field := kindForTaskCode(int(tk.ErrorCode))
		if strings.EqualFold(tk.Status, statusBanned) {
			kind = provider.ErrContentPolicy
		}
		e := t.c.Error(kind, c, st.Message, nil)
		e.Field = field
		if tk.ErrorCode != 0 {
			e.Code = strconv.Itoa(int(tk.ErrorCode))
		}
		st.Err = e
	}
	return st
}

// BatchStatus reads up to 100 known tasks in one POST /tasks/list. missed
// lists the IDs the server did not return (not found, or another key's).
func (t *Tripo) BatchStatus(ctx context.Context, c provider.Credential, ids []string) (map[string]provider.Status, []string, error) {
	if len(ids) == 0 {
		return map[string]provider.Status{}, nil, nil
	}
	if len(ids) > MaxBatch {
		return nil, nil, t.invalid(c, "task_ids", fmt.Sprintf("at most %d tasks per batch read, got %d", MaxBatch, len(ids)))
	}
	resp, err := t.c.Read(ctx, c, httpx.Call{Method: http.MethodPost, Path: "/tasks/list", JSON: map[string]any{"task_ids": ids}}, nil)
	if err != nil {
		return nil, nil, err
	}
	var env envelope
	if err := t.c.DecodeJSON(c, resp.Body, &env); err != nil {
		return nil, nil, err
	}
	tasks, missed, err := parseBatch(env.Data)
	if err != nil {
		return nil, nil, t.c.Error(provider.ErrBadResponse, c, err.Error(), err)
	}
	out := make(map[string]provider.Status, len(tasks))
	for _, id := range ids {
		if tk, ok := tasks[id]; ok {
			out[id] = t.finish(c, tk)
		} else if !slices.Contains(missed, id) {
			missed = append(missed, id)
		}
	}
	return out, missed, nil
}

// Watch implements provider.Provider by polling at the SDKs' pace.
func (t *Tripo) Watch(ctx context.Context, c provider.Credential, ref provider.TaskRef, fn func(provider.Status)) (provider.Status, error) {
	return provider.Poll(ctx, t.poll, func(ctx context.Context) (provider.Status, error) { return t.Status(ctx, c, ref) }, fn)
}

// Fetch implements provider.Provider: signed CDN links get no key; an
// expired one (403/404) is ErrLinkExpired and the task is read again.
func (t *Tripo) Fetch(ctx context.Context, c provider.Credential, out provider.Output, w io.Writer) (int64, error) {
	return t.c.Download(ctx, c, out.URL, w)
}

// Balance implements provider.Provider: GET /account/balance.
func (t *Tripo) Balance(ctx context.Context, c provider.Credential) (provider.Balance, error) {
	resp, err := t.c.Read(ctx, c, httpx.Call{Path: "/account/balance"}, nil)
	if err != nil {
		return provider.Balance{}, err
	}
	var data struct {
		Balance *flexFloat `json:"balance"`
		Frozen  flexFloat  `json:"frozen"`
	}
	if err := t.decode(c, resp.Body, &data); err != nil {
		return provider.Balance{}, err
	}
	if data.Balance == nil {
		return provider.Balance{}, t.c.Error(provider.ErrBadResponse, c, "the balance answer has no balance", nil)
	}
	return provider.Balance{Credits: float64(*data.Balance), Frozen: float64(data.Frozen), Unit: "credits"}, nil
}

// Cancel implements provider.Provider: Tripo has no cancel endpoint.
func (t *Tripo) Cancel(_ context.Context, c provider.Credential, _ provider.TaskRef) error {
	return t.c.Error(provider.ErrUnsupported, c, "the API has no cancel; the task runs to its end and may be charged", nil)
}

// Reconcile implements provider.Provider. Tripo has no list-all endpoint, and
// tasks are visible only by ID: a create whose answer was lost cannot be
// found again. Known tasks are refreshed with BatchStatus.
func (t *Tripo) Reconcile(_ context.Context, c provider.Credential, _ provider.Request, _ time.Time) (provider.TaskRef, bool, error) {
	return provider.TaskRef{}, false, t.c.Error(provider.ErrUnsupported, c, "the API cannot list tasks, so a request whose answer was lost cannot be looked up; check your Tripo dashboard before trying again", nil)
}
