package httpx_test

import (
	"testing"

	"meshdrop/core/provider/httpx"
)

func TestURLExtKeepsASafeShortExtension(t *testing.T) {
	for _, c := range []struct{ raw, def, want string }{
		{"https://cdn.example.com/a/model.GLB?Expires=1&Signature=x", "bin", "glb"},
		{"https://cdn.example.com/a/preview.webp", "png", "webp"},
		{"https://cdn.example.com/a/noext", "png", "png"},
		{"https://cdn.example.com/a/x.../..%2F..%2Fetc", "png", "png"},
		{"https://cdn.example.com/a/x.abcdefghijkl", "png", "abcdefgh"},
		{"https://cdn.example.com/a/x.g-l_b", "png", "glb"},
		{"::not a url", "png", "png"},
	} {
		if got := httpx.URLExt(c.raw, c.def); got != c.want {
			t.Errorf("URLExt(%q, %q) = %q, want %q", c.raw, c.def, got, c.want)
		}
	}
	if got := httpx.SafeToken("Pre-Remeshed GLB/../"); got != "preremes" {
		t.Errorf("SafeToken = %q", got)
	}
}
