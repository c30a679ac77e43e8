package meshy

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/meshy/meshytest"
)

const secret = "msy_abcdefghijklmnopqrstuvwxyz0123456789"

func cred(s string) provider.Credential {
	return provider.Credential{KeyID: "k1", Name: "Studio", Secret: keys.NewSecret(s)}
}

func newAdapter(t *testing.T, srv *meshytest.Server, mod func(*Config)) *Meshy {
	t.Helper()
	cfg := Config{BaseURL: srv.BaseURL(), PollEvery: time.Millisecond,
		HTTP: httpx.Config{Backoff: httpx.Backoff{Base: time.Millisecond, Attempts: 4}, RequestTimeout: 30 * time.Second}}
	if mod != nil {
		mod(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func output(t *testing.T, st provider.Status, kind provider.OutputKind) provider.Output {
	t.Helper()
	for _, o := range st.Outputs {
		if o.Kind == kind {
			return o
		}
	}
	t.Fatalf("no %s output in %+v", kind, st.Outputs)
	return provider.Output{}
}

// A text job is one job in two paid stages, followed over the stream only.
func TestTextPreviewThenRefineOverTheStream(t *testing.T) {
	srv := meshytest.New(t, secret)
	m := newAdapter(t, srv, nil)
	ctx := context.Background()
	req := provider.Request{Mode: provider.ModeText, Prompt: "a brass owl", Options: map[string]string{OptTargetPolys: "30000", OptTopology: "quad", OptHDTexture: "true"}}
	ref, err := m.Create(ctx, cred(secret), req)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Stage != StagePreview || ref.Extra[ExtraKind] != KindText {
		t.Fatalf("ref %+v", ref)
	}
	body := srv.LastBody()
	if body["mode"] != "preview" || body["prompt"] != "a brass owl" || body["target_polycount"] != float64(30000) || body["topology"] != "quad" {
		t.Fatalf("preview body %v", body)
	}
	if _, ok := body["hd_texture"]; ok {
		t.Errorf("a texture option went with the preview: %v", body)
	}
	var seen []provider.Status
	st, err := m.Watch(ctx, cred(secret), ref, func(s provider.Status) { seen = append(seen, s) })
	if err != nil || st.State != provider.StateSucceeded {
		t.Fatalf("preview watch: %+v %v", st, err)
	}
	// Stream frames carry id, progress and status only (no queue position).
	if len(seen) < 3 || seen[0].State != provider.StateQueued {
		t.Fatalf("updates %+v", seen)
	}
	sawProgress := false
	for _, s := range seen {
		if s.State == provider.StateRunning && s.Progress > 0 && s.Progress < 100 {
			sawProgress = true
		}
	}
	if !sawProgress {
		t.Errorf("no running progress among %+v", seen)
	}
	if srv.Reads() != 0 {
		t.Errorf("the stream worked, yet the task was polled %d times", srv.Reads())
	}
	next, ok, err := m.NextStage(ctx, cred(secret), req, ref)
	if err != nil || !ok || next.Stage != StageRefine || next.ID == ref.ID {
		t.Fatalf("next stage %+v ok=%v err=%v", next, ok, err)
	}
	body = srv.LastBody()
	if body["mode"] != "refine" || body["preview_task_id"] != ref.ID || body["enable_pbr"] != true || body["hd_texture"] != true {
		t.Fatalf("refine body %v", body)
	}
	if _, ok := body["target_polycount"]; ok {
		t.Errorf("a geometry option went with the refine: %v", body)
	}
	st, err = m.Watch(ctx, cred(secret), next, nil)
	if err != nil || st.State != provider.StateSucceeded || st.Credits != 5 || st.ExpiresAt.IsZero() {
		t.Fatalf("refine watch: %+v %v", st, err)
	}
	model := output(t, st, provider.OutModel)
	output(t, st, provider.OutTexture)
	output(t, st, provider.OutPreview)
	if model.Format != "glb" || model.Name != "model.glb" {
		t.Errorf("model %+v", model)
	}
	var buf bytes.Buffer
	if _, err := m.Fetch(ctx, cred(secret), model, &buf); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("glTF")) {
		t.Fatalf("fetch: %v", err)
	}
	if srv.CDN.AuthSeen.Load() != 0 || srv.CDN.Requests.Load() != 1 {
		t.Fatalf("CDN requests %d, with a key %d", srv.CDN.Requests.Load(), srv.CDN.AuthSeen.Load())
	}
	if srv.Creates() != 2 {
		t.Fatalf("creates = %d", srv.Creates())
	}
}

func TestStopAtPreviewSkipsTheRefine(t *testing.T) {
	srv := meshytest.New(t, secret)
	m := newAdapter(t, srv, nil)
	req := provider.Request{Mode: provider.ModeText, Prompt: "a chair", Options: map[string]string{OptStopAtPreview: "true"}}
	ref, err := m.Create(context.Background(), cred(secret), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := m.NextStage(context.Background(), cred(secret), req, ref); ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if _, ok, _ := m.NextStage(context.Background(), cred(secret), provider.Request{Mode: provider.ModeImage}, provider.TaskRef{ID: "x", Extra: map[string]string{ExtraKind: KindImage}}); ok {
		t.Fatal("an image task has no refine stage")
	}
	if _, ok := srv.LastBody()[OptStopAtPreview]; ok || srv.Creates() != 1 {
		t.Fatalf("Meshdrop's own option was sent or a refine was made: %v creates=%d", srv.LastBody(), srv.Creates())
	}
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake png")

func TestImageGoesAsDataURI(t *testing.T) {
	srv := meshytest.New(t, secret)
	m := newAdapter(t, srv, nil)
	ctx := context.Background()
	req := provider.Request{Mode: provider.ModeImage, Images: []provider.Image{{Name: "cat.png", Data: pngBytes}}, Options: map[string]string{OptShouldTexture: "false", OptTargetFormats: "fbx, stl"}}
	ref, err := m.Create(ctx, cred(secret), req)
	if err != nil {
		t.Fatal(err)
	}
	body := srv.LastBody()
	u, _ := body["image_url"].(string)
	raw, ok := strings.CutPrefix(u, "data:image/png;base64,")
	if got, err := base64.StdEncoding.DecodeString(raw); !ok || err != nil || !bytes.Equal(got, pngBytes) {
		t.Fatalf("image_url %.60q", u)
	}
	if body["should_texture"] != false || body["enable_pbr"] != true {
		t.Errorf("body %v", body)
	}
	if f, _ := body["target_formats"].([]any); len(f) != 3 || f[0] != "glb" || f[1] != "fbx" || f[2] != "stl" {
		t.Errorf("target_formats %v", body["target_formats"])
	}
	if ref.Stage != "" || ref.Extra[ExtraKind] != KindImage {
		t.Fatalf("ref %+v", ref)
	}
	st, err := m.Watch(ctx, cred(secret), ref, nil)
	if err != nil || st.State != provider.StateSucceeded {
		t.Fatalf("%+v %v", st, err)
	}
	// Refused before sending: a GIF, two images, a format Meshy lacks.
	for _, bad := range []provider.Request{
		{Mode: provider.ModeImage, Images: []provider.Image{{Name: "a.gif", Data: []byte("GIF89a....")}}},
		{Mode: provider.ModeImage, Images: []provider.Image{{Data: pngBytes}, {Data: pngBytes}}},
		{Mode: provider.ModeImage, Images: []provider.Image{{Data: pngBytes}}, Options: map[string]string{OptTargetFormats: "blend"}},
		{Mode: provider.ModeImage, Images: []provider.Image{{Data: pngBytes}}, Options: map[string]string{OptTargetPolys: "50"}},
	} {
		_, err := m.Create(ctx, cred(secret), bad)
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Kind != provider.ErrInvalidInput || pe.Field == "" {
			t.Errorf("%+v: %v", bad.Options, err)
		}
	}
	if srv.Creates() != 1 {
		t.Fatalf("refused requests reached the server: creates=%d", srv.Creates())
	}
}

func TestMultiImageOneToFour(t *testing.T) {
	srv := meshytest.New(t, secret)
	m := newAdapter(t, srv, nil)
	ctx := context.Background()
	jpeg := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	imgs := []provider.Image{{Data: pngBytes}, {Data: jpeg}, {Data: pngBytes, MIME: "image/png"}, {Data: jpeg, MIME: "image/jpg"}}
	ref, err := m.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeMultiImage, Images: imgs})
	if err != nil {
		t.Fatal(err)
	}
	urls, _ := srv.LastBody()["image_urls"].([]any)
	if len(urls) != 4 || !strings.HasPrefix(urls[1].(string), "data:image/jpeg;base64,") || !strings.HasPrefix(urls[3].(string), "data:image/jpeg;base64,") {
		t.Fatalf("image_urls %v", len(urls))
	}
	if st, err := m.Watch(ctx, cred(secret), ref, nil); err != nil || st.State != provider.StateSucceeded {
		t.Fatalf("%+v %v", st, err)
	}
	for _, n := range []int{0, 5} {
		_, err := m.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeMultiImage, Images: make([]provider.Image, n)})
		if provider.KindOf(err) != provider.ErrInvalidInput {
			t.Errorf("%d images: %v", n, err)
		}
	}
	if srv.Creates() != 1 {
		t.Fatalf("creates=%d", srv.Creates())
	}
}

