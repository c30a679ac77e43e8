package meshy

import (
	"strings"
	"testing"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// FuzzTaskParser feeds arbitrary JSON to the task parser and checks the
// normalised status stays sane: a known state, progress within 0–100, a
// failed task with a message, and output names that are plain file names.
func FuzzTaskParser(f *testing.F) {
	f.Add([]byte(`{"id":"a","status":"SUCCEEDED","progress":100,"model_urls":{"glb":"https://x/m.glb?s=1","../../evil":"https://x/e"},"thumbnail_url":"https://x/p.png","texture_urls":[{"base_color":"https://x/b.jpg"}]}`))
	f.Add([]byte(`{"status":"PENDING","preceding_tasks":-3,"progress":-1e308}`))
	f.Add([]byte(`{"status":"FAILED","task_error":{"message":""}}`))
	f.Add([]byte(`{"status":"WHATEVER","progress":1e400}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tk, err := parseTask(b)
		if err != nil {
			return
		}
		st := tk.status()
		switch st.State {
		case provider.StateQueued, provider.StateRunning, provider.StateSucceeded, provider.StateFailed, provider.StateCancelled:
		default:
			t.Fatalf("state %q", st.State)
		}
		if st.Progress < 0 || st.Progress > 100 || st.Progress != st.Progress {
			t.Fatalf("progress %v", st.Progress)
		}
		if st.State == provider.StateFailed && st.Message == "" {
			t.Fatal("failed without a message")
		}
		if st.QueuePosition < 0 {
			t.Fatalf("queue position %d", st.QueuePosition)
		}
		for _, o := range st.Outputs {
			if o.Name == "" || strings.ContainsAny(o.Name, `/\`) || strings.HasPrefix(o.Name, ".") || o.URL == "" {
				t.Fatalf("output %+v", o)
			}
		}
		if _, err := parseList(b); err == nil && !strings.HasPrefix(strings.TrimSpace(string(b)), "[") && strings.TrimSpace(string(b)) != "null" {
			t.Fatalf("a non-array parsed as a list: %q", b)
		}
	})
}

// FuzzStreamFrames feeds arbitrary bytes through the SSE reader and the
// frame parser: no panic, and every error is a typed provider error.
func FuzzStreamFrames(f *testing.F) {
	f.Add("event: message\ndata: {\"id\":\"a\",\"progress\":5,\"status\":\"IN_PROGRESS\"}\n\n")
	f.Add(": keep-alive\n\nevent: error\ndata: {\"status_code\":404,\"message\":\"Task not found\"}\n\n")
	f.Add("event: error\ndata: {\"status_code\":\"x\"}\n\nevent: ping\ndata: 1\n\n")
	f.Add("data: {\"status\":\"SUCCEEDED\"\ndata: }\n\n")
	m, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rd := httpx.NewSSEReader(strings.NewReader(s), 1<<16)
		for i := 0; i < 64; i++ {
			ev, err := rd.Next()
			if err != nil {
				return
			}
			tk, ok, err := m.parseEvent(provider.Credential{}, ev)
			if err != nil {
				if provider.KindOf(err) == "" {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			if ok {
				_ = tk.status()
			}
		}
	})
}
