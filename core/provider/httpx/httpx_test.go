package httpx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/httpx/httpxtest"
	"meshdrop/core/version"
)

const secret = "msy_TESTSECRETabcdefghijklmnopqrstuvwxyz0123"

var cred = provider.Credential{KeyID: "k1", Name: "work", Secret: keys.NewSecret(secret)}

func newClient(t *testing.T, base string, mod func(*httpx.Config)) *httpx.Client {
	t.Helper()
	cfg := httpx.Config{Provider: "Test", BaseURL: base, Backoff: httpx.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond, Attempts: 4}}
	if mod != nil {
		mod(&cfg)
	}
	c, err := httpx.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func kind(t *testing.T, err error, want provider.ErrKind) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("want *provider.Error %s, got %T %v", want, err, err)
	}
	if pe.Kind != want {
		t.Fatalf("want kind %s, got %s (%v)", want, pe.Kind, err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("secret in error: %v", err)
	}
	return pe
}

func TestNewRefusesPlainHTTPExceptLoopback(t *testing.T) {
	for _, base := range []string{"http://example.com/api", "http://10.0.0.1:8000", "ftp://127.0.0.1/", "http://127.evil.com"} {
		if _, err := httpx.New(httpx.Config{Provider: "T", BaseURL: base}); err == nil {
			t.Errorf("%s accepted", base)
		} else if !strings.Contains(err.Error(), "http") {
			t.Errorf("%s: unclear error %v", base, err)
		}
	}
	for _, base := range []string{"https://api.example.com/v1", "http://127.0.0.1:8000/api", "http://127.8.9.1", "http://localhost:8000/api/v1", "http://[::1]:9/x"} {
		if _, err := httpx.New(httpx.Config{Provider: "T", BaseURL: base}); err != nil {
			t.Errorf("%s refused: %v", base, err)
		}
	}
}

func TestKeyOnlyToAPIHostAndUserAgent(t *testing.T) {
	var auth, ua atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		ua.Store(r.Header.Get("User-Agent"))
		fmt.Fprint(w, `{"balance":5}`)
	}))
	defer api.Close()
	cdn := httpxtest.NewCDN(t)
	c := newClient(t, api.URL+"/v1", nil)
	var out struct{ Balance int }
	if _, err := c.Read(context.Background(), cred, httpx.Call{Path: "/balance"}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Balance != 5 || auth.Load() != "Bearer "+secret || ua.Load() != "Meshdrop/"+version.Version {
		t.Fatalf("balance %d auth %q ua %q", out.Balance, auth.Load(), ua.Load())
	}
	u := cdn.Put("/f.glb", []byte("glTF-bytes"))
	var buf bytes.Buffer
	n, err := c.Download(context.Background(), cred, u, &buf)
	if err != nil || n != 10 || buf.String() != "glTF-bytes" {
		t.Fatalf("download %d %q %v", n, buf.String(), err)
	}
	if cdn.AuthSeen.Load() != 0 || cdn.Requests.Load() != 1 {
		t.Fatalf("cdn requests %d auth %d", cdn.Requests.Load(), cdn.AuthSeen.Load())
	}
}

func TestRedirectNeverCarriesKey(t *testing.T) {
	cdn := httpxtest.NewCDN(t)
	target := cdn.Put("/r.glb", []byte("model"))
	// Same host name, other port: Go itself would copy Authorization here.
	samePortless := httpxtest.NewServerOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("key sent across ports")
		}
		fmt.Fprint(w, "other-port")
	}))
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/task":
			http.Redirect(w, r, target, http.StatusFound)
		case "/api/file":
			http.Redirect(w, r, target, http.StatusTemporaryRedirect)
		case "/api/port":
			http.Redirect(w, r, samePortless.URL+"/x", http.StatusFound)
		}
	}))
	defer api.Close()
	c := newClient(t, api.URL+"/api", nil)
	_, err := c.Read(context.Background(), cred, httpx.Call{Path: "/task"}, nil)
	pe := kind(t, err, provider.ErrBadResponse)
	if !strings.Contains(pe.Message, "redirect") || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("message %q", err)
	}
	if cdn.Requests.Load() != 0 {
		t.Fatal("API redirect was followed")
	}
	var buf bytes.Buffer
	if _, err := c.Download(context.Background(), cred, api.URL+"/api/file", &buf); err != nil || buf.String() != "model" {
		t.Fatalf("download via redirect: %q %v", buf.String(), err)
	}
	buf.Reset()
	if _, err := c.Download(context.Background(), cred, api.URL+"/api/port", &buf); err != nil || buf.String() != "other-port" {
		t.Fatalf("download via port redirect: %q %v", buf.String(), err)
	}
	if cdn.AuthSeen.Load() != 0 {
		t.Fatal("key reached the CDN")
	}
}