func TestPromptLimitCheckedBeforeSending(t *testing.T) {
	srv := meshytest.New(t, secret)
	m := newAdapter(t, srv, nil)
	_, err := m.Create(context.Background(), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: strings.Repeat("é", 601)})
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Kind != provider.ErrInvalidInput || pe.Field != "prompt" || srv.Creates() != 0 {
		t.Fatalf("err=%v creates=%d", err, srv.Creates())
	}
	// 600 characters (1200 bytes) is within the limit.
	if _, err := m.Create(context.Background(), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: strings.Repeat("é", 600)}); err != nil {
		t.Fatal(err)
	}
}

// A create whose answer never comes is sent once, becomes "submission
// unknown", and is found again through the list endpoint.
func TestLostCreateIsSentOnceAndReconciled(t *testing.T) {
	srv := meshytest.New(t, secret)
	m := newAdapter(t, srv, nil)
	srv.HangCreate.Store(true)
	sent := srv.Now()
	req := provider.Request{Mode: provider.ModeText, Prompt: "a lost lamp"}
	_, err := m.Create(giveUpOnceSent(t, srv.Creates), cred(secret), req)
	if provider.KindOf(err) != provider.ErrSubmissionUnknown {
		t.Fatalf("err = %v", err)
	}
	time.Sleep(100 * time.Millisecond) // nothing may be resent in the background
	if srv.Creates() != 1 {
		t.Fatalf("creates = %d", srv.Creates())
	}
	srv.HangCreate.Store(false)
	// Another task with another prompt at the same time must not be taken.
	if _, err := m.Create(context.Background(), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "someone else's"}); err != nil {
		t.Fatal(err)
	}
	ref, ok, err := m.Reconcile(context.Background(), cred(secret), req, sent)
	if err != nil || !ok {
		t.Fatalf("reconcile ok=%v err=%v", ok, err)
	}
	if ids := srv.TaskIDs(); ref.ID != ids[0] || ref.Stage != StagePreview || ref.Extra[ExtraKind] != KindText {
		t.Fatalf("reconciled %+v, tasks %v", ref, ids)
	}
	// A lost refine: the task closest to its sending is the refine, not the preview.
	if _, err := m.Watch(context.Background(), cred(secret), ref, nil); err != nil {
		t.Fatal(err)
	}
	// The provider's clock moves a minute on before the refine is sent, so
	// the preview and the refine are a minute apart however slowly this
	// machine sends the refine.
	srv.Advance(time.Minute)
	srv.HangCreate.Store(true)
	refineSent := srv.Now()
	if _, _, err := m.NextStage(giveUpOnceSent(t, srv.Creates), cred(secret), req, ref); provider.KindOf(err) != provider.ErrSubmissionUnknown {
		t.Fatalf("lost refine: %v", err)
	}
	got, ok, err := m.Reconcile(context.Background(), cred(secret), req, refineSent)
	if ids := srv.TaskIDs(); err != nil || !ok || got.Stage != StageRefine || got.ID != ids[len(ids)-1] {
		t.Fatalf("lost refine reconciled as %+v ok=%v err=%v (tasks %v)", got, ok, err, ids)
	}
	if _, ok, err := m.Reconcile(context.Background(), cred(secret), req, sent.Add(-time.Hour)); ok || err != nil {
		t.Fatalf("a task an hour away was taken: ok=%v err=%v", ok, err)
	}
	if _, ok, _ := m.Reconcile(context.Background(), cred(secret), provider.Request{Mode: provider.ModeImage}, sent); ok {
		t.Fatal("found an image task where none was made")
	}
}

