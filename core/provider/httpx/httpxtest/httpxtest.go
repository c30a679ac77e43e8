// Package httpxtest has loopback test servers for provider contract tests: a
// "CDN" on another loopback address that fails the test if it ever receives a
// credential, and helpers to serve on a chosen loopback address.
package httpxtest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// OtherLoopback is a loopback address other than 127.0.0.1, so a result host
// differs from the API host by address and port. Linux routes all of
// 127.0.0.0/8 to lo; on systems that do not, NewServerOn falls back.
const OtherLoopback = "127.0.0.2"

// NewServerOn starts h on addr (e.g. "127.0.0.2") at a free port, falling back
// to 127.0.0.1 when addr cannot be bound. Closed with the test.
func NewServerOn(t testing.TB, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Logf("cannot listen on %s (%v); using 127.0.0.1", addr, err)
		l, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// CDN is a result host that must never see a credential.
type CDN struct {
	*httptest.Server
	t        testing.TB
	mu       sync.Mutex
	files    map[string][]byte
	expired  map[string]bool
	Requests atomic.Int64
	AuthSeen atomic.Int64
}

// NewCDN starts a result host on OtherLoopback. Any request carrying
// Authorization (or X-API-Key) fails the test.
func NewCDN(t testing.TB) *CDN {
	c := &CDN{t: t, files: map[string][]byte{}, expired: map[string]bool{}}
	c.Server = NewServerOn(t, OtherLoopback, http.HandlerFunc(c.serve))
	return c
}

// Put serves b at path (e.g. "/m/1.glb") and returns its full URL, with a
// query like a signed link's.
func (c *CDN) Put(path string, b []byte) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files[path] = b
	delete(c.expired, path)
	return c.URL + path + "?Signature=s3cr3t-signature&Expires=1"
}

// Expire makes path answer 403 like an expired signed URL.
func (c *CDN) Expire(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expired[path] = true
}

func (c *CDN) serve(w http.ResponseWriter, r *http.Request) {
	c.Requests.Add(1)
	if r.Header.Get("Authorization") != "" || r.Header.Get("X-API-Key") != "" {
		c.AuthSeen.Add(1)
		c.t.Errorf("result host %s received a credential header on %s", r.Host, r.URL.Path)
		http.Error(w, "credential sent to result host", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	b, ok := c.files[r.URL.Path]
	exp := c.expired[r.URL.Path]
	c.mu.Unlock()
	if exp {
		http.Error(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", http.StatusForbidden)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(b)
}
