package httpx_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"meshdrop/core/provider"
)

func TestReadBalance(t *testing.T) {
	var body string
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/v1/balance" || r.Header.Get("Authorization") != "Bearer "+secret {
			http.Error(w, `{"message":"wrong request"}`, http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/api", nil)
	ctx := context.Background()

	for in, want := range map[string]float64{`{"balance": 1000}`: 1000, `{"balance":12.5,"other":1}`: 12.5, `{"balance":0}`: 0} {
		body = in
		if got, err := c.ReadBalance(ctx, cred, "/v1/balance"); err != nil || got != want {
			t.Fatalf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{`{}`, `{"balance":null}`, `{"credits":5}`} {
		body = in
		_, err := c.ReadBalance(ctx, cred, "/v1/balance")
		if pe := kind(t, err, provider.ErrBadResponse); !strings.Contains(pe.Message, "the balance answer has no balance") {
			t.Fatalf("%s: %v", in, err)
		}
	}
	body = `not json`
	kind(t, errOf(c.ReadBalance(ctx, cred, "/v1/balance")), provider.ErrBadResponse)
	status, body = http.StatusUnauthorized, `{"message":"Invalid API key"}`
	kind(t, errOf(c.ReadBalance(ctx, cred, "/v1/balance")), provider.ErrUnauthorized)
}

func errOf(_ float64, err error) error { return err }