// giveUpOnceSent returns a context cancelled as soon as the server has
// received one more create than it has now: the caller gives up on an answer
// that never comes right after sending it. A short request timeout would race
// the clock instead: on a loaded machine it can fire before the request is
// even written ("not sent", a different outcome). httpx's own tests cover
// the request timeout itself.
func giveUpOnceSent(t *testing.T, creates func() int) context.Context {
	t.Helper()
	before := creates()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		defer cancel()
		for deadline := time.Now().Add(30 * time.Second); ctx.Err() == nil && creates() <= before && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}()
	return ctx
}

func TestStreamFallsBackToPolling(t *testing.T) {
	for _, mode := range []string{"off", "break", "garbage"} {
		t.Run(mode, func(t *testing.T) {
			srv := meshytest.New(t, secret)
			srv.StreamMode.Store(mode)
			m := newAdapter(t, srv, nil)
			ref, err := m.Create(context.Background(), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "a cup"})
			if err != nil {
				t.Fatal(err)
			}
			st, err := m.Watch(context.Background(), cred(secret), ref, nil)
			if err != nil || st.State != provider.StateSucceeded || !hasModel(st.Outputs) {
				t.Fatalf("%+v %v", st, err)
			}
			if srv.Streams() != 1 || srv.Reads() == 0 {
				t.Fatalf("streams=%d reads=%d", srv.Streams(), srv.Reads())
			}
		})
	}
}

