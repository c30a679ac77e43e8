package tripo

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/tripo/triptest"
)

const secret = "tsk_abcdefghijklmnopqrstuvwxyz0123456789"

func cred(s string) provider.Credential {
	return provider.Credential{KeyID: "k1", Name: "Studio", Secret: keys.NewSecret(s)}
}

func newAdapter(t *testing.T, srv *triptest.Server, mod func(*Config)) *Tripo {
	t.Helper()
	cfg := Config{BaseURL: srv.BaseURL(), PollEvery: time.Millisecond, AllowFastPoll: true,
		HTTP: httpx.Config{Backoff: httpx.Backoff{Base: time.Millisecond, Attempts: 3}, RequestTimeout: 30 * time.Second}}
	if mod != nil {
		mod(&cfg)
	}
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
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

var (
	png  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake png")
	jpeg = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00 fake")
)

func TestTextToModelEndToEnd(t *testing.T) {
	srv := triptest.New(t, secret)
	tr := newAdapter(t, srv, nil)
	ctx := context.Background()
	req := provider.Request{Mode: provider.ModeText, Prompt: "a clay teapot", Options: map[string]string{OptGeometryQuality: "detailed", OptFaceLimit: "5000", OptNegativePrompt: "cracks"}}
	ref, err := tr.Create(ctx, cred(secret), req)
	if err != nil {
		t.Fatal(err)
	}
	b := srv.LastBody()
	if b["model"] != ModelDefault || b["prompt"] != "a clay teapot" || b["texture"] != true || b["pbr"] != true ||
		b["geometry_quality"] != "detailed" || b["face_limit"] != float64(5000) || b["negative_prompt"] != "cracks" {
		t.Fatalf("body %v", b)
	}
	if _, ok := b["quad"]; ok {
		t.Fatalf("quad sent: %v", b)
	}
	var seen []provider.Status
	st, err := tr.Watch(ctx, cred(secret), ref, func(s provider.Status) { seen = append(seen, s) })
	if err != nil || st.State != provider.StateSucceeded || st.Credits != 30.5 || st.ExpiresAt.IsZero() {
		t.Fatalf("%+v %v", st, err)
	}
	if seen[0].State != provider.StateQueued || len(seen) < 3 || seen[1].State != provider.StateRunning || seen[1].Progress <= 0 {
		t.Fatalf("updates %+v", seen)
	}
	model := output(t, st, provider.OutModel)
	prev := output(t, st, provider.OutPreview)
	if model.Name != "model.glb" || prev.Format != "webp" {
		t.Fatalf("outputs %+v", st.Outputs)
	}
	var buf bytes.Buffer
	if _, err := tr.Fetch(ctx, cred(secret), model, &buf); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("glTF")) {
		t.Fatalf("fetch %v", err)
	}
	if srv.CDN.AuthSeen.Load() != 0 || srv.Creates() != 1 {
		t.Fatalf("auth to CDN %d, creates %d", srv.CDN.AuthSeen.Load(), srv.Creates())
	}
}

// "model" is always sent, and what a model does not take is left out.
func TestModelAlwaysSentAndModelRulesKept(t *testing.T) {
	srv := triptest.New(t, secret)
	tr := newAdapter(t, srv, nil)
	ctx := context.Background()
	for _, model := range []string{ModelV25, ModelP1} {
		_, err := tr.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "a rock", Options: map[string]string{OptModel: model, OptGeometryQuality: "detailed", OptFaceLimit: "500"}})
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if b := srv.LastBody(); b["model"] != model || b["geometry_quality"] != nil {
			t.Fatalf("%s body %v", model, b)
		}
	}
	_, err := tr.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "a rock", Options: map[string]string{OptModel: ModelP1, OptFaceLimit: "30000"}})
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Field != OptFaceLimit || srv.Creates() != 2 {
		t.Fatalf("P1 face limit: %v creates %d", err, srv.Creates())
	}
	if _, err := tr.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeText, Prompt: strings.Repeat("x", 1025)}); provider.KindOf(err) != provider.ErrInvalidInput || srv.Creates() != 2 {
		t.Fatalf("long prompt: %v", err)
	}
}

