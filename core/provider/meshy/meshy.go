// Package meshy is the adapter for Meshy: text-to-3d as one job in two paid
// stages (preview for the geometry, then refine for the textures, which the
// user may skip), image-to-3d with the image sent as a data URI,
// multi-image-to-3d (1–4 images), progress from the Server-Sent Events stream
// with a fall-back to polling, the list endpoint for reconciliation, the
// balance, and Meshy's test-mode key. It follows the Meshy section of
// providers.md; where that is silent the code says so.
package meshy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// DefaultBaseURL is Meshy's documented API root; text-to-3d is under /v2,
// everything else under /v1.
const DefaultBaseURL = "https://api.meshy.ai/openapi"

// Documented limits.
const (
	PromptMaxLen = 600
	MaxImages    = 4
	// RatePerSecond is the documented per-account request limit.
	RatePerSecond = 20
)

// DefaultPollEvery is the polling pace when the stream is not available.
// providers.md gives no polling interval for Meshy; 3 s keeps a handful of
// watched tasks far under the 20 requests/s account limit. [guess]
const DefaultPollEvery = 3 * time.Second

// Task kinds, which are also the endpoint names.
const (
	KindText       = "text-to-3d"
	KindImage      = "image-to-3d"
	KindMultiImage = "multi-image-to-3d"
)

// Stages of a text-to-3d job.
const (
	StagePreview = "preview"
	StageRefine  = "refine"
)

// Keys in provider.TaskRef.Extra.
const (
	ExtraKind     = "kind"      // KindText, KindImage, KindMultiImage
	ExtraTestMode = "test_mode" // "true" when made with the test-mode key
)

// Option names (the API's own names, plus Meshdrop's stop_at_preview).
const (
	OptStopAtPreview = "stop_at_preview" // Meshdrop's: never sent
	OptAIModel       = "ai_model"
	OptModelType     = "model_type"
	OptShouldRemesh  = "should_remesh"
	OptTopology      = "topology"
	OptTargetPolys   = "target_polycount"
	OptPoseMode      = "pose_mode"
	OptShouldTexture = "should_texture"
	OptEnablePBR     = "enable_pbr"
	OptHDTexture     = "hd_texture"
	OptTexturePrompt = "texture_prompt"
	OptTargetFormats = "target_formats"
	formatGLB        = "glb" // always requested: the gallery shows GLB
)

// TargetFormats are the documented values of target_formats.
var TargetFormats = []string{"glb", "obj", "fbx", "stl", "usdz", "3mf"}

// Config configures the adapter.
type Config struct {
	BaseURL   string
	Log       *slog.Logger
	PollEvery time.Duration // 0: DefaultPollEvery
	// NoStream makes Watch poll only (the stream is tried first otherwise).
	NoStream bool
	// HTTP tunes the shared client (limits, backoff, transport); BaseURL,
	// Provider and Classify are set by the adapter. RatePerSecond 0 takes
	// the documented 20 requests/s.
	HTTP httpx.Config
}

// Meshy is the adapter. Safe for concurrent use.
type Meshy struct {
	c        *httpx.Client
	poll     time.Duration
	noStream bool
	log      *slog.Logger
}

var _ provider.Provider = (*Meshy)(nil)

