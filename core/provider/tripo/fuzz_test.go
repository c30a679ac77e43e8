package tripo

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// FuzzTaskParser: any task data gives a sane status with plain file names.
func FuzzTaskParser(f *testing.F) {
	f.Add([]byte(`{"task_id":"a","status":"success","progress":"100","credits_consumed":"1.5","output":{"model_url":"https://x/m.glb?s","rendered_image_url":{"url":"https://x/r.webp"}}}`))
	f.Add([]byte(`{"status":"failed","error_code":"2008","error_msg":""}`))
	f.Add([]byte(`{"status":"banned","progress":-5}`))
	f.Add([]byte(`{"status":"success","output":{"pbr_model":7,"model":{"url":"https://x/a.FBX"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tk, err := parseTask(b)
		if err != nil {
			return
		}
		st := tk.status(time.Unix(0, 0))
		if st.Progress < 0 || st.Progress > 100 || st.Progress != st.Progress || st.Credits < 0 || st.Credits != st.Credits {
			t.Fatalf("progress %v credits %v", st.Progress, st.Credits)
		}
		if st.State == provider.StateFailed && st.Message == "" {
			t.Fatal("failed without a message")
		}
		for _, o := range st.Outputs {
			if o.Name == "" || strings.ContainsAny(o.Name, `/\`) || o.URL == "" {
				t.Fatalf("output %+v", o)
			}
		}
	})
}

// FuzzBatchAndEnvelope: the batch parser and the classifier never panic,
// and every non-success answer is a typed error.
func FuzzBatchAndEnvelope(f *testing.F) {
	f.Add([]byte(`{"tasks":[{"task_id":"a","status":"queued"}]}`), 200)
	f.Add([]byte(`{"tasks":{"a":{"status":"running"}},"missed":["b"]}`), 200)
	f.Add([]byte(`{"code":2000,"status":"error","message":"m","suggestion":"s"}`), 429)
	f.Add([]byte(`{"code":"x"}`), 500)
	f.Fuzz(func(t *testing.T, b []byte, status int) {
		_, _, _ = parseBatch(b)
		if status < 100 || status > 599 {
			return
		}
		e := classify(&httpx.Response{StatusCode: status, Header: http.Header{TraceHeader: {"t"}}, Body: b})
		if status >= 300 && (e == nil || e.Kind == "") {
			t.Fatalf("status %d not an error: %+v", status, e)
		}
	})
}