func TestImageIsUploadedThenPassedByToken(t *testing.T) {
	srv := triptest.New(t, secret)
	tr := newAdapter(t, srv, nil)
	ctx := context.Background()
	ref, err := tr.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeImage, Images: []provider.Image{{Name: "/home/me/cat.png", Data: png}}, Options: map[string]string{OptOrientation: "align_image"}})
	if err != nil {
		t.Fatal(err)
	}
	b := srv.LastBody()
	if tok, _ := b["input"].(string); !strings.HasPrefix(tok, "file_") || b["orientation"] != "align_image" || b["model"] != ModelDefault {
		t.Fatalf("body %v", b)
	}
	if srv.Uploads() != 1 {
		t.Fatalf("uploads %d", srv.Uploads())
	}
	if st, err := tr.Watch(ctx, cred(secret), ref, nil); err != nil || st.State != provider.StateSucceeded {
		t.Fatalf("%+v %v", st, err)
	}
	// Refused before any upload: a GIF, an image over 20 MB.
	for _, im := range []provider.Image{{Name: "a.gif", Data: []byte("GIF89a......")}, {Name: "big.png", Data: append(append([]byte{}, png...), make([]byte, 20<<20)...)}} {
		_, err := tr.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeImage, Images: []provider.Image{im}})
		if provider.KindOf(err) != provider.ErrInvalidInput {
			t.Errorf("%s: %v", im.Name, err)
		}
	}
	if srv.Uploads() != 1 || srv.Creates() != 1 {
		t.Fatalf("uploads %d creates %d", srv.Uploads(), srv.Creates())
	}
}

func TestMultiviewSlots(t *testing.T) {
	srv := triptest.New(t, secret)
	tr := newAdapter(t, srv, nil)
	ctx := context.Background()
	imgs := []provider.Image{{Slot: "back", Data: jpeg}, {Slot: "front", Data: png}, {Slot: "right", Data: png}}
	if _, err := tr.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeMultiImage, Images: imgs}); err != nil {
		t.Fatal(err)
	}
	in, _ := srv.LastBody()["inputs"].([]any)
	if len(in) != 4 || in[0] == "" || in[1] != "" || in[2] == "" || in[3] == "" || in[0] == in[2] {
		t.Fatalf("inputs %v", in)
	}
	if srv.Uploads() != 3 {
		t.Fatalf("uploads %d", srv.Uploads())
	}
	for name, bad := range map[string][]provider.Image{
		"no front":   {{Slot: "back", Data: png}, {Slot: "left", Data: png}},
		"one view":   {{Slot: "front", Data: png}},
		"bad slot":   {{Slot: "top", Data: png}, {Slot: "front", Data: png}},
		"twice":      {{Slot: "front", Data: png}, {Slot: "front", Data: png}},
		"five views": {{Data: png}, {Data: png}, {Data: png}, {Data: png}, {Data: png}},
	} {
		if _, err := tr.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeMultiImage, Images: bad}); provider.KindOf(err) != provider.ErrInvalidInput {
			t.Errorf("%s: %v", name, err)
		}
	}
	if srv.Uploads() != 3 || srv.Creates() != 1 {
		t.Fatalf("refused requests reached the server: uploads %d creates %d", srv.Uploads(), srv.Creates())
	}
	// Without slots, images take the views in order.
	if _, err := tr.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeMultiImage, Images: []provider.Image{{Data: png}, {Data: png}}}); err != nil {
		t.Fatal(err)
	}
	if in, _ := srv.LastBody()["inputs"].([]any); in[0] == "" || in[1] == "" || in[2] != "" || in[3] != "" {
		t.Fatalf("ordered inputs %v", in)
	}
}