// New builds the adapter.
func New(cfg Config) (*Meshy, error) {
	h := cfg.HTTP
	h.Provider = "Meshy"
	h.BaseURL = cfg.BaseURL
	if h.BaseURL == "" {
		h.BaseURL = DefaultBaseURL
	}
	if h.Log == nil {
		h.Log = cfg.Log
	}
	if h.RatePerSecond <= 0 {
		h.RatePerSecond = RatePerSecond
	}
	h.Classify = classify
	c, err := httpx.New(h)
	if err != nil {
		return nil, err
	}
	poll := cfg.PollEvery
	if poll <= 0 {
		poll = DefaultPollEvery
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Meshy{c: c, poll: poll, noStream: cfg.NoStream, log: log}, nil
}

// ID implements provider.Provider.
func (m *Meshy) ID() string { return provider.Meshy }

// DisplayName implements provider.Provider.
func (m *Meshy) DisplayName() string { return "Meshy" }

// IsTestMode reports whether c is Meshy's documented test-mode key: valid on
// every endpoint, spends nothing, and every valid request returns the same
// sample task.
func IsTestMode(c provider.Credential) bool { return c.Secret.Reveal() == keys.MeshyTestModeKey }

var (
	textOnly   = []provider.Mode{provider.ModeText}
	imageModes = []provider.Mode{provider.ModeImage, provider.ModeMultiImage}
)

// Capabilities implements provider.Provider. providers.md lists the useful
// options without their defaults; an option whose default is empty is left to
// the server (not sent) unless the user sets it.
func (m *Meshy) Capabilities() provider.Capabilities {
	return provider.Capabilities{
		Modes:        []provider.Mode{provider.ModeText, provider.ModeImage, provider.ModeMultiImage},
		PromptMaxLen: PromptMaxLen,
		MaxImages:    MaxImages,
		// jpg/jpeg/png are documented; no size limit is.
		ImageTypes: []string{"image/png", "image/jpeg"},
		Options: []provider.Option{
			{Name: OptStopAtPreview, Label: "Stop at preview", Type: provider.OptBool, Default: "false", Modes: textOnly,
				Help: "keep the untextured preview and skip the paid refine stage"},
			{Name: OptAIModel, Label: "AI model", Type: provider.OptEnum, Choices: []string{"meshy-5", "meshy-6", "latest"},
				Help: "empty: Meshy's default"},
			{Name: OptModelType, Label: "Model type", Type: provider.OptEnum, Choices: []string{"standard", "lowpoly"}},
			{Name: OptShouldRemesh, Label: "Remesh", Type: provider.OptBool},
			{Name: OptTopology, Label: "Topology", Type: provider.OptEnum, Choices: []string{"triangle", "quad"}},
			{Name: OptTargetPolys, Label: "Target polygons", Type: provider.OptInt, Min: provider.Float(100), Max: provider.Float(300000)},
			{Name: OptPoseMode, Label: "Pose", Type: provider.OptEnum, Choices: []string{"", "a-pose", "t-pose"}, Help: "empty: no pose"},
			{Name: OptShouldTexture, Label: "Texture", Type: provider.OptBool, Modes: imageModes},
			// The documented refine request sends enable_pbr true.
			{Name: OptEnablePBR, Label: "PBR maps", Type: provider.OptBool, Default: "true"},
			{Name: OptHDTexture, Label: "HD texture", Type: provider.OptBool},
			{Name: OptTexturePrompt, Label: "Texture prompt", Type: provider.OptString},
			{Name: OptTargetFormats, Label: "Formats", Type: provider.OptString,
				Help: "comma-separated from glb, obj, fbx, stl, usdz, 3mf; glb is always added for the gallery"},
		},
		Stages:     []string{StagePreview, StageRefine},
		NeedsKey:   true,
		CanStream:  true,
		CanList:    true,
		CanBalance: true,
		PollEvery:  m.poll,
		// The queue limit is by plan: 1 (Free), 10 (Pro), 20 (Studio), 50
		// (Enterprise). The plan cannot be read from the API, so the Free
		// plan's limit is the default; Settings raise it.
		MaxConcurrent: 1,
		RatePerSecond: RatePerSecond,
	}
}

// kindPath is the endpoint of a task kind: text-to-3d under /v2, the rest under /v1.
func kindPath(kind string) (string, bool) {
	switch kind {
	case KindText:
		return "/v2/" + KindText, true
	case KindImage, KindMultiImage:
		return "/v1/" + kind, true
	}
	return "", false
}

func kindOf(mode provider.Mode) string {
	switch mode {
	case provider.ModeImage:
		return KindImage
	case provider.ModeMultiImage:
		return KindMultiImage
	}
	return KindText
}

// createAnswer is every create's answer: {"result":"<task id>"}.
type createAnswer struct {
	Result string `json:"result"`
}

func (m *Meshy) invalid(c provider.Credential, field, msg string) *provider.Error {
	e := m.c.Error(provider.ErrInvalidInput, c, msg, nil)
	e.Field = field
	return e
}

// Create implements provider.Provider: the preview of a text job, or an
// image or multi-image task. Sent once.
func (m *Meshy) Create(ctx context.Context, c provider.Credential, req provider.Request) (provider.TaskRef, error) {
	kind := kindOf(req.Mode)
	if err := m.Capabilities().ValidateOptions(m.DisplayName(), req.Mode, req.Options); err != nil {
		return provider.TaskRef{}, err
	}
	body := map[string]any{}
	switch kind {
	case KindText:
		p := strings.TrimSpace(req.Prompt)
		if p == "" {
			return provider.TaskRef{}, m.invalid(c, "prompt", "a prompt is needed")
		}
		if n := len([]rune(req.Prompt)); n > PromptMaxLen {
			return provider.TaskRef{}, m.invalid(c, "prompt", fmt.Sprintf("the prompt has %d characters; Meshy takes at most %d", n, PromptMaxLen))
		}
		body["mode"] = StagePreview
		body["prompt"] = req.Prompt
		if err := m.geometryOptions(c, req.Options, body); err != nil {
			return provider.TaskRef{}, err
		}
	case KindImage:
		if len(req.Images) != 1 {
			return provider.TaskRef{}, m.invalid(c, "images", fmt.Sprintf("image-to-3d takes exactly one image, got %d", len(req.Images)))
		}
		u, err := m.dataURI(c, req.Images[0])
		if err != nil {
			return provider.TaskRef{}, err
		}
		body["image_url"] = u
		if err := m.imageOptions(c, req.Options, body); err != nil {
			return provider.TaskRef{}, err
		}
	case KindMultiImage:
		if len(req.Images) < 1 || len(req.Images) > MaxImages {
			return provider.TaskRef{}, m.invalid(c, "images", fmt.Sprintf("multi-image-to-3d takes 1 to %d images, got %d", MaxImages, len(req.Images)))
		}
		urls := make([]string, 0, len(req.Images))
		for _, im := range req.Images {
			u, err := m.dataURI(c, im)
			if err != nil {
				return provider.TaskRef{}, err
			}
			urls = append(urls, u)
		}
		body["image_urls"] = urls
		if err := m.imageOptions(c, req.Options, body); err != nil {
			return provider.TaskRef{}, err
		}
	}
	ref, err := m.send(ctx, c, kind, body)
	if err != nil {
		return ref, err
	}
	if kind == KindText {
		ref.Stage = StagePreview
	}
	return ref, nil
}

// send posts one create, once, and reads {"result":…}.
func (m *Meshy) send(ctx context.Context, c provider.Credential, kind string, body map[string]any) (provider.TaskRef, error) {
	p, _ := kindPath(kind)
	var ans createAnswer
	resp, err := m.c.Create(ctx, c, httpx.Call{Method: http.MethodPost, Path: p, JSON: body}, &ans)
	if err != nil {
		return provider.TaskRef{}, err
	}
	if strings.TrimSpace(ans.Result) == "" {
		// Accepted (2xx) without an ID: the task may exist and be charged.
		e := m.c.Error(provider.ErrSubmissionUnknown, c, "the answer had no task id", nil)
		e.HTTPStatus = resp.StatusCode
		return provider.TaskRef{}, e
	}
	ref := provider.TaskRef{ID: ans.Result, Extra: map[string]string{ExtraKind: kind}}
	if IsTestMode(c) {
		ref.Extra[ExtraTestMode] = "true"
	}
	return ref, nil
}

// NextStage implements provider.Provider: after a text preview succeeded, the
// refine stage textures it, unless the user chose to stop at the preview.
func (m *Meshy) NextStage(ctx context.Context, c provider.Credential, req provider.Request, ref provider.TaskRef) (provider.TaskRef, bool, error) {
	if ref.Extra[ExtraKind] != KindText || ref.Stage != StagePreview {
		return provider.TaskRef{}, false, nil
	}
	if provider.OptBoolValue(req.Options, OptStopAtPreview, false) {
		return provider.TaskRef{}, false, nil
	}
	body := map[string]any{"mode": StageRefine, "preview_task_id": ref.ID}
	if err := m.textureOptions(c, req.Options, body); err != nil {
		return provider.TaskRef{}, false, err
	}
	if v, ok := req.Options[OptAIModel]; ok && v != "" {
		body[OptAIModel] = v
	}
	next, err := m.send(ctx, c, KindText, body)
	if err != nil {
		return provider.TaskRef{}, false, err
	}
	next.Stage = StageRefine
	return next, true, nil
}

// Which options go with which create is not written in providers.md (it
// lists "useful options" without endpoints). Meshdrop sends the geometry
// options with the preview and image creates, the texture options with the
// refine and image creates, and should_texture with image creates only: the
// split follows what each stage makes. [guess]
var (
	geometryOpts = []string{OptAIModel, OptModelType, OptShouldRemesh, OptTopology, OptTargetPolys, OptPoseMode}
	textureOpts  = []string{OptEnablePBR, OptHDTexture, OptTexturePrompt}
)

func (m *Meshy) geometryOptions(c provider.Credential, opts map[string]string, body map[string]any) error {
	for _, name := range geometryOpts {
		if err := m.putOption(name, opts, body); err != nil {
			return m.invalid(c, name, err.Error())
		}
	}
	return m.putFormats(c, opts, body)
}

func (m *Meshy) textureOptions(c provider.Credential, opts map[string]string, body map[string]any) error {
	for _, name := range textureOpts {
		if err := m.putOption(name, opts, body); err != nil {
			return m.invalid(c, name, err.Error())
		}
	}
	if _, ok := body[OptEnablePBR]; !ok {
		body[OptEnablePBR] = true // the documented refine request
	}
	return nil
}

func (m *Meshy) imageOptions(c provider.Credential, opts map[string]string, body map[string]any) error {
	if err := m.geometryOptions(c, opts, body); err != nil {
		return err
	}
	if err := m.putOption(OptShouldTexture, opts, body); err != nil {
		return m.invalid(c, OptShouldTexture, err.Error())
	}
	return m.textureOptions(c, opts, body)
}

// putOption copies one option into the body with its JSON type. Options not
// set (or set to "" when "" is not a documented value) are left out.
func (m *Meshy) putOption(name string, opts map[string]string, body map[string]any) error {
	v, ok := opts[name]
	if !ok {
		return nil
	}
	o, _ := m.Capabilities().Option(name)
	if v == "" && !(o.Type == provider.OptEnum && slices.Contains(o.Choices, "")) {
		return nil
	}
	if err := o.Check(v); err != nil {
		return err
	}
	switch o.Type {
	case provider.OptBool:
		b, _ := strconv.ParseBool(v)
		body[name] = b
	case provider.OptInt:
		n, _ := strconv.Atoi(v)
		body[name] = n
	default:
		body[name] = v
	}
	return nil
}

// putFormats sends target_formats as a list, always with glb (the gallery
// shows GLB, and Fetch hands the job engine GLB models).
func (m *Meshy) putFormats(c provider.Credential, opts map[string]string, body map[string]any) error {
	raw, ok := opts[OptTargetFormats]
	if !ok || strings.TrimSpace(raw) == "" {
		return nil
	}
	out := []string{formatGLB}
	for _, f := range strings.Split(raw, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" || slices.Contains(out, f) {
			continue
		}
		if !slices.Contains(TargetFormats, f) {
			return m.invalid(c, OptTargetFormats, fmt.Sprintf("%q is not one of %s", f, strings.Join(TargetFormats, ", ")))
		}
		out = append(out, f)
	}
	body[OptTargetFormats] = out
	return nil
}

