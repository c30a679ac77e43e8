package httpx_test

import (
	"io"
	"strings"
	"testing"

	"meshdrop/core/provider/httpx"
)

func FuzzSSEReader(f *testing.F) {
	f.Add(": ping\n\nevent: message\ndata: {\"progress\":1}\n\n")
	f.Add("data: a\r\ndata: b\r\n\r\nevent: error\ndata: x")
	f.Add("id: \x00\ndata\n\n:\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		r := httpx.NewSSEReader(strings.NewReader(s), 1024)
		for i := 0; i < len(s)+2; i++ {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if ev.Name == "" || len(ev.Data) > 1024 {
				t.Fatalf("bad event %+v", ev)
			}
		}
		if _, err := r.Next(); err != io.EOF && err != nil && err != httpx.ErrEventTooLarge {
			t.Fatalf("unexpected %v", err)
		}
	})
}

func FuzzMessageFrom(f *testing.F) {
	f.Add([]byte(`{"message":"x"}`))
	f.Add([]byte(`{"error":{"message":"y","code":"Z"}}`))
	f.Add([]byte(`plain`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m := httpx.MessageFrom(b); len(m) > 310*4 {
			t.Fatalf("message not clipped: %d", len(m))
		}
	})
}