// The code table, through the real server: each answer becomes its typed
// error; declined creates are not "unknown", lost ones are, nothing is resent.
func TestCreateErrors(t *testing.T) {
	srv := triptest.New(t, secret)
	tr := newAdapter(t, srv, nil)
	cases := []struct {
		prompt string
		kind   provider.ErrKind
		code   string
		field  string
	}{
		{"forbidden-words", provider.ErrContentPolicy, "2008", ""},
		{"poor", provider.ErrNoCredits, "2010", ""},
		{"busy", provider.ErrQueueFull, "2000", ""},
		{"declined", provider.ErrUnavailable, "1001", ""},         // 503: declined, may be sent again later
		{"crash", provider.ErrSubmissionUnknown, "1000", ""},      // 500 after sending: maybe billed
		{"quietly-refused", provider.ErrInvalidInput, "1004", ""}, // code != 0 on a 200
		{"bad\x00char", provider.ErrInvalidInput, "2009", "prompt"},
	}
	for i, c := range cases {
		sent := time.Now()
		_, err := tr.Create(context.Background(), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: c.prompt})
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Kind != c.kind || pe.Code != c.code || pe.Field != c.field {
			t.Errorf("%q: %#v", c.prompt, err)
			continue
		}
		if !strings.Contains(pe.Message, "[trace trace-") {
			t.Errorf("%q: no trace id in %q", c.prompt, pe.Message)
		}
		// The server says Retry-After: 7, counted from its answer (after sent).
		if c.prompt == "busy" && pe.RetryAt.Before(sent.Add(7*time.Second)) {
			t.Errorf("Retry-After not kept: %v", pe.RetryAt)
		}
		if srv.Creates() != i+1 {
			t.Fatalf("%q was sent %d times", c.prompt, srv.Creates()-i)
		}
	}
	if _, err := tr.Create(context.Background(), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "x", Options: map[string]string{OptModel: "v2.0-20240919"}}); provider.KindOf(err) != provider.ErrInvalidInput {
		t.Errorf("unknown model accepted locally: %v", err)
	}
	_, err := tr.Balance(context.Background(), cred("tsk_wrong"))
	if provider.KindOf(err) != provider.ErrUnauthorized || strings.Contains(err.Error(), "tsk_wrong") || !strings.Contains(err.Error(), "Studio") {
		t.Errorf("wrong key: %v", err)
	}
}

func TestLostCreateIsSentOnce(t *testing.T) {
	srv := triptest.New(t, secret)
	tr := newAdapter(t, srv, nil)
	srv.HangCreate.Store(true)
	_, err := tr.Create(giveUpOnceSent(t, srv.Creates), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "a lost vase"})
	if provider.KindOf(err) != provider.ErrSubmissionUnknown {
		t.Fatalf("err %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if srv.Creates() != 1 {
		t.Fatalf("creates %d", srv.Creates())
	}
	if _, ok, err := tr.Reconcile(context.Background(), cred(secret), provider.Request{}, time.Now()); ok || provider.KindOf(err) != provider.ErrUnsupported {
		t.Fatalf("reconcile ok=%v err=%v", ok, err)
	}
}

// giveUpOnceSent returns a context cancelled as soon as the server has
// received one more create than it has now: the caller gives up on an answer
// that never comes right after sending it. A short timeout would race the
// clock instead: on a loaded machine it can fire before the request is even
// written ("not sent", a different outcome) or before the server has counted
// it. httpx's own tests cover the request timeout itself.
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