// dataURI encodes an image as the data URI Meshy accepts (png, jpeg).
func (m *Meshy) dataURI(c provider.Credential, im provider.Image) (string, error) {
	if len(im.Data) == 0 {
		return "", m.invalid(c, "images", fmt.Sprintf("image %q is empty", im.Name))
	}
	mime := strings.ToLower(im.MIME)
	if mime == "" || mime == "application/octet-stream" {
		mime = http.DetectContentType(im.Data)
	}
	if mime == "image/jpg" {
		mime = "image/jpeg"
	}
	if mime != "image/png" && mime != "image/jpeg" {
		return "", m.invalid(c, "images", fmt.Sprintf("image %q is %s; Meshy takes PNG or JPEG", im.Name, mime))
	}
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(im.Data), nil
}

// taskPath is GET …/{id} for a ref.
func (m *Meshy) taskPath(c provider.Credential, ref provider.TaskRef) (string, error) {
	kind := ref.Extra[ExtraKind]
	if kind == "" {
		kind = KindText // refs from before Extra was recorded
	}
	p, ok := kindPath(kind)
	if !ok || ref.ID == "" || strings.ContainsAny(ref.ID, "/?#") {
		return "", m.c.Error(provider.ErrInvalidInput, c, fmt.Sprintf("the task reference (%q, %q) is not a Meshy task", kind, ref.ID), nil)
	}
	return p + "/" + ref.ID, nil
}

