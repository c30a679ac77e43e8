package genx3d

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// Error bodies come from a server we do not control: any status and body
// give a typed error (or success on a plain 2xx) and never panic.
func FuzzClassify(f *testing.F) {
	f.Add(401, []byte(`{"error":{"code":"UNAUTHORIZED","message":"API key has expired","details":{"expired_at":"2024-01-01T00:00:00Z"}}}`), "")
	f.Add(403, []byte(`{"error":{"code":"FORBIDDEN","message":"Insufficient permissions","details":{"required":"models:write","provided":"models:read"}}}`), "")
	f.Add(429, []byte(`{"error":{"code":"RATE_LIMITED","message":"Rate limit exceeded","details":{"limit":1000,"reset_at":"2024-01-15T11:00:00Z"}}}`), "1642233600")
	f.Add(200, []byte(`{"error":{"code":"INTERNAL_ERROR"}}`), "")
	f.Add(500, []byte(`<html>oops</html>`), "x")
	f.Add(200, []byte(`{"id":"chat_1"}`), "")
	f.Fuzz(func(t *testing.T, status int, body []byte, reset string) {
		if status < 100 || status > 599 {
			return
		}
		h := http.Header{}
		h.Set(hdrReset, reset)
		e := classify(&httpx.Response{StatusCode: status, Header: h, Body: body})
		if e == nil {
			if status < 200 || status > 299 {
				t.Fatalf("status %d classified as success", status)
			}
			return
		}
		if e.Kind == "" {
			t.Fatalf("no kind for %d %q", status, body)
		}
		_ = e.Error()
	})
}

// Export answers decide where a file is fetched from (and whether the key
// goes with it): whatever the answer, the URL is https or loopback http,
// and the key goes only to the API host.
func FuzzExportOutputs(f *testing.F) {
	f.Add(`{"file_id":"file_123","download_url":"/api/v1/files/file_123","format":"stl","file_size":1024}`)
	f.Add(`{"file_id":7,"format":"obj"}`)
	f.Add(`{"download_url":"http://evil.example.com/x","format":"stl"}`)
	f.Add(`{"download_url":"//127.0.0.2:9/f","format":"STL","file_size":"12"}`)
	f.Add(`{"download_url":"javascript:alert(1)","format":"stl"}`)
	g, err := New(Config{BaseURL: "http://127.0.0.1:8000/api/v1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var ans exportAnswer
		if json.Unmarshal([]byte(body), &ans) != nil {
			return
		}
		outs, err := g.outputs(ans, FormatSTL)
		if err != nil {
			return
		}
		for _, o := range outs {
			u, err := url.Parse(o.URL)
			if err != nil {
				t.Fatalf("output URL %q does not parse", o.URL)
			}
			if err := httpx.CheckURL(u); err != nil {
				t.Fatalf("output URL %q: %v", o.URL, err)
			}
			if o.Kind == provider.OutModel && o.Format != "glb" {
				t.Fatalf("model output %+v", o)
			}
		}
	})
}

// Key lists and mint answers: never a panic, a found ID is one listed, a
// minted secret always looks like a genX3D key.
func FuzzKeysAnswers(f *testing.F) {
	f.Add(`{"keys":[{"id":"key_1","key_prefix":"sk-12345"}]}`, "sk-1234567890abcdef")
	f.Add(`[{"key_id":3,"key":"sk-1…cdef"}]`, "sk-1234567890abcdef")
	f.Add(`{"id":"key_2","key":"sk-new"}`, "")
	f.Add(`{"key":{"id":"key_2","key":"sk-new","expires_at":"2030-01-01T00:00:00Z"}}`, "")
	f.Add(`{"data":{"id":1,"api_key":"sk-x"}}`, "")
	f.Fuzz(func(t *testing.T, body, secret string) {
		if list, err := parseKeyList([]byte(body)); err == nil {
			if id, err := findKeyID(list, secret); err == nil {
				found := false
				for _, k := range list {
					found = found || k.id() == id
				}
				if !found || id == "" {
					t.Fatalf("found %q, not in %+v", id, list)
				}
			}
		}
		if k, err := parseMinted([]byte(body)); err == nil {
			if !strings.HasPrefix(k.secret(), KeyPrefix) || k.id() == "" {
				t.Fatalf("minted %+v", k)
			}
		} else {
			// The error must not repeat a secret the body carried.
			var top map[string]json.RawMessage
			json.Unmarshal([]byte(body), &top)
			for _, v := range top {
				var str string
				if json.Unmarshal(v, &str) == nil && len(str) >= 6 && strings.Contains(err.Error(), str) {
					t.Fatalf("error repeats %q from the body: %v", str, err)
				}
			}
		}
	})
}