func TestStreamErrorFrameEndsTheWatch(t *testing.T) {
	srv := meshytest.New(t, secret)
	m := newAdapter(t, srv, nil)
	_, err := m.Watch(context.Background(), cred(secret), provider.TaskRef{ID: "no-such-task", Extra: map[string]string{ExtraKind: KindText}}, nil)
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Kind != provider.ErrNotFound || pe.Message != "Task not found" {
		t.Fatalf("err = %v", err)
	}
	if srv.Reads() != 0 {
		t.Fatalf("polled after a not-found frame: %d", srv.Reads())
	}
}

func TestFailedTaskCarriesTheMessage(t *testing.T) {
	srv := meshytest.New(t, secret)
	m := newAdapter(t, srv, nil)
	ref, err := m.Create(context.Background(), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "please fail"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Watch(context.Background(), cred(secret), ref, nil)
	if err != nil || st.State != provider.StateFailed || provider.KindOf(st.Err) != provider.ErrTaskFailed || !strings.Contains(st.Err.Error(), "Could not generate") {
		t.Fatalf("%+v %v", st, err)
	}
}

func TestErrorsAreTyped(t *testing.T) {
	srv := meshytest.New(t, secret)
	m := newAdapter(t, srv, nil)
	ctx := context.Background()
	create := func(p string) error {
		_, err := m.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeText, Prompt: p})
		return err
	}
	err := create("ratelimit")
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Kind != provider.ErrRateLimited || pe.Code != kindRateLimit || pe.RetryAt.IsZero() {
		t.Errorf("RateLimitExceeded: %#v", err)
	}
	if err := create("queuefull"); provider.KindOf(err) != provider.ErrQueueFull {
		t.Errorf("NoMoreConcurrentTasks: %v", err)
	}
	if err := create("nocredits"); provider.KindOf(err) != provider.ErrNoCredits {
		t.Errorf("402: %v", err)
	}
	if srv.Creates() != 3 {
		t.Errorf("declined creates were resent: %d", srv.Creates())
	}
	wrong := "msy_WRONGwrongWRONGwrongWRONGwrong12345678"
	_, err = m.Balance(ctx, cred(wrong))
	if provider.KindOf(err) != provider.ErrUnauthorized || !strings.Contains(err.Error(), "Studio") || strings.Contains(err.Error(), wrong) {
		t.Errorf("wrong key: %v", err)
	}
	// Reads retry through RateLimitExceeded.
	ref, err := m.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	srv.RateLimitReads.Store(2)
	st, err := m.Status(ctx, cred(secret), ref)
	if err != nil || st.State != provider.StateQueued || st.QueuePosition != 1 {
		t.Fatalf("status after 429s: %+v %v", st, err)
	}
}