// Status implements provider.Provider: GET …/{id}.
func (m *Meshy) Status(ctx context.Context, c provider.Credential, ref provider.TaskRef) (provider.Status, error) {
	p, err := m.taskPath(c, ref)
	if err != nil {
		return provider.Status{}, err
	}
	resp, err := m.c.Read(ctx, c, httpx.Call{Path: p}, nil)
	if err != nil {
		return provider.Status{}, err
	}
	t, err := parseTask(resp.Body)
	if err != nil {
		return provider.Status{}, m.c.Error(provider.ErrBadResponse, c, err.Error()+"; got "+fmt.Sprintf("%q", httpx.Excerpt(resp.Body, 120)), err)
	}
	return m.finish(c, t)
}

// finish adds the typed error of a failed task and checks a success has a model.
func (m *Meshy) finish(c provider.Credential, t task) (provider.Status, error) {
	st := t.status()
	switch st.State {
	case provider.StateFailed:
		e := m.c.Error(provider.ErrTaskFailed, c, st.Message, nil)
		if t.TaskError != nil {
			e.Code = t.TaskError.Code
			if e.Code == "" {
				e.Code = t.TaskError.Type
			}
		}
		st.Err = e
	case provider.StateSucceeded:
		if !hasModel(st.Outputs) {
			return provider.Status{}, m.c.Error(provider.ErrBadResponse, c, "the finished task lists no GLB model", nil)
		}
	}
	return st, nil
}

