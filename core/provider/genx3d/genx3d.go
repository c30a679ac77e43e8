// Package genx3d is the adapter for genX3D, a self-hosted server that makes
// CAD models from chat. A prompt goes to POST /chat, the code it answers with
// becomes a model (POST /models), the model is exported as STL or OBJ (POST
// /models/{id}/export) and downloaded from the same host (GET /files/{id},
// with the key), then converted to GLB with meshio so it joins the gallery.
// It reads the X-RateLimit headers of every answer, and rotates a key through
// the documented keys API. It follows the genX3D section of providers.md;
// where the docs are silent the code says so.
package genx3d

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"meshdrop/core/meshio"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// DefaultBaseURL is the docs' example base URL: the server runs where the
// user runs it, so this is only a starting point for the setting.
const DefaultBaseURL = "http://localhost:8000/api/v1"

// EnvKey is where the docs keep the key in the environment.
const EnvKey = "GENX3D_API_KEY"

// KeyPrefix starts every genX3D key [doc].
const KeyPrefix = "sk-"

// Option names and defaults.
const (
	OptModel      = "model"
	OptFormat     = "format"
	OptResolution = "resolution"

	// DefaultChatModel is the model in the docs' chat example.
	DefaultChatModel = "gpt-4o-mini"
	// DefaultResolution is the only resolution the docs show.
	DefaultResolution = "high"
)

// Export formats Meshdrop can convert to GLB. The server also offers step,
// ply and 3mf [doc], which meshio does not read.
const (
	FormatSTL = meshio.FormatSTL
	FormatOBJ = meshio.FormatOBJ
)

// Extra keys in provider.TaskRef.
const (
	extraFormat     = "format"
	extraResolution = "resolution"
)

// Fragment keys of an output URL. A fragment is never sent to the server; it
// tells Fetch what the file is (format, documented size) and whether to
// convert it.
const (
	fragFormat = "format"
	fragSize   = "size"
)

const displayName = "genX3D"

// maxNameLen bounds the model name taken from the prompt (the docs give no
// limit; a short name is kinder to any server).
const maxNameLen = 64