// An expired asset link is ErrLinkExpired; reading the task again gives a
// fresh link that works.
func TestExpiredLinkIsRenewedByReadingTheTask(t *testing.T) {
	srv := meshytest.New(t, secret)
	m := newAdapter(t, srv, func(c *Config) { c.NoStream = true })
	ctx := context.Background()
	ref, err := m.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeImage, Images: []provider.Image{{Data: pngBytes}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Watch(ctx, cred(secret), ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.CDN.Expire("/assets/" + ref.ID + "/model.glb")
	var buf bytes.Buffer
	if _, err := m.Fetch(ctx, cred(secret), output(t, st, provider.OutModel), &buf); provider.KindOf(err) != provider.ErrLinkExpired {
		t.Fatalf("expired link: %v", err)
	}
	st, err = m.Status(ctx, cred(secret), ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fetch(ctx, cred(secret), output(t, st, provider.OutModel), &buf); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("glTF")) {
		t.Fatalf("fresh link: %v", err)
	}
}

func TestTestModeKey(t *testing.T) {
	srv := meshytest.New(t, secret)
	m := newAdapter(t, srv, nil)
	tm := cred(keys.MeshyTestModeKey)
	a, err := m.Create(context.Background(), tm, provider.Request{Mode: provider.ModeText, Prompt: "one"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Create(context.Background(), tm, provider.Request{Mode: provider.ModeText, Prompt: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != meshytest.SampleTaskID || b.ID != a.ID || a.Extra[ExtraTestMode] != "true" {
		t.Fatalf("refs %+v %+v", a, b)
	}
	bal, err := m.Balance(context.Background(), tm)
	if err != nil || !strings.Contains(bal.Unit, "test-mode") {
		t.Fatalf("%+v %v", bal, err)
	}
	if IsTestMode(cred(secret)) {
		t.Fatal("a real key taken for the test-mode key")
	}
}

func TestPlainHTTPToAnotherHostRefused(t *testing.T) {
	if _, err := New(Config{BaseURL: "http://api.meshy.ai/openapi"}); err == nil {
		t.Fatal("plain http base URL accepted")
	}
	m, err := New(Config{})
	if err != nil || m.c.BaseURL().String() != DefaultBaseURL {
		t.Fatalf("default base: %v", err)
	}
}

// An asset link on the API host that redirects to the CDN: the key may go to
// the API host, and is dropped when the redirect leaves it.
func TestKeyNotCarriedAcrossARedirectToTheCDN(t *testing.T) {
	srv := meshytest.New(t, secret)
	srv.RedirectAssets.Store(true)
	m := newAdapter(t, srv, nil)
	ctx := context.Background()
	ref, err := m.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeImage, Images: []provider.Image{{Data: pngBytes}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Watch(ctx, cred(secret), ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	model := output(t, st, provider.OutModel)
	if !strings.HasPrefix(model.URL, srv.API.URL) {
		t.Fatalf("model not on the API host: %s", model.URL)
	}
	var buf bytes.Buffer
	if _, err := m.Fetch(ctx, cred(secret), model, &buf); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("glTF")) {
		t.Fatalf("fetch through redirect: %v", err)
	}
	if srv.CDN.Requests.Load() != 1 || srv.CDN.AuthSeen.Load() != 0 {
		t.Fatalf("CDN requests %d, with a key %d", srv.CDN.Requests.Load(), srv.CDN.AuthSeen.Load())
	}
}

func BenchmarkParseTaskStatus(b *testing.B) {
	body := []byte(`{"id":"0193","type":"text-to-3d-refine","status":"SUCCEEDED","progress":100,"preceding_tasks":0,"created_at":1732350000000,"finished_at":1732350100000,"expires_at":1732609300000,"model_urls":{"glb":"https://assets.meshy.ai/x/model.glb?Expires=1&Signature=abc","fbx":"https://assets.meshy.ai/x/model.fbx?Expires=1","obj":"https://assets.meshy.ai/x/model.obj","mtl":"https://assets.meshy.ai/x/model.mtl","usdz":"https://assets.meshy.ai/x/model.usdz"},"thumbnail_url":"https://assets.meshy.ai/x/preview.png","texture_urls":[{"base_color":"https://assets.meshy.ai/x/0.png","metallic":"https://assets.meshy.ai/x/1.png","normal":"https://assets.meshy.ai/x/2.png","roughness":"https://assets.meshy.ai/x/3.png"}],"task_error":{"message":""},"consumed_credits":20}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		t, err := parseTask(body)
		if err != nil {
			b.Fatal(err)
		}
		if st := t.status(); len(st.Outputs) != 10 {
			b.Fatalf("%d outputs", len(st.Outputs))
		}
	}
}

func BenchmarkStreamFrames(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 100; i++ {
		sb.WriteString(": keep-alive\n\nevent: message\ndata: {\"id\":\"0193\",\"progress\":")
		sb.WriteString(strings.Repeat("9", 1+i%2))
		sb.WriteString(",\"status\":\"IN_PROGRESS\"}\n\n")
	}
	stream := sb.String()
	m, _ := New(Config{})
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		rd := httpx.NewSSEReader(strings.NewReader(stream), 1<<20)
		n := 0
		for {
			ev, err := rd.Next()
			if err != nil {
				break
			}
			if _, ok, err := m.parseEvent(provider.Credential{}, ev); ok && err == nil {
				n++
			}
		}
		if n != 100 {
			b.Fatalf("%d frames", n)
		}
	}
}