// Fetch implements provider.Provider: result files are on Meshy's asset CDN
// and get no key (httpx.Download enforces it); an expired link is
// ErrLinkExpired, and the job engine reads the task again.
func (m *Meshy) Fetch(ctx context.Context, c provider.Credential, out provider.Output, w io.Writer) (int64, error) {
	return m.c.Download(ctx, c, out.URL, w)
}

// Balance implements provider.Provider: GET /v1/balance (free, not rate counted).
func (m *Meshy) Balance(ctx context.Context, c provider.Credential) (provider.Balance, error) {
	credits, err := m.c.ReadBalance(ctx, c, "/v1/balance")
	if err != nil {
		return provider.Balance{}, err
	}
	unit := "credits"
	if IsTestMode(c) {
		unit = "credits (test-mode key: spends nothing, returns a sample task)"
	}
	return provider.Balance{Credits: credits, Unit: unit}, nil
}

// Cancel implements provider.Provider. providers.md documents no cancel or
// delete endpoint for Meshy, so none is called: the task runs to its end.
func (m *Meshy) Cancel(_ context.Context, c provider.Credential, _ provider.TaskRef) error {
	return m.c.Error(provider.ErrUnsupported, c, "the documented API has no cancel; the task runs to its end and may be charged", nil)
}

