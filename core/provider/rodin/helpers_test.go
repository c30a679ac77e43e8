package rodin

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// newPlain starts a loopback server with h and returns its base URL.
func newPlain(t testing.TB, h http.Handler) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL + "/api"
}
