package rodin

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/rodin/rodintest"
)

const secret = "rodin-secret-value-0123456789abcdef"

func cred(s string) provider.Credential {
	return provider.Credential{KeyID: "k1", Name: "Studio", Secret: keys.NewSecret(s)}
}

func newAdapter(t *testing.T, srv *rodintest.Server) *Rodin {
	t.Helper()
	r, err := New(Config{BaseURL: srv.BaseURL(), PollEvery: time.Millisecond, AllowFastPoll: true,
		HTTP: httpx.Config{Backoff: httpx.Backoff{Base: time.Millisecond, Attempts: 3}, RequestTimeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTextToModelEndToEnd(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	r := newAdapter(t, srv)
	ctx := context.Background()
	req := provider.Request{Mode: provider.ModeText, Prompt: "a stone lion", Options: map[string]string{"quality": "high", "seed": "7", "TAPose": "true"}}
	ref, err := r.Create(ctx, cred(secret), req)
	if err != nil {
		t.Fatal(err)
	}
	if ref.ID == "" || ref.Extra[extraSubscription] == "" {
		t.Fatalf("ref lacks ids: %+v", ref)
	}
	form, images := srv.LastForm()
	if form["prompt"][0] != "a stone lion" || form["quality"][0] != "high" || form["seed"][0] != "7" || form["TAPose"][0] != "true" || form["tier"][0] != "Regular" || images != 0 {
		t.Fatalf("form sent: %v images=%d", form, images)
	}
	var seen []provider.Status
	st, err := r.Watch(ctx, cred(secret), ref, func(s provider.Status) { seen = append(seen, s) })
	if err != nil {
		t.Fatal(err)
	}
	if st.State != provider.StateSucceeded || st.Progress != 100 {
		t.Fatalf("final %+v", st)
	}
	// Progress is the fraction of jobs done: with two jobs a 50% step is seen.
	saw50 := false
	for _, s := range seen {
		if s.Progress == 50 {
			saw50 = true
		}
	}
	if !saw50 {
		t.Errorf("no 50%% progress among %+v", seen)
	}
	var model, preview *provider.Output
	for i := range st.Outputs {
		switch st.Outputs[i].Kind {
		case provider.OutModel:
			model = &st.Outputs[i]
		case provider.OutPreview:
			preview = &st.Outputs[i]
		}
	}
	if model == nil || preview == nil {
		t.Fatalf("outputs %+v", st.Outputs)
	}
	// The server sent "../../etc/base_basic_pbr.glb": it must be cleaned.
	if model.Name != "base_basic_pbr.glb" || model.Format != "glb" {
		t.Errorf("model name %q format %q", model.Name, model.Format)
	}
	var buf bytes.Buffer
	n, err := r.Fetch(ctx, cred(secret), *model, &buf)
	if err != nil || n != int64(buf.Len()) || !bytes.HasPrefix(buf.Bytes(), []byte("glTF")) {
		t.Fatalf("fetch: n=%d err=%v head=%q", n, err, buf.Bytes()[:min(4, buf.Len())])
	}
	if leaks := srv.Leaks(); len(leaks) != 0 {
		t.Fatalf("the key was sent to the result host: %v", leaks)
	}
	if srv.Creates() != 1 {
		t.Fatalf("creates = %d", srv.Creates())
	}
}

func TestImagesGoAsMultipartFiles(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	r := newAdapter(t, srv)
	img := provider.Image{Name: "/home/me/front.png", MIME: "image/png", Data: []byte("\x89PNG fake")}
	req := provider.Request{Mode: provider.ModeMultiImage, Images: []provider.Image{img, img, img}, Options: map[string]string{"condition_mode": "fuse"}}
	if _, err := r.Create(context.Background(), cred(secret), req); err != nil {
		t.Fatal(err)
	}
	form, images := srv.LastForm()
	if images != 3 || form["condition_mode"][0] != "fuse" || len(form["prompt"]) != 0 {
		t.Fatalf("form %v images %d", form, images)
	}
	six := provider.Request{Mode: provider.ModeMultiImage, Images: make([]provider.Image, 6)}
	_, err := r.Create(context.Background(), cred(secret), six)
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Kind != provider.ErrInvalidInput || pe.Field != "images" {
		t.Fatalf("six images: %v", err)
	}
	if srv.Creates() != 1 {
		t.Fatalf("a refused request reached the server: creates=%d", srv.Creates())
	}
}

func TestSketchTierConstraintCheckedBeforeSending(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	r := newAdapter(t, srv)
	_, err := r.Create(context.Background(), cred(secret), provider.Request{Prompt: "x", Options: map[string]string{"tier": "Sketch", "quality": "high"}})
	if provider.KindOf(err) != provider.ErrInvalidInput || srv.Creates() != 0 {
		t.Fatalf("err=%v creates=%d", err, srv.Creates())
	}
}

func TestWrongKeyIsUnauthorizedAndNamesTheKeyNotTheSecret(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	r := newAdapter(t, srv)
	wrong := "rodin-wrong-secret-9999"
	_, err := r.Balance(context.Background(), cred(wrong))
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Kind != provider.ErrUnauthorized {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	if strings.Contains(msg, wrong) || !strings.Contains(msg, "Studio") || !strings.Contains(msg, keys.Fingerprint(wrong)) {
		t.Fatalf("message %q must name the key and its fingerprint, never the secret", msg)
	}
}

func TestBalance(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	srv.Balance = 12.5
	b, err := newAdapter(t, srv).Balance(context.Background(), cred(secret))
	if err != nil || b.Credits != 12.5 {
		t.Fatalf("balance %+v %v", b, err)
	}
}

func TestFailedJobFailsTheTask(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	r := newAdapter(t, srv)
	ref, err := r.Create(context.Background(), cred(secret), provider.Request{Prompt: "please fail"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Watch(context.Background(), cred(secret), ref, func(provider.Status) {})
	if err != nil {
		t.Fatal(err)
	}
	if st.State != provider.StateFailed || provider.KindOf(st.Err) != provider.ErrTaskFailed {
		t.Fatalf("status %+v", st)
	}
}

func TestCreateWhoseAnswerNeverComesIsUnknownAndNotResent(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	srv.HangCreate.Store(true)
	r := newAdapter(t, srv)
	_, err := r.Create(giveUpOnceSent(t, srv.Creates), cred(secret), provider.Request{Prompt: "a lamp"})
	if provider.KindOf(err) != provider.ErrSubmissionUnknown {
		t.Fatalf("err = %v", err)
	}
	if srv.Creates() != 1 {
		t.Fatalf("creates = %d, want exactly 1", srv.Creates())
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

func TestExpiredLinkIsReportedSoTheTaskIsReadAgain(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	srv.LinkTTL = 20 * time.Millisecond
	srv.StepsPerJob = 1
	r := newAdapter(t, srv)
	ctx := context.Background()
	ref, err := r.Create(ctx, cred(secret), provider.Request{Prompt: "a chair"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Watch(ctx, cred(secret), ref, func(provider.Status) {})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(40 * time.Millisecond)
	_, err = r.Fetch(ctx, cred(secret), st.Outputs[0], &bytes.Buffer{})
	if provider.KindOf(err) != provider.ErrLinkExpired {
		t.Fatalf("stale link: %v", err)
	}
	// Links issued from now on outlive a slow machine.
	srv.SetLinkTTL(time.Minute)
	fresh, err := r.Status(ctx, cred(secret), ref)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := r.Fetch(ctx, cred(secret), fresh.Outputs[0], &buf); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("glTF")) {
		t.Fatalf("fresh link: %v", err)
	}
}

func TestCancelAndReconcileSayTheyAreUnsupported(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	r := newAdapter(t, srv)
	if err := r.Cancel(context.Background(), cred(secret), provider.TaskRef{ID: "x"}); provider.KindOf(err) != provider.ErrUnsupported {
		t.Fatalf("cancel: %v", err)
	}
	if _, ok, err := r.Reconcile(context.Background(), cred(secret), provider.Request{}, time.Now()); ok || provider.KindOf(err) != provider.ErrUnsupported {
		t.Fatalf("reconcile: %v %v", ok, err)
	}
}

func TestPollPaceIsAtLeastFiveSecondsByDefault(t *testing.T) {
	r, err := New(Config{PollEvery: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.PollEvery() < MinPoll || r.Capabilities().PollEvery < MinPoll {
		t.Fatalf("poll every %v", r.PollEvery())
	}
}

func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	if _, err := New(Config{BaseURL: "http://api.hyper3d.com/api"}); err == nil {
		t.Fatal("plain http to a public host must be refused")
	}
}

func TestServerErrorOnCreateIsUnknown(t *testing.T) {
	n := 0
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		http.Error(w, `{"error":"INTERNAL","message":"boom"}`, http.StatusBadGateway)
	})
	srv := newPlain(t, api)
	r, err := New(Config{BaseURL: srv, AllowFastPoll: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Create(context.Background(), cred(secret), provider.Request{Prompt: "x"})
	if provider.KindOf(err) != provider.ErrSubmissionUnknown || n != 1 {
		t.Fatalf("err=%v sent=%d", err, n)
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":   "passwd",
		`..\..\x.glb`:        "x.glb",
		"a:b*c?.glb":         "a_b_c_.glb",
		"":                   "file1",
		"..":                 "file1",
		"ok.glb":             "ok.glb",
		"pre\x00view\n.webp": "preview.webp",
	} {
		if got := CleanName(in, 0); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add(`{"jobs":[{"uuid":"a","status":"Done"},{"uuid":"b","status":"Generating"}]}`)
	f.Add(`{"jobs":[]}`)
	f.Add(`{"jobs":[{"uuid":"a","status":"Failed"}]}`)
	f.Add(`{"jobs":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		srv := newPlain(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(body))
		}))
		r, err := New(Config{BaseURL: srv, AllowFastPoll: true, HTTP: httpx.Config{Backoff: httpx.Backoff{Base: time.Microsecond, Attempts: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		st, err := r.Status(context.Background(), cred(secret), provider.TaskRef{ID: "t", Extra: map[string]string{extraSubscription: "s"}})
		if err == nil && (st.Progress < 0 || st.Progress > 100) {
			t.Fatalf("progress %v", st.Progress)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Fatal("secret in error")
		}
	})
}