func TestDownloadRefusesPlainHTTPElsewhere(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.com/x.glb", http.StatusFound)
	}))
	defer api.Close()
	c := newClient(t, api.URL, nil)
	if _, err := c.Download(context.Background(), cred, "http://example.com/m.glb", io.Discard); err == nil {
		t.Fatal("plain http download accepted")
	}
	if _, err := c.Download(context.Background(), cred, api.URL+"/r", io.Discard); err == nil || !strings.Contains(err.Error(), "HTTPS") {
		t.Fatalf("redirect to plain http: %v", err)
	}
}

func TestReadRetriesThenSucceeds(t *testing.T) {
	var n atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			http.Error(w, `{"message":"busy"}`, http.StatusServiceUnavailable)
		case 2:
			hj, _, _ := w.(http.Hijacker).Hijack()
			hj.Close() // dropped connection
		default:
			fmt.Fprint(w, `{"ok":true}`)
		}
	}))
	defer api.Close()
	c := newClient(t, api.URL, nil)
	var out struct{ OK bool }
	if _, err := c.Read(context.Background(), cred, httpx.Call{Path: "/s"}, &out); err != nil || !out.OK {
		t.Fatalf("%v %v", out, err)
	}
	if n.Load() != 3 {
		t.Fatalf("attempts %d", n.Load())
	}
}

func TestReadBoundedAndNotRetryingClientErrors(t *testing.T) {
	var n atomic.Int64
	status := 503
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":"nope, your key %s is bad"}`, secret)
	}))
	defer api.Close()
	c := newClient(t, api.URL, nil)
	_, err := c.Read(context.Background(), cred, httpx.Call{Path: "/s"}, nil)
	kind(t, err, provider.ErrUnavailable)
	if n.Load() != 4 {
		t.Fatalf("attempts %d, want 4", n.Load())
	}
	n.Store(0)
	status = 401
	_, err = c.Read(context.Background(), cred, httpx.Call{Path: "/s"}, nil)
	pe := kind(t, err, provider.ErrUnauthorized)
	if n.Load() != 1 || pe.KeyName != "work" || !strings.Contains(err.Error(), cred.Fingerprint()) {
		t.Fatalf("attempts %d err %v", n.Load(), err)
	}
}

func TestReadHonoursRetryAfter(t *testing.T) {
	var n atomic.Int64
	var first time.Time
	var gap time.Duration
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"message":"RateLimitExceeded"}`, http.StatusTooManyRequests)
			return
		}
		gap = time.Since(first)
		fmt.Fprint(w, `{}`)
	}))
	defer api.Close()
	c := newClient(t, api.URL, nil)
	if _, err := c.Read(context.Background(), cred, httpx.Call{Path: "/s"}, nil); err != nil {
		t.Fatal(err)
	}
	if gap < 900*time.Millisecond {
		t.Fatalf("retried after %s despite Retry-After: 1", gap)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"5": 5 * time.Second, "0": 0, now.Add(42 * time.Second).Format(http.TimeFormat): 42 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat): 0,
	} {
		d, ok := httpx.RetryAfter(http.Header{"Retry-After": {v}}, now)
		if !ok || d != want {
			t.Errorf("%q: %s %v, want %s", v, d, ok, want)
		}
	}
	for _, v := range []string{"", "soon", "-3"} {
		if _, ok := httpx.RetryAfter(http.Header{"Retry-After": {v}}, now); ok {
			t.Errorf("%q accepted", v)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	b := httpx.Backoff{Base: time.Second, Max: 30 * time.Second}
	for n, base := range []time.Duration{1, 2, 4, 8, 16, 30, 30} {
		for range 50 {
			d := b.Delay(n)
			lo, hi := base*time.Second*3/4, base*time.Second*5/4
			if hi > 30*time.Second {
				hi = 30 * time.Second
			}
			if d < lo || d > hi {
				t.Fatalf("delay(%d)=%s outside [%s,%s]", n, d, lo, hi)
			}
		}
	}
}

func TestRetryStopsOnContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := httpx.Retry(ctx, httpx.Backoff{Base: time.Hour, Attempts: 5}, func(int) error {
		calls++
		cancel()
		return &provider.Error{Kind: provider.ErrUnavailable}
	})
	if err == nil || calls != 1 {
		t.Fatalf("calls %d err %v", calls, err)
	}
}

// createServer counts requests whose body arrived in full, then behaves as told.
func createServer(t *testing.T, behave func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			return
		}
		n.Add(1)
		behave(w, r)
	}))
	t.Cleanup(s.Close)
	return s, &n
}

func TestCreateSentOnce(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	cases := []struct {
		name   string
		behave func(w http.ResponseWriter, r *http.Request)
		want   provider.ErrKind
	}{
		{"connection closed after body", func(w http.ResponseWriter, r *http.Request) {
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		}, provider.ErrSubmissionUnknown},
		{"answer never comes", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}, provider.ErrSubmissionUnknown},
		{"500", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"message":"Internal"}`, 500)
		}, provider.ErrSubmissionUnknown},
		{"502 html", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `<html>bad gateway</html>`, http.StatusBadGateway)
		}, provider.ErrSubmissionUnknown},
		{"2xx garbage", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(202)
			fmt.Fprint(w, `{"result":`)
		}, provider.ErrSubmissionUnknown},
		{"429", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			http.Error(w, `{"message":"RateLimitExceeded"}`, http.StatusTooManyRequests)
		}, provider.ErrRateLimited},
		{"400", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"message":"prompt too long"}`, 400)
		}, provider.ErrInvalidInput},
		{"402", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"message":"Payment Required"}`, http.StatusPaymentRequired)
		}, provider.ErrNoCredits},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, n := createServer(t, tc.behave)
			// Only the hanging server needs the timeout to fire; every other
			// case answers at once, and a short timeout there would turn a
			// slow answer on a loaded machine into "no answer came". The
			// hanging case's timeout leaves time to dial and write first.
			timeout := time.Minute
			if tc.name == "answer never comes" {
				timeout = 3 * time.Second
			}
			c := newClient(t, s.URL, func(c *httpx.Config) { c.RequestTimeout = timeout })
			var out struct{ Result string }
			sent := time.Now()
			_, err := c.Create(context.Background(), cred, httpx.Call{Path: "/v2/text-to-3d", JSON: map[string]string{"prompt": "a cube"}}, &out)
			pe := kind(t, err, tc.want)
			// Create returns without retrying; the server may still be reading
			// the body it was sent when the client gave up, so wait for it.
			for deadline := time.Now().Add(30 * time.Second); n.Load() < 1 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			if n.Load() != 1 {
				t.Fatalf("server saw %d creates, want exactly 1", n.Load())
			}
			// Retry-After: 7 counts from the answer, which came after sent
			// (measured from sent, a slow machine cannot eat the margin).
			if tc.want == provider.ErrRateLimited && pe.RetryAt.Before(sent.Add(7*time.Second)) {
				t.Fatalf("RetryAt %s not from Retry-After", pe.RetryAt)
			}
		})
	}
}

func TestCreateNotSentIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: the dial fails before anything is written
	c := newClient(t, "http://"+addr, nil)
	_, err = c.Create(context.Background(), cred, httpx.Call{Path: "/c", JSON: map[string]string{}}, nil)
	kind(t, err, provider.ErrUnavailable)
}

func TestCreateDeclinedStatus(t *testing.T) {
	s, n := createServer(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "{}", http.StatusServiceUnavailable) })
	c := newClient(t, s.URL, func(c *httpx.Config) { c.DeclinedStatuses = []int{503} })
	_, err := c.Create(context.Background(), cred, httpx.Call{Path: "/c", JSON: 1}, nil)
	kind(t, err, provider.ErrUnavailable)
	if n.Load() != 1 {
		t.Fatal("resent")
	}
}

func TestJSONCapAndBadJSON(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			fmt.Fprintf(w, `{"x":"%s"}`, strings.Repeat("a", 2000))
			return
		}
		fmt.Fprint(w, `<html>maintenance</html>`)
	}))
	defer api.Close()
	c := newClient(t, api.URL, func(c *httpx.Config) { c.MaxJSONBytes = 1000 })
	_, err := c.Read(context.Background(), cred, httpx.Call{Path: "/big"}, &map[string]any{})
	kind(t, err, provider.ErrBadResponse)
	_, err = c.Read(context.Background(), cred, httpx.Call{Path: "/html"}, &map[string]any{})
	pe := kind(t, err, provider.ErrBadResponse)
	if !strings.Contains(pe.Message, "maintenance") {
		t.Fatalf("message lacks excerpt: %q", pe.Message)
	}
}

func TestDownloadExpiredAndCap(t *testing.T) {
	cdn := httpxtest.NewCDN(t)
	u := cdn.Put("/a.glb", bytes.Repeat([]byte{1}, 5000))
	cdn.Expire("/a.glb")
	c := newClient(t, "http://127.0.0.1:1", func(c *httpx.Config) { c.MaxFileBytes = 4000 })
	_, err := c.Download(context.Background(), cred, u, io.Discard)
	kind(t, err, provider.ErrLinkExpired)
	if cdn.Requests.Load() != 1 {
		t.Fatalf("expired link retried: %d", cdn.Requests.Load())
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("signed query leaked into error: %v", err)
	}
	u = cdn.Put("/a.glb", bytes.Repeat([]byte{1}, 5000))
	_, err = c.Download(context.Background(), cred, u, io.Discard)
	kind(t, err, provider.ErrBadResponse)
}