func TestFailedAndBannedTasks(t *testing.T) {
	srv := triptest.New(t, secret)
	tr := newAdapter(t, srv, nil)
	ctx := context.Background()
	for _, legacy := range []bool{false, true} {
		srv.LegacyFields.Store(legacy)
		ref, err := tr.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "please fail"})
		if err != nil {
			t.Fatal(err)
		}
		st, err := tr.Watch(ctx, cred(secret), ref, nil)
		if err != nil || st.State != provider.StateFailed || provider.KindOf(st.Err) != provider.ErrTaskFailed || st.Message != "generation failed" {
			t.Fatalf("legacy=%v: %+v %v", legacy, st, err)
		}
	}
	ref, err := tr.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "ban me"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := tr.Watch(ctx, cred(secret), ref, nil)
	if err != nil || st.State != provider.StateFailed || provider.KindOf(st.Err) != provider.ErrContentPolicy {
		t.Fatalf("banned: %+v %v", st, err)
	}
	if _, err := tr.Status(ctx, cred(secret), provider.TaskRef{ID: "00000000-dead"}); provider.KindOf(err) != provider.ErrNotFound {
		t.Fatalf("unknown task: %v", err)
	}
}

func TestLegacyOutputFieldsPickedInOrder(t *testing.T) {
	srv := triptest.New(t, secret)
	srv.LegacyFields.Store(true)
	tr := newAdapter(t, srv, nil)
	ref, err := tr.Create(context.Background(), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "a boot"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := tr.Watch(context.Background(), cred(secret), ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := output(t, st, provider.OutModel); strings.Contains(m.URL, "wrong.invalid") || output(t, st, provider.OutPreview).Format != "webp" {
		t.Fatalf("outputs %+v", st.Outputs)
	}
}

func TestBatchReadBothShapes(t *testing.T) {
	for _, asMap := range []bool{false, true} {
		srv := triptest.New(t, secret)
		srv.BatchAsMap.Store(asMap)
		tr := newAdapter(t, srv, nil)
		a, err := tr.Create(context.Background(), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "a"})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := tr.Create(context.Background(), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "b fail"})
		for i := 0; i < 4; i++ {
			_, _ = tr.Status(context.Background(), cred(secret), b)
		}
		got, missed, err := tr.BatchStatus(context.Background(), cred(secret), []string{a.ID, b.ID, "gone"})
		if err != nil {
			t.Fatalf("map=%v: %v", asMap, err)
		}
		if got[a.ID].State != provider.StateQueued || got[b.ID].State != provider.StateFailed || len(missed) != 1 || missed[0] != "gone" {
			t.Fatalf("map=%v: %+v missed %v", asMap, got, missed)
		}
	}
	tr, _ := New(Config{})
	if _, _, err := tr.BatchStatus(context.Background(), cred(secret), make([]string, 101)); provider.KindOf(err) != provider.ErrInvalidInput {
		t.Fatalf("101 ids: %v", err)
	}
}

func TestExpiredLinkRenewedAndBalance(t *testing.T) {
	srv := triptest.New(t, secret)
	tr := newAdapter(t, srv, nil)
	ctx := context.Background()
	ref, _ := tr.Create(ctx, cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "a hat"})
	st, err := tr.Watch(ctx, cred(secret), ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.CDN.Expire("/tripo/" + ref.ID + "/model.glb")
	var buf bytes.Buffer
	if _, err := tr.Fetch(ctx, cred(secret), output(t, st, provider.OutModel), &buf); provider.KindOf(err) != provider.ErrLinkExpired {
		t.Fatalf("expired: %v", err)
	}
	st, _ = tr.Status(ctx, cred(secret), ref)
	if _, err := tr.Fetch(ctx, cred(secret), output(t, st, provider.OutModel), &buf); err != nil {
		t.Fatalf("renewed: %v", err)
	}
	bal, err := tr.Balance(ctx, cred(secret))
	if err != nil || bal.Credits != 300.5 || bal.Frozen != 20 {
		t.Fatalf("%+v %v", bal, err)
	}
}

func TestRegionsAndPace(t *testing.T) {
	for region, want := range map[string]string{"": DefaultBaseURL, "international": DefaultBaseURL, "China": ChinaBaseURL} {
		tr, err := New(Config{Region: region})
		if err != nil || tr.BaseURL() != want {
			t.Errorf("region %q: %v %v", region, tr, err)
		}
	}
	if _, err := New(Config{Region: "mars"}); err == nil {
		t.Error("unknown region accepted")
	}
	tr, _ := New(Config{PollEvery: 10 * time.Millisecond})
	if tr.Capabilities().PollEvery != MinPoll {
		t.Errorf("poll %v: faster than once a second", tr.Capabilities().PollEvery)
	}
}

