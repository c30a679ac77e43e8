package httpx

import (
	"net/url"
	"path"
	"strings"
)

// SafeToken keeps a short lowercase [a-z0-9] token (at most 8 characters) of
// s: a format name from a provider's answer, safe inside a file name.
func SafeToken(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
		if b.Len() >= 8 {
			break
		}
	}
	return b.String()
}

// URLExt is the extension of a URL's path as a SafeToken, or def when the
// URL does not parse or has none.
func URLExt(raw, def string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return def
	}
	if e := SafeToken(strings.TrimPrefix(path.Ext(u.Path), ".")); e != "" {
		return e
	}
	return def
}