// Config configures the adapter.
type Config struct {
	BaseURL string
	Log     *slog.Logger
	// HTTP tunes the shared client; BaseURL, Provider and Classify are set here.
	HTTP httpx.Config
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// GenX3D is the adapter. Safe for concurrent use.
type GenX3D struct {
	c    *httpx.Client
	now  func() time.Time
	rate rateState
}

var _ provider.Provider = (*GenX3D)(nil)

// New builds the adapter.
func New(cfg Config) (*GenX3D, error) {
	g := &GenX3D{now: cfg.Now}
	if g.now == nil {
		g.now = time.Now
	}
	h := cfg.HTTP
	h.Provider = displayName
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
	g.c = c
	return g, nil
}

// ID implements provider.Provider.
func (g *GenX3D) ID() string { return provider.GenX3D }

// DisplayName implements provider.Provider.
func (g *GenX3D) DisplayName() string { return displayName }

// RateLimit is what the server's X-RateLimit headers said last about the
// credential's key.
func (g *GenX3D) RateLimit(c provider.Credential) RateLimit { return g.rate.get(c) }

// Capabilities implements provider.Provider.
func (g *GenX3D) Capabilities() provider.Capabilities {
	return provider.Capabilities{
		Modes: []provider.Mode{provider.ModeText},
		// The docs publish no prompt limit; none is enforced.
		Options: []provider.Option{
			{Name: OptModel, Label: "Chat model", Type: provider.OptString, Default: DefaultChatModel,
				Help: "the language model the server's chat uses (the docs' example: gpt-4o-mini)"},
			{Name: OptFormat, Label: "Export format", Type: provider.OptEnum, Default: FormatSTL,
				Choices: []string{FormatSTL, FormatOBJ}, Help: "converted to GLB for the gallery"},
			{Name: OptResolution, Label: "Export resolution", Type: provider.OptString, Default: DefaultResolution,
				Help: "the docs show only \"high\""},
		},
		NeedsKey:   true,
		CanBalance: true, // requests left in the rate-limit window
		// The API is synchronous: chat, model and export answer at once, so
		// there is nothing to poll; PollEvery only paces retries of the export.
		PollEvery: 2 * time.Second,
		// The docs publish no concurrency figure; a self-hosted server is
		// usually one machine.
		MaxConcurrent: 1,
	}
}

// checkBudget refuses to send when the last answer said the window is spent
// and has not reset yet: the server would refuse anyway.
func (g *GenX3D) checkBudget(cred provider.Credential) error {
	rl := g.rate.get(cred)
	if rl.Known() && rl.Remaining <= 0 && g.now().Before(rl.Reset) {
		e := g.c.Error(provider.ErrRateLimited, cred, fmt.Sprintf("the key has used its %d requests; the window resets at %s", rl.Limit, rl.Reset.UTC().Format(time.RFC3339)), nil)
		e.RetryAt = rl.Reset
		return e
	}
	return nil
}

// chatAnswer is POST /chat's answer [doc].
type chatAnswer struct {
	ID        string `json:"id"`
	Message   string `json:"message"`
	Code      string `json:"code"`
	Timestamp string `json:"timestamp"`
}

// modelAnswer is POST /models's answer; only the id is documented.
type modelAnswer struct {
	ID flexString `json:"id"`
}

// Create implements provider.Provider: the chat turns the prompt into code
// and POST /models stores it. Both are creates (each may cost the server's
// owner a language-model call or storage), so each is sent at most once.
func (g *GenX3D) Create(ctx context.Context, cred provider.Credential, req provider.Request) (provider.TaskRef, error) {
	prompt := strings.TrimSpace(req.Prompt)
	if prompt == "" || len(req.Images) > 0 {
		e := g.c.Error(provider.ErrInvalidInput, cred, "genX3D makes models from a text prompt only", nil)
		e.Field = "prompt"
		return provider.TaskRef{}, e
	}
	if err := g.Capabilities().ValidateOptions(displayName, provider.ModeText, req.Options); err != nil {
		return provider.TaskRef{}, err
	}
	opt := func(name, def string) string {
		if v := strings.TrimSpace(req.Options[name]); v != "" {
			return v
		}
		return def
	}
	if err := g.checkBudget(cred); err != nil {
		return provider.TaskRef{}, err
	}
	var chat chatAnswer
	resp, err := g.c.Create(ctx, cred, httpx.Call{Method: "POST", Path: "/chat",
		JSON: map[string]string{"message": prompt, "model": opt(OptModel, DefaultChatModel)}}, &chat)
	g.rate.observe(cred, resp, g.now())
	if err != nil {
		return provider.TaskRef{}, err
	}
	if strings.TrimSpace(chat.Code) == "" {
		// The assistant answered without code: there is no model to make.
		msg := "the chat answered without model code"
		if chat.Message != "" {
			msg += ": " + httpx.Excerpt([]byte(chat.Message), 200)
		}
		return provider.TaskRef{}, g.c.Error(provider.ErrTaskFailed, cred, msg, nil)
	}
	if err := g.checkBudget(cred); err != nil {
		return provider.TaskRef{}, err
	}
	var model modelAnswer
	// The docs do not describe "parameters"; an empty object is sent.
	body := map[string]any{"name": modelName(prompt), "description": prompt, "code": chat.Code, "parameters": map[string]any{}}
	resp, err = g.c.Create(ctx, cred, httpx.Call{Method: "POST", Path: "/models", JSON: body}, &model)
	g.rate.observe(cred, resp, g.now())
	if err != nil {
		return provider.TaskRef{}, err
	}
	id := model.ID.String()
	if id == "" {
		return provider.TaskRef{}, g.c.Error(provider.ErrSubmissionUnknown, cred, "the model was stored but the answer had no id", nil)
	}
	return provider.TaskRef{ID: id, Extra: map[string]string{
		extraFormat:     opt(OptFormat, FormatSTL),
		extraResolution: opt(OptResolution, DefaultResolution),
	}}, nil
}

// modelName is a short name for the stored model, from the prompt.
func modelName(prompt string) string {
	r := []rune(strings.Join(strings.Fields(prompt), " "))
	if len(r) > maxNameLen {
		r = append(r[:maxNameLen-1], '…')
	}
	return string(r)
}

// NextStage implements provider.Provider: one stage.
func (g *GenX3D) NextStage(context.Context, provider.Credential, provider.Request, provider.TaskRef) (provider.TaskRef, bool, error) {
	return provider.TaskRef{}, false, nil
}

// exportAnswer is POST /models/{id}/export's answer [doc]. file_size is a
// number in the docs' example; a string is accepted too.
type exportAnswer struct {
	FileID      flexString `json:"file_id"`
	DownloadURL string     `json:"download_url"`
	Format      string     `json:"format"`
	FileSize    flexString `json:"file_size"`
}

// Status implements provider.Provider. The API has no task state: a stored
// model is done, and exporting it gives the file. The export is read again
// on every Status (a fresh link each time); the docs do not say whether an
// export costs anything, so it is treated like a read and retried.
func (g *GenX3D) Status(ctx context.Context, cred provider.Credential, ref provider.TaskRef) (provider.Status, error) {
	if ref.ID == "" || strings.ContainsAny(ref.ID, "/?#") {
		return provider.Status{}, g.c.Error(provider.ErrNotFound, cred, fmt.Sprintf("%q is not a genX3D model id", ref.ID), nil)
	}
	format := ref.Extra[extraFormat]
	if format == "" {
		format = FormatSTL
	}
	res := ref.Extra[extraResolution]
	if res == "" {
		res = DefaultResolution
	}
	if err := g.checkBudget(cred); err != nil {
		return provider.Status{}, err
	}
	var ans exportAnswer
	resp, err := g.c.Read(ctx, cred, httpx.Call{Method: "POST", Path: "/models/" + url.PathEscape(ref.ID) + "/export",
		JSON: map[string]string{"format": format, "resolution": res}}, &ans)
	g.rate.observe(cred, resp, g.now())
	if err != nil {
		return provider.Status{}, err
	}
	outs, err := g.outputs(ans, format)
	if err != nil {
		e := g.c.Error(provider.ErrBadResponse, cred, err.Error(), nil)
		e.HTTPStatus = resp.StatusCode
		return provider.Status{}, e
	}
	return provider.Status{State: provider.StateSucceeded, Progress: 100, Outputs: outs}, nil
}

// outputs turns an export answer into the model (converted to GLB by Fetch)
// and the original file.
func (g *GenX3D) outputs(ans exportAnswer, asked string) ([]provider.Output, error) {
	format := strings.ToLower(strings.TrimSpace(ans.Format))
	if format == "" {
		format = asked
	}
	if format != FormatSTL && format != FormatOBJ {
		return nil, fmt.Errorf("the export is %q, which Meshdrop cannot convert (asked for %s)", ans.Format, asked)
	}
	u, err := g.fileURL(ans)
	if err != nil {
		return nil, err
	}
	frag := url.Values{fragFormat: {format}}
	if n, err := strconv.ParseInt(ans.FileSize.String(), 10, 64); err == nil && n > 0 {
		frag.Set(fragSize, strconv.FormatInt(n, 10))
	}
	u.Fragment = frag.Encode()
	model := *u
	raw := *u
	raw.Fragment = url.Values{fragFormat: {format}, fragSize: frag[fragSize], "raw": {"1"}}.Encode()
	return []provider.Output{
		{Kind: provider.OutModel, Format: "glb", Name: "model.glb", URL: model.String()},
		{Kind: provider.OutOther, Format: format, Name: "model." + format, URL: raw.String()},
	}, nil
}

// fileURL resolves the export's download_url. The docs show a path from the
// host's root ("/api/v1/files/file_123") on the same host as the API; a
// missing one falls back to /files/{file_id} under the base URL.
func (g *GenX3D) fileURL(ans exportAnswer) (*url.URL, error) {
	base := g.c.BaseURL()
	raw := strings.TrimSpace(ans.DownloadURL)
	if raw == "" {
		id := ans.FileID.String()
		if id == "" {
			return nil, fmt.Errorf("the export answer has neither download_url nor file_id")
		}
		return url.Parse(base.String() + "/files/" + url.PathEscape(id))
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the export's download_url %q is not a URL", httpx.Redact(raw))
	}
	if !ref.IsAbs() && ref.Host == "" && !strings.HasPrefix(ref.Path, "/") {
		// "files/x" is taken under the base URL, not beside its last segment.
		base.Path += "/"
	}
	u := base.ResolveReference(ref)
	u.Fragment = ""
	if err := httpx.CheckURL(u); err != nil {
		return nil, fmt.Errorf("the export's download_url was refused: %w", err)
	}
	// A link to another host is allowed but gets no key (httpx.Download
	// sends it only to the API host).
	return u, nil
}

// Watch implements provider.Provider: one Status, since the API answers at once.
func (g *GenX3D) Watch(ctx context.Context, cred provider.Credential, ref provider.TaskRef, fn func(provider.Status)) (provider.Status, error) {
	st, err := g.Status(ctx, cred, ref)
	if err != nil {
		return provider.Status{}, err
	}
	if fn != nil {
		fn(st)
	}
	return st, nil
}

// Fetch implements provider.Provider: the file comes from the API host with
// the key; the model output is converted to GLB, the raw output is written
// as it is.
func (g *GenX3D) Fetch(ctx context.Context, cred provider.Credential, out provider.Output, w io.Writer) (int64, error) {
	u, err := url.Parse(out.URL)
	if err != nil {
		return 0, g.c.Error(provider.ErrBadResponse, cred, "the result URL is not a URL", err)
	}
	frag, _ := url.ParseQuery(u.Fragment)
	u.Fragment = ""
	format := frag.Get(fragFormat)
	want, _ := strconv.ParseInt(frag.Get(fragSize), 10, 64)
	if err := g.checkBudget(cred); err != nil {
		return 0, err
	}
	convert := out.Kind == provider.OutModel && frag.Get("raw") == ""
	if !convert {
		n, err := g.c.Download(ctx, cred, u.String(), w)
		if err == nil && want > 0 && n != want {
			return n, g.c.Error(provider.ErrBadResponse, cred, fmt.Sprintf("the file is %d bytes; the export said %d", n, want), nil)
		}
		return n, err
	}
	var buf bytes.Buffer
	n, err := g.c.Download(ctx, cred, u.String(), &buf)
	if err != nil {
		return 0, err
	}
	if want > 0 && n != want {
		return 0, g.c.Error(provider.ErrBadResponse, cred, fmt.Sprintf("the file is %d bytes; the export said %d", n, want), nil)
	}
	if format == "" {
		format = sniffFormat(buf.Bytes())
	}
	var glb bytes.Buffer
	if _, err := meshio.ConvertToGLB(&buf, format, modelTitle(out), &glb); err != nil {
		return 0, g.c.Error(provider.ErrBadResponse, cred, fmt.Sprintf("the exported %s file could not be converted to GLB: %v", strings.ToUpper(format), err), err)
	}
	m, err := w.Write(glb.Bytes())
	return int64(m), err
}

// modelTitle names the converted scene.
func modelTitle(out provider.Output) string {
	if out.Name != "" {
		return strings.TrimSuffix(out.Name, ".glb")
	}
	return "genX3D model"
}

// sniffFormat guesses STL or OBJ from the bytes when the URL does not say.
func sniffFormat(b []byte) string {
	head := b[:min(len(b), 512)]
	if bytes.HasPrefix(bytes.TrimSpace(head), []byte("solid")) || len(b) >= 84 && !isText(head) {
		return FormatSTL
	}
	return FormatOBJ
}

func isText(b []byte) bool {
	for _, c := range b {
		if c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t') {
			return false
		}
	}
	return true
}

