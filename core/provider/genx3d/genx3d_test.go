package genx3d

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/meshio/meshiotest"
	"meshdrop/core/provider"
	"meshdrop/core/provider/genx3d/genx3dtest"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/httpx/httpxtest"
)

func cred(s string) provider.Credential {
	return provider.Credential{KeyID: "k1", Name: "Workshop", Secret: keys.NewSecret(s)}
}

func cred2(s string) provider.Credential {
	return provider.Credential{KeyID: "k2", Name: "Other", Secret: keys.NewSecret(s)}
}

func newAdapter(t *testing.T, base string) *GenX3D {
	t.Helper()
	g, err := New(Config{BaseURL: base, HTTP: httpx.Config{Backoff: httpx.Backoff{Base: time.Millisecond, Attempts: 3}, RequestTimeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func outputOf(t *testing.T, st provider.Status, kind provider.OutputKind) provider.Output {
	t.Helper()
	for _, o := range st.Outputs {
		if o.Kind == kind {
			return o
		}
	}
	t.Fatalf("no %s output in %+v", kind, st.Outputs)
	return provider.Output{}
}

func TestChatModelExportDownloadConvert(t *testing.T) {
	for _, format := range []string{FormatSTL, FormatOBJ} {
		t.Run(format, func(t *testing.T) {
			srv, key := genx3dtest.New()
			defer srv.Close()
			g := newAdapter(t, srv.BaseURL())
			ctx := context.Background()
			ref, err := g.Create(ctx, cred(key), provider.Request{Mode: provider.ModeText, Prompt: "Create a 30mm cube",
				Options: map[string]string{OptFormat: format}})
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.LastBody("POST /chat"); got["message"] != "Create a 30mm cube" || got["model"] != DefaultChatModel {
				t.Errorf("chat body %v", got)
			}
			mb := srv.LastBody("POST /models")
			if mb["name"] != "Create a 30mm cube" || mb["description"] != "Create a 30mm cube" || !strings.Contains(mb["code"].(string), "box(30") {
				t.Errorf("models body %v", mb)
			}
			var seen []provider.Status
			st, err := g.Watch(ctx, cred(key), ref, func(s provider.Status) { seen = append(seen, s) })
			if err != nil || st.State != provider.StateSucceeded || len(seen) != 1 {
				t.Fatalf("watch %+v %v (seen %d)", st, err, len(seen))
			}
			if eb := srv.LastBody("POST /models/{id}/export"); eb["format"] != format || eb["resolution"] != DefaultResolution {
				t.Errorf("export body %v", eb)
			}
			model := outputOf(t, st, provider.OutModel)
			if model.Format != "glb" || model.Name != "model.glb" {
				t.Errorf("model output %+v", model)
			}
			var glb bytes.Buffer
			if _, err := g.Fetch(ctx, cred(key), model, &glb); err != nil {
				t.Fatal(err)
			}
			// The file is on the API host: the key goes with it [doc].
			if a := srv.Auth("GET /files/{id}"); len(a) != 1 || a[0] != "Bearer "+key {
				t.Errorf("file download auth %q", a)
			}
			sum, err := meshiotest.Inspect(glb.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if sum.Triangles != 12 || sum.Max[0]-sum.Min[0] != 30 {
				t.Errorf("converted GLB: %d triangles, %v–%v", sum.Triangles, sum.Min, sum.Max)
			}
			// The original export is kept too, byte for byte.
			raw := outputOf(t, st, provider.OutOther)
			var rb bytes.Buffer
			n, err := g.Fetch(ctx, cred(key), raw, &rb)
			if err != nil || raw.Format != format || n != int64(rb.Len()) {
				t.Fatalf("raw fetch %+v: %d %v", raw, n, err)
			}
			if format == FormatOBJ && !bytes.HasPrefix(rb.Bytes(), []byte("# genx3dtest")) {
				t.Errorf("raw OBJ %q", rb.String()[:20])
			}
			f := filepath.Join(t.TempDir(), "m.glb")
			if err := os.WriteFile(f, glb.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			meshiotest.AssertValid(t, f) // last: it skips where the validator is missing
		})
	}
}

func TestChatWithoutCodeIsATaskFailure(t *testing.T) {
	srv, key := genx3dtest.New()
	defer srv.Close()
	g := newAdapter(t, srv.BaseURL())
	_, err := g.Create(context.Background(), cred(key), provider.Request{Prompt: "hello there"})
	if provider.KindOf(err) != provider.ErrTaskFailed || !strings.Contains(err.Error(), "I can only make cubes") {
		t.Fatalf("err %v", err)
	}
	if srv.Hits("POST /models") != 0 {
		t.Fatal("a model was stored without code")
	}
}

func TestDocumentedErrorsAreTyped(t *testing.T) {
	srv, admin := genx3dtest.New()
	defer srv.Close()
	g := newAdapter(t, srv.BaseURL())
	ctx := context.Background()
	req := provider.Request{Prompt: "a cube"}

	_, err := g.Create(ctx, cred("sk-wrongwrongwrong"), req)
	if provider.KindOf(err) != provider.ErrUnauthorized || !strings.Contains(err.Error(), "Invalid API key") {
		t.Errorf("wrong key: %v", err)
	}
	expired := srv.AddKey("old", []string{genx3dtest.PermChatSend}, time.Now().Add(-time.Hour))
	_, err = g.Create(ctx, cred(expired.Secret), req)
	if provider.KindOf(err) != provider.ErrUnauthorized || !strings.Contains(err.Error(), "expired at") {
		t.Errorf("expired key: %v", err)
	}
	ro := srv.AddKey("reader", []string{genx3dtest.PermModelsRead, genx3dtest.PermChatSend}, time.Time{})
	_, err = g.Create(ctx, cred(ro.Secret), req)
	if provider.KindOf(err) != provider.ErrForbidden || !strings.Contains(err.Error(), `"models:write"`) {
		t.Errorf("read-only key: %v", err)
	}
	_, err = g.Status(ctx, cred(admin), provider.TaskRef{ID: "model_404"})
	if provider.KindOf(err) != provider.ErrNotFound {
		t.Errorf("unknown model: %v", err)
	}
	for _, e := range []error{err} {
		if strings.Contains(e.Error(), admin) {
			t.Fatalf("secret in error: %v", e)
		}
	}
	var pe *provider.Error
	_, err = g.Create(ctx, cred(admin), provider.Request{Prompt: "a cube", Options: map[string]string{OptFormat: "step"}})
	if !errors.As(err, &pe) || pe.Kind != provider.ErrInvalidInput || pe.Field != OptFormat {
		t.Errorf("unconvertible format: %v", err)
	}
	if srv.Hits("POST /chat") != 3 {
		t.Errorf("chat hits %d, want 3 (the bad option is refused before sending)", srv.Hits("POST /chat"))
	}
}

// A create whose answer is lost is never resent: the chat and the model are
// each sent once, and the job becomes "submission unknown".
func TestLostCreateIsNeverResent(t *testing.T) {
	srv, key := genx3dtest.New()
	defer srv.Close()
	g := newAdapter(t, srv.BaseURL())
	srv.DropNext("POST /models")
	_, err := g.Create(context.Background(), cred(key), provider.Request{Prompt: "a cube"})
	if provider.KindOf(err) != provider.ErrSubmissionUnknown {
		t.Fatalf("err %v", err)
	}
	if srv.Hits("POST /models") != 1 || srv.Models() != 1 || srv.Hits("POST /chat") != 1 {
		t.Fatalf("models sent %d (stored %d), chats %d", srv.Hits("POST /models"), srv.Models(), srv.Hits("POST /chat"))
	}
	srv.FailNext("POST /chat", http.StatusInternalServerError)
	_, err = g.Create(context.Background(), cred(key), provider.Request{Prompt: "a cube"})
	if provider.KindOf(err) != provider.ErrSubmissionUnknown || srv.Hits("POST /chat") != 2 {
		t.Fatalf("5xx chat: %v, chats %d", err, srv.Hits("POST /chat"))
	}
	// The documented API has no model list to reconcile with; it says so.
	if _, ok, err := g.Reconcile(context.Background(), cred(key), provider.Request{}, time.Now()); ok || provider.KindOf(err) != provider.ErrUnsupported {
		t.Fatalf("reconcile: %v %v", ok, err)
	}
}

// An export read again after a server error is retried: it is a read.
func TestExportIsRetried(t *testing.T) {
	srv, key := genx3dtest.New()
	defer srv.Close()
	g := newAdapter(t, srv.BaseURL())
	ref, err := g.Create(context.Background(), cred(key), provider.Request{Prompt: "a cube"})
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext("POST /models/{id}/export", http.StatusServiceUnavailable)
	st, err := g.Status(context.Background(), cred(key), ref)
	if err != nil || st.State != provider.StateSucceeded || srv.Hits("POST /models/{id}/export") != 2 {
		t.Fatalf("%+v %v hits %d", st, err, srv.Hits("POST /models/{id}/export"))
	}
}

func TestRateLimitHeaders(t *testing.T) {
	srv, key := genx3dtest.New()
	defer srv.Close()
	srv.SetLimit(3)
	g := newAdapter(t, srv.BaseURL())
	ctx := context.Background()
	if g.RateLimit(cred(key)).Known() {
		t.Fatal("rate limit known before any answer")
	}
	b, err := g.Balance(ctx, cred(key))
	if err != nil || b.Credits != 2 || !strings.Contains(b.Unit, "of 3") {
		t.Fatalf("balance %+v %v", b, err)
	}
	rl := g.RateLimit(cred(key))
	if rl.Limit != 3 || rl.Remaining != 2 || time.Until(rl.Reset) < 30*time.Minute {
		t.Fatalf("rate limit %+v", rl)
	}
	// chat + models spend the rest.
	if _, err := g.Create(ctx, cred(key), provider.Request{Prompt: "a cube"}); err != nil {
		t.Fatal(err)
	}
	if g.RateLimit(cred(key)).Remaining != 0 {
		t.Fatalf("remaining %d", g.RateLimit(cred(key)).Remaining)
	}
	// The window is spent: the next create is refused here, not sent.
	chats := srv.Hits("POST /chat")
	_, err = g.Create(ctx, cred(key), provider.Request{Prompt: "a cube"})
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Kind != provider.ErrRateLimited || !pe.RetryAt.Equal(rl.Reset) {
		t.Fatalf("spent window: %v", err)
	}
	if srv.Hits("POST /chat") != chats {
		t.Fatal("a create was sent into a spent window")
	}
	// Another key has its own budget: it is not refused here.
	other := srv.AddKey("other", []string{genx3dtest.PermAdmin}, time.Time{})
	if _, err := g.Balance(ctx, cred2(other.Secret)); err != nil {
		t.Fatalf("another key: %v", err)
	}
	if rl := g.RateLimit(cred2(other.Secret)); rl.Remaining != 2 {
		t.Fatalf("other key's budget %+v", rl)
	}
	// A fresh adapter does not know yet; the server's 429 says when.
	g2 := newAdapter(t, srv.BaseURL())
	_, err = g2.Create(ctx, cred(key), provider.Request{Prompt: "a cube"})
	if !errors.As(err, &pe) || pe.Kind != provider.ErrRateLimited || pe.RetryAt.Before(time.Now().Add(30*time.Minute)) {
		t.Fatalf("server 429: %v", err)
	}
}

func TestBaseURLOverrideKeepsDocumentedPaths(t *testing.T) {
	srv, key := genx3dtest.New()
	defer srv.Close()
	// The server lives under /api/v1: a wrong base shows up as NOT_FOUND.
	g := newAdapter(t, srv.URL+"/api/v2")
	if _, err := g.Create(context.Background(), cred(key), provider.Request{Prompt: "a cube"}); provider.KindOf(err) != provider.ErrNotFound {
		t.Fatalf("wrong base: %v", err)
	}
	if _, err := New(Config{BaseURL: "http://genx3d.example.com/api/v1"}); err == nil {
		t.Fatal("plain http to a non-loopback host was accepted")
	}
	g, err := New(Config{})
	if err != nil || g.c.BaseURL().String() != DefaultBaseURL {
		t.Fatalf("default base %v %v", g, err)
	}
}

// A download link to another host gets no key: the CDN fails the test if
// it sees one.
func TestForeignDownloadGetsNoKey(t *testing.T) {
	srv, key := genx3dtest.New()
	defer srv.Close()
	cdn := httpxtest.NewCDN(t)
	g := newAdapter(t, srv.BaseURL())
	ref, err := g.Create(context.Background(), cred(key), provider.Request{Prompt: "a 10mm cube"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := g.Status(context.Background(), cred(key), ref)
	if err != nil {
		t.Fatal(err)
	}
	// Serve the same STL from the CDN and point the model there.
	var stl bytes.Buffer
	raw := outputOf(t, st, provider.OutOther)
	if _, err := g.Fetch(context.Background(), cred(key), raw, &stl); err != nil {
		t.Fatal(err)
	}
	foreign := cdn.Put("/files/cube.stl", stl.Bytes())
	outs, err := g.outputs(exportAnswer{DownloadURL: foreign, Format: "stl", FileSize: flexString("684")}, "stl")
	if err != nil {
		t.Fatal(err)
	}
	var glb bytes.Buffer
	if _, err := g.Fetch(context.Background(), cred(key), outs[0], &glb); err != nil {
		t.Fatal(err)
	}
	if sum, err := meshiotest.Inspect(glb.Bytes()); err != nil || sum.Triangles != 12 {
		t.Fatalf("%+v %v", sum, err)
	}
	// A size that disagrees with the export's is refused.
	outs, _ = g.outputs(exportAnswer{DownloadURL: foreign, Format: "stl", FileSize: flexString("999")}, "stl")
	if _, err := g.Fetch(context.Background(), cred(key), outs[0], &glb); provider.KindOf(err) != provider.ErrBadResponse {
		t.Fatalf("wrong size: %v", err)
	}
}

// keep is a store that always succeeds.
func keep(Rotated) error { return nil }

func TestRotateKey(t *testing.T) {
	srv, admin := genx3dtest.New()
	defer srv.Close()
	srv.ShowsPrefix = true
	g := newAdapter(t, srv.BaseURL())
	ctx := context.Background()
	expiry := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	perms := append([]string{genx3dtest.PermAdmin}, DefaultPermissions...)
	rot, err := g.RotateKey(ctx, cred(admin), RotateRequest{Name: "Meshdrop rotated", Permissions: perms, ExpiresAt: expiry}, keep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rot.Secret.Reveal(), KeyPrefix) || rot.KeyID == "" || rot.OldKeyID != "key_1" || !rot.ExpiresAt.Equal(expiry) {
		t.Fatalf("rotated %+v", rot)
	}
	k, ok := srv.KeyBySecret(rot.Secret.Reveal())
	if !ok || k.Name != "Meshdrop rotated" || !k.ExpiresAt.Equal(expiry) || strings.Join(k.Permissions, ",") != strings.Join(perms, ",") {
		t.Fatalf("server has %+v", k)
	}
	// The old key is gone, the new one works.
	if _, err := g.Balance(ctx, cred(admin)); provider.KindOf(err) != provider.ErrUnauthorized {
		t.Fatalf("old key after rotation: %v", err)
	}
	if _, err := g.Create(ctx, cred(rot.Secret.Reveal()), provider.Request{Prompt: "a cube"}); err != nil {
		t.Fatalf("new key: %v", err)
	}

	// Rotating to a key without the keys permission, naming the old key's ID.
	scoped, err := g.RotateKey(ctx, cred(rot.Secret.Reveal()), RotateRequest{Name: "scoped", ExpiresAt: expiry, OldKeyID: rot.KeyID}, keep)
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := srv.KeyBySecret(scoped.Secret.Reveal())
	if strings.Join(sk.Permissions, ",") != strings.Join(DefaultPermissions, ",") {
		t.Fatalf("scoped permissions %v", sk.Permissions)
	}
	if _, err := g.Create(ctx, cred(scoped.Secret.Reveal()), provider.Request{Prompt: "a cube"}); err != nil {
		t.Fatalf("scoped key: %v", err)
	}
	// Its key test: no rate-limit headers from this server, so the
	// FORBIDDEN from the keys API is what is reported…
	if _, err := g.Balance(ctx, cred(scoped.Secret.Reveal())); provider.KindOf(err) != provider.ErrForbidden {
		t.Fatalf("scoped balance without headers: %v", err)
	}
	// …and with them, the budget is read from the refusal.
	srv.SetLimit(100)
	if b, err := g.Balance(ctx, cred(scoped.Secret.Reveal())); err != nil || b.Credits != 99 {
		t.Fatalf("scoped balance: %+v %v", b, err)
	}
	srv.SetLimit(0)
	// It cannot rotate itself (the keys API needs more): a typed error, nothing minted.
	keysBefore := srv.Hits("POST /keys")
	if _, err := g.RotateKey(ctx, cred(scoped.Secret.Reveal()), RotateRequest{Name: "again", ExpiresAt: expiry}, keep); provider.KindOf(err) != provider.ErrForbidden {
		t.Fatalf("scoped rotate: %v", err)
	}
	if srv.Hits("POST /keys") != keysBefore {
		t.Fatal("a key was minted though the old one could not be found")
	}
}

func TestRotateKeyFailures(t *testing.T) {
	srv, admin := genx3dtest.New()
	defer srv.Close()
	g := newAdapter(t, srv.BaseURL())
	ctx := context.Background()
	expiry := time.Now().Add(time.Hour)
	all := append([]string{genx3dtest.PermAdmin}, DefaultPermissions...)

	// No expiry, or one in the past: refused before anything is sent.
	if _, err := g.RotateKey(ctx, cred(admin), RotateRequest{Name: "x"}, keep); provider.KindOf(err) != provider.ErrInvalidInput {
		t.Fatalf("no expiry: %v", err)
	}
	// The list shows no prefixes: the old key cannot be told apart, so nothing is minted.
	if _, err := g.RotateKey(ctx, cred(admin), RotateRequest{Name: "x", ExpiresAt: expiry}, keep); provider.KindOf(err) != provider.ErrInvalidInput || srv.Hits("POST /keys") != 0 {
		t.Fatalf("unknown old key: %v, mints %d", err, srv.Hits("POST /keys"))
	}
	// A lost mint answer: not resent, old key kept and still working.
	srv.DropNext("POST /keys")
	_, err := g.RotateKey(ctx, cred(admin), RotateRequest{Name: "x", ExpiresAt: expiry, OldKeyID: "key_1", Permissions: all}, keep)
	if err == nil || srv.Hits("POST /keys") != 1 || !strings.Contains(err.Error(), "not revoked") {
		t.Fatalf("lost mint: %v, mints %d", err, srv.Hits("POST /keys"))
	}
	// An answer without the secret: the old key is kept.
	srv.MintShape("no-key")
	if _, err := g.RotateKey(ctx, cred(admin), RotateRequest{Name: "x", ExpiresAt: expiry, OldKeyID: "key_1", Permissions: all}, keep); provider.KindOf(err) != provider.ErrBadResponse {
		t.Fatalf("no secret: %v", err)
	}
	if _, err := g.Balance(ctx, cred(admin)); err != nil && provider.KindOf(err) != provider.ErrUnsupported {
		t.Fatalf("old key after failed rotations: %v", err)
	}
	// The revoke fails: the new key is returned with ErrOldKeyNotRevoked.
	srv.MintShape("wrapped")
	srv.FailNext("DELETE /keys/{id}", http.StatusBadRequest)
	rot, err := g.RotateKey(ctx, cred(admin), RotateRequest{Name: "x", ExpiresAt: expiry, OldKeyID: "key_1", Permissions: all}, keep)
	if !errors.Is(err, ErrOldKeyNotRevoked) || rot.Secret.IsZero() {
		t.Fatalf("failed revoke: %+v %v", rot, err)
	}
	if strings.Contains(err.Error(), rot.Secret.Reveal()) || strings.Contains(err.Error(), admin) {
		t.Fatal("a secret is in the error")
	}
	// A wrong old ID: DELETE says NOT_FOUND, and the old key still works, so it is reported.
	_, err = g.RotateKey(ctx, cred(admin), RotateRequest{Name: "x", ExpiresAt: expiry, OldKeyID: "key_999", Permissions: all}, keep)
	if !errors.Is(err, ErrOldKeyNotRevoked) {
		t.Fatalf("wrong old id: %v", err)
	}
}

func TestDownloadURLResolution(t *testing.T) {
	g := newAdapter(t, "http://127.0.0.1:8000/api/v1")
	for raw, want := range map[string]string{
		"/api/v1/files/file_123":            "http://127.0.0.1:8000/api/v1/files/file_123",
		"files/file_9":                      "http://127.0.0.1:8000/api/v1/files/file_9",
		"http://127.0.0.1:9000/f/1":         "http://127.0.0.1:9000/f/1",
		"https://cdn.example.com/f/1?sig=x": "https://cdn.example.com/f/1?sig=x",
	} {
		u, err := g.fileURL(exportAnswer{DownloadURL: raw})
		if err != nil || u.String() != want {
			t.Errorf("%q → %v %v, want %s", raw, u, err, want)
		}
	}
	if u, err := g.fileURL(exportAnswer{FileID: "file_7"}); err != nil || u.String() != "http://127.0.0.1:8000/api/v1/files/file_7" {
		t.Errorf("file_id only → %v %v", u, err)
	}
	for _, bad := range []string{"http://files.example.com/f", "ftp://127.0.0.1/f", "javascript:alert(1)"} {
		if u, err := g.fileURL(exportAnswer{DownloadURL: bad}); err == nil {
			t.Errorf("%q accepted as %v", bad, u)
		}
	}
}