// classify maps every documented code, and an error code on a 200.
func TestClassifyCodeTable(t *testing.T) {
	want := map[int]provider.ErrKind{1003: provider.ErrInvalidInput, 1004: provider.ErrInvalidInput, 1005: provider.ErrForbidden,
		1007: provider.ErrRateLimited, 2000: provider.ErrQueueFull, 2001: provider.ErrNotFound, 2003: provider.ErrInvalidInput,
		2004: provider.ErrInvalidInput, 2008: provider.ErrContentPolicy, 2009: provider.ErrInvalidInput, 2010: provider.ErrNoCredits,
		2015: provider.ErrInvalidInput, 1000: provider.ErrUnavailable, 1001: provider.ErrUnavailable, 2: provider.ErrUnauthorized, 1002: provider.ErrUnauthorized}
	for code, kind := range want {
		for _, status := range []int{http.StatusOK, http.StatusBadRequest} {
			body := []byte(`{"code":` + strconv.Itoa(code) + `,"status":"error","message":"m"}`)
			e := classify(&httpx.Response{StatusCode: status, Header: http.Header{}, Body: body})
			if e == nil || e.Kind != kind || e.Code != strconv.Itoa(code) {
				t.Errorf("code %d status %d: %+v", code, status, e)
			}
		}
	}
	if e := classify(&httpx.Response{StatusCode: 401, Header: http.Header{}, Body: []byte(`{"code":9999}`)}); e.Kind != provider.ErrUnauthorized {
		t.Errorf("401 with an unknown code: %+v", e)
	}
	if e := classify(&httpx.Response{StatusCode: 200, Header: http.Header{}, Body: []byte(`{"code":0,"data":{}}`)}); e != nil {
		t.Errorf("success: %+v", e)
	}
}

// Reads are retried through 429/1007 and 503, as the SDKs do.
func TestReadsRetryThroughRateLimits(t *testing.T) {
	srv := triptest.New(t, secret)
	tr := newAdapter(t, srv, nil)
	ref, err := tr.Create(context.Background(), cred(secret), provider.Request{Mode: provider.ModeText, Prompt: "a cup"})
	if err != nil {
		t.Fatal(err)
	}
	srv.FailReads.Store(2)
	st, err := tr.Status(context.Background(), cred(secret), ref)
	if err != nil || st.State != provider.StateQueued || srv.FailReads.Load() != 0 {
		t.Fatalf("%+v %v", st, err)
	}
	srv.FailReads.Store(10) // more than the attempts: the typed error comes back
	if _, err := tr.Status(context.Background(), cred(secret), ref); provider.KindOf(err) != provider.ErrRateLimited && provider.KindOf(err) != provider.ErrUnavailable {
		t.Fatalf("err %v", err)
	}
}

func BenchmarkParseTaskStatus(b *testing.B) {
	body := []byte(`{"task_id":"1ec04ced-4b87-44f6-a296-beee80777941","type":"text_to_model","status":"success","progress":100,"output":{"model_url":"https://tripo-data.rg1.data.tripo3d.com/tcli/x/model.glb?auth_key=abc","rendered_image_url":"https://tripo-data.rg1.data.tripo3d.com/tcli/x/render.webp?auth_key=abc"},"credits_consumed":"30.0","created_at":"2026-11-23T10:00:00Z","completed_at":"2026-11-23T10:01:00Z"}`)
	now := time.Now()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		tk, err := parseTask(body)
		if err != nil {
			b.Fatal(err)
		}
		if st := tk.status(now); len(st.Outputs) != 2 {
			b.Fatal(st.Outputs)
		}
	}
}