// Balance implements provider.Provider. genX3D documents no balance or
// credits; what a key has left is its rate-limit budget, which the headers
// of any answer give. GET /keys is the cheapest documented read.
func (g *GenX3D) Balance(ctx context.Context, cred provider.Credential) (provider.Balance, error) {
	resp, err := g.c.Read(ctx, cred, httpx.Call{Path: "/keys"}, nil)
	g.rate.observe(cred, resp, g.now())
	// A key scoped without the keys API is refused (FORBIDDEN) but was
	// recognised, and the refusal still carries its budget.
	if err != nil && !(provider.KindOf(err) == provider.ErrForbidden && resp != nil) {
		return provider.Balance{}, err
	}
	rl, ok := parseRateLimit(resp.Header)
	if !ok && err != nil {
		return provider.Balance{}, err
	}
	if !ok {
		return provider.Balance{}, g.c.Error(provider.ErrUnsupported, cred, "a budget: the key was accepted, but the server sends no X-RateLimit headers, so there is nothing to show", nil)
	}
	return provider.Balance{Credits: float64(rl.Remaining), Unit: fmt.Sprintf("requests of %d until %s", rl.Limit, rl.Reset.UTC().Format(time.RFC3339))}, nil
}

// Cancel implements provider.Provider: the API answers at once, so there is
// never a running task to cancel.
func (g *GenX3D) Cancel(_ context.Context, cred provider.Credential, _ provider.TaskRef) error {
	return g.c.Error(provider.ErrUnsupported, cred, "a cancel: its requests finish as soon as they are answered", nil)
}

// Reconcile implements provider.Provider: the documented API has no way to
// list models, so a model whose create answer was lost cannot be found.
func (g *GenX3D) Reconcile(_ context.Context, cred provider.Credential, _ provider.Request, _ time.Time) (provider.TaskRef, bool, error) {
	return provider.TaskRef{}, false, g.c.Error(provider.ErrUnsupported, cred, "a model list, so a lost request cannot be looked up; check the server's models", nil)
}