// Reconcile window around the time the create was sent: the task's
// created_at is the server's clock, so allow for skew before and for a slow
// answer after. [guess: no clock guarantee is documented]
const (
	reconcileBefore = 2 * time.Minute
	reconcileAfter  = 10 * time.Minute
	listPageSize    = 50
)

// Reconcile implements provider.Provider: the newest tasks of the request's
// kind (GET …?page_num=1&page_size=50&sort_by=-created_at, a bare array) are
// searched for the one created closest to the time the lost create was sent
// (matched on the prompt when the task carries one). For text the adapter is
// not told which stage was lost: the closest task wins, and its stage comes
// from its type (a refine when the type says so, else the preview).
// Limitation: if a refine was lost and in fact never made, the preview (made
// a little earlier) may be taken for it and its untextured model kept; the
// job then shows the preview as its result rather than charging a new refine.
func (m *Meshy) Reconcile(ctx context.Context, c provider.Credential, req provider.Request, created time.Time) (provider.TaskRef, bool, error) {
	kind := kindOf(req.Mode)
	p, _ := kindPath(kind)
	q := map[string][]string{"page_num": {"1"}, "page_size": {strconv.Itoa(listPageSize)}, "sort_by": {"-created_at"}}
	resp, err := m.c.Read(ctx, c, httpx.Call{Path: p, Query: q}, nil)
	if err != nil {
		return provider.TaskRef{}, false, err
	}
	tasks, err := parseList(resp.Body)
	if err != nil {
		return provider.TaskRef{}, false, m.c.Error(provider.ErrBadResponse, c, err.Error(), err)
	}
	t, ok := pickReconciled(tasks, kind, req.Prompt, created)
	if !ok {
		return provider.TaskRef{}, false, nil
	}
	ref := provider.TaskRef{ID: t.ID, Extra: map[string]string{ExtraKind: kind}}
	if kind == KindText {
		ref.Stage = StagePreview
		if strings.Contains(strings.ToLower(t.Type), StageRefine) {
			ref.Stage = StageRefine
		}
	}
	if IsTestMode(c) {
		ref.Extra[ExtraTestMode] = "true"
	}
	return ref, true, nil
}

// parseList decodes the list endpoint's bare array.
func parseList(b []byte) ([]task, error) {
	var ts []task
	if err := json.Unmarshal(b, &ts); err != nil {
		return nil, fmt.Errorf("the task list is not a JSON array of tasks: %w", err)
	}
	return ts, nil
}

func pickReconciled(tasks []task, kind, prompt string, created time.Time) (task, bool) {
	var best task
	bestD := time.Duration(-1)
	for _, t := range tasks {
		if t.ID == "" {
			continue
		}
		at := msTime(t.CreatedAt)
		if at.IsZero() || at.Before(created.Add(-reconcileBefore)) || at.After(created.Add(reconcileAfter)) {
			continue
		}
		if kind == KindText && t.Prompt != "" && t.Prompt != prompt {
			continue
		}
		d := at.Sub(created)
		if d < 0 {
			d = -d
		}
		if bestD < 0 || d < bestD {
			best, bestD = t, d
		}
	}
	return best, bestD >= 0
}