func TestDownloadRewindsFileAfterBreak(t *testing.T) {
	var n atomic.Int64
	payload := bytes.Repeat([]byte("0123456789"), 1000)
	cdn := httpxtest.NewServerOn(t, httpxtest.OtherLoopback, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
		if n.Add(1) == 1 {
			w.Write(payload[:3000])
			w.(http.Flusher).Flush()
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
			return
		}
		w.Write(payload)
	}))
	c := newClient(t, "http://127.0.0.1:1", nil)
	f, err := os.Create(filepath.Join(t.TempDir(), "m.glb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := c.Download(context.Background(), cred, cdn.URL+"/m", f)
	if err != nil || got != int64(len(payload)) {
		t.Fatalf("%d %v", got, err)
	}
	b, _ := os.ReadFile(f.Name())
	if !bytes.Equal(b, payload) || n.Load() != 2 {
		t.Fatalf("file %d bytes after %d tries", len(b), n.Load())
	}
	// A plain writer cannot be rewound: a break is reported, not glued.
	n.Store(0)
	var buf bytes.Buffer
	_, err = c.Download(context.Background(), cred, cdn.URL+"/m", &buf)
	kind(t, err, provider.ErrUnavailable)
}

func TestStreamIdleTimeoutAndSSE(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secret {
			t.Errorf("stream without key")
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ": keep-alive\n\nevent: message\ndata: {\"progress\":10}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // then silence
	}))
	defer api.Close()
	// The idle timer runs from the moment the stream opens, so the first
	// event must be read within it: long enough for a loaded machine.
	c := newClient(t, api.URL, func(c *httpx.Config) { c.IdleTimeout = 3 * time.Second })
	body, err := c.Stream(context.Background(), cred, httpx.Call{Path: "/t/1/stream"})
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	r := httpx.NewSSEReader(body, 0)
	ev, err := r.Next()
	if err != nil || ev.Name != "message" || ev.Data != `{"progress":10}` {
		t.Fatalf("%+v %v", ev, err)
	}
	done := make(chan error, 1)
	go func() { _, err := r.Next(); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("silent stream produced an event")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("idle stream not cut")
	}
}

func TestSSEReader(t *testing.T) {
	in := ": ping\r\n\r\nevent: message\r\ndata: a\r\ndata: b\r\nid: 7\r\n\r\n\nevent: error\ndata:{\"status_code\":404}\n\nevent: ignored-no-data\n\ndata: tail"
	r := httpx.NewSSEReader(strings.NewReader(in), 0)
	want := []httpx.SSEEvent{{"message", "a\nb", "7"}, {"error", `{"status_code":404}`, ""}, {"message", "tail", ""}}
	for _, w := range want {
		ev, err := r.Next()
		if err != nil || ev != w {
			t.Fatalf("got %+v %v want %+v", ev, err, w)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
	r = httpx.NewSSEReader(strings.NewReader("data: "+strings.Repeat("x", 100)+"\n\n"), 50)
	if _, err := r.Next(); !errors.Is(err, httpx.ErrEventTooLarge) {
		t.Fatalf("cap: %v", err)
	}
}

func TestMultipart(t *testing.T) {
	body, ct, err := httpx.Multipart([]httpx.FormField{{"prompt", "a cube"}}, []httpx.FormFile{{Field: "file", FileName: `../../etc/"x".png`, MIME: "image/png", Data: []byte("PNG")}})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if err := req.ParseMultipartForm(1 << 20); err != nil {
		t.Fatal(err)
	}
	f, h, err := req.FormFile("file")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	if req.FormValue("prompt") != "a cube" || string(b) != "PNG" || h.Filename != `"x".png` || h.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("prompt %q file %q name %q", req.FormValue("prompt"), b, h.Filename)
	}
}

func TestRateLimiterSpacesRequests(t *testing.T) {
	var n atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); fmt.Fprint(w, "{}") }))
	defer api.Close()
	// A burst of 20 then 20/s: the 30th request cannot leave before 0.5 s
	// after the client (and its full bucket) was made. Counting requests in
	// a fixed window would also need the machine to be fast enough to send
	// 20 in it; the elapsed time of a fixed number only grows under load.
	// The burst itself is checked without a clock in TestLimiterBurstAndRate.
	start := time.Now()
	c := newClient(t, api.URL, func(c *httpx.Config) { c.RatePerSecond = 20 })
	for range 30 {
		if _, err := c.Read(context.Background(), cred, httpx.Call{Path: "/x"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// 1 ms of slack for float rounding in the bucket.
	if got, elapsed := n.Load(), time.Since(start); got != 30 || elapsed < 499*time.Millisecond {
		t.Fatalf("%d requests in %s at 20/s with a burst of 20, want 30 in at least 0.5 s", got, elapsed)
	}
}
