// Package meshytest is a loopback Meshy server that follows the documented
// contract — creates answering 202 {"result":id}, tasks under /v2 (text) and
// /v1 (image, multi-image), the Server-Sent Events stream with keep-alives and
// error frames, the list endpoint's bare array, the balance, {"message":…}
// error bodies and both kinds of 429 — with result files on a separate
// loopback host that fails the test if it ever sees a key. It counts every
// create, so tests can prove a create is sent once.
package meshytest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/provider/httpx/httpxtest"
	"meshdrop/core/provider/rodin/rodintest"
)

// SampleTaskID is the task every create made with the test-mode key returns.
const SampleTaskID = "018a210d-8ba4-705c-b111-1f1776f7f578"

// Server is a fake Meshy API plus its asset CDN.
type Server struct {
	API *httptest.Server
	CDN *httpxtest.CDN
	Key string // the one real key accepted (the test-mode key is accepted too)

	// QueueReads is how many reads a task stays PENDING (preceding_tasks
	// counts down); StepsPerTask how many more it takes IN_PROGRESS.
	QueueReads, StepsPerTask int
	// StreamEvery is the pause between stream frames; KeepAlive sends a
	// comment line before each frame.
	StreamEvery time.Duration
	// StreamMode: "" normal, "off" (the stream answers 500), "break" (the
	// stream closes after its first frame), "garbage" (a frame that is not
	// JSON).
	StreamMode atomic.Value
	// HangCreate makes the server record a create (the task exists) and
	// never answer.
	HangCreate atomic.Bool
	// RateLimitReads makes the next N reads answer 429 RateLimitExceeded.
	RateLimitReads atomic.Int32
	// RedirectAssets lists the GLB under the API host (/assets-redirect/…),
	// answering 302 to the CDN, as a proxy in front of the assets might.
	RedirectAssets atomic.Bool
	// Balance is what /v1/balance answers.
	Balance float64

	skew atomic.Int64 // nanoseconds the server's clock runs ahead (Advance)

	mu       sync.Mutex
	tasks    map[string]*task
	order    []string
	creates  int
	reads    int
	streams  int
	lastBody map[string]any
	seq      int
	hang     chan struct{}
	glb      []byte
}

type task struct {
	id, kind, typ, prompt string
	created               time.Time
	reads                 int
	fail                  bool
	previewID             string
}

// New starts both hosts; they close with the test.
func New(t testing.TB, key string) *Server {
	s := &Server{Key: key, QueueReads: 1, StepsPerTask: 2, Balance: 1000,
		tasks: map[string]*task{}, hang: make(chan struct{}), glb: rodintest.TriangleGLB()}
	s.StreamMode.Store("")
	s.CDN = httpxtest.NewCDN(t)
	s.API = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() { close(s.hang); s.API.Close() })
	return s
}

// BaseURL is the adapter's base ("…/openapi").
func (s *Server) BaseURL() string { return s.API.URL + "/openapi" }

// Now is the server's clock: the real time plus every Advance so far.
func (s *Server) Now() time.Time { return time.Now().Add(time.Duration(s.skew.Load())) }

// Advance moves the server's clock d forward: tasks made from now on carry
// times that much later. Tests use it to put tasks far apart in time
// without sleeping (a sleep only separates them on a machine that is fast
// enough to send the next request within it).
func (s *Server) Advance(d time.Duration) { s.skew.Add(int64(d)) }

// Creates counts create requests received (answered or not).
func (s *Server) Creates() int { s.mu.Lock(); defer s.mu.Unlock(); return s.creates }

// Reads counts task reads (GET …/{id}).
func (s *Server) Reads() int { s.mu.Lock(); defer s.mu.Unlock(); return s.reads }

// Streams counts stream requests.
func (s *Server) Streams() int { s.mu.Lock(); defer s.mu.Unlock(); return s.streams }

// LastBody is the JSON body of the last create.
func (s *Server) LastBody() map[string]any { s.mu.Lock(); defer s.mu.Unlock(); return s.lastBody }

// TaskIDs lists the tasks made, oldest first.
func (s *Server) TaskIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func msg(w http.ResponseWriter, code int, m string) {
	writeJSON(w, code, map[string]string{"message": m})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/assets-redirect"); ok {
		http.Redirect(w, r, s.CDN.URL+rest+"?Signature=s3cr3t-signature", http.StatusFound)
		return
	}
	auth := r.Header.Get("Authorization")
	testMode := auth == "Bearer "+keys.MeshyTestModeKey
	if auth != "Bearer "+s.Key && !testMode {
		msg(w, http.StatusUnauthorized, "Invalid API key")
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/openapi")
	if p == "/v1/balance" && r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, map[string]any{"balance": s.Balance})
		return
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) < 2 {
		msg(w, http.StatusNotFound, "Not found")
		return
	}
	ver, kind := parts[0], parts[1]
	if !(ver == "v2" && kind == "text-to-3d" || ver == "v1" && (kind == "image-to-3d" || kind == "multi-image-to-3d")) {
		msg(w, http.StatusNotFound, "Not found")
		return
	}
	switch {
	case len(parts) == 2 && r.Method == http.MethodPost:
		s.create(w, r, kind, testMode)
	case len(parts) == 2 && r.Method == http.MethodGet:
		s.list(w, r, kind)
	case len(parts) == 3 && r.Method == http.MethodGet:
		s.read(w, kind, parts[2])
	case len(parts) == 4 && parts[3] == "stream" && r.Method == http.MethodGet:
		s.stream(w, r, kind, parts[2])
	default:
		msg(w, http.StatusNotFound, "Not found")
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, kind string, testMode bool) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		msg(w, http.StatusBadRequest, "Invalid JSON body")
		return
	}
	s.mu.Lock()
	s.creates++
	s.lastBody = body
	s.mu.Unlock()
	str := func(k string) string { v, _ := body[k].(string); return v }
	prompt := str("prompt")
	switch {
	case strings.Contains(prompt, "ratelimit"):
		msg(w, http.StatusTooManyRequests, "RateLimitExceeded: too many requests")
		return
	case strings.Contains(prompt, "queuefull"):
		msg(w, http.StatusTooManyRequests, "NoMoreConcurrentTasks: your plan allows 1 queued task")
		return
	case strings.Contains(prompt, "nocredits"):
		msg(w, http.StatusPaymentRequired, "Insufficient credits")
		return
	}
	t := &task{kind: kind, prompt: prompt, created: s.Now(), fail: strings.Contains(prompt, "fail")}
	switch kind {
	case "text-to-3d":
		switch str("mode") {
		case "preview":
			if prompt == "" || len([]rune(prompt)) > 600 {
				msg(w, http.StatusBadRequest, "prompt must be 1 to 600 characters")
				return
			}
			t.typ = "text-to-3d-preview"
		case "refine":
			s.mu.Lock()
			prev, ok := s.tasks[str("preview_task_id")]
			s.mu.Unlock()
			if !ok || prev.kind != kind || prev.typ != "text-to-3d-preview" {
				msg(w, http.StatusBadRequest, "preview_task_id is not a preview task")
				return
			}
			t.typ, t.prompt, t.previewID = "text-to-3d-refine", prev.prompt, prev.id
		default:
			msg(w, http.StatusBadRequest, "mode must be preview or refine")
			return
		}
	case "image-to-3d":
		if !validImage(str("image_url")) {
			msg(w, http.StatusBadRequest, "image_url must be a public URL or a data URI of a jpg, jpeg or png image")
			return
		}
		t.typ = kind
	case "multi-image-to-3d":
		list, _ := body["image_urls"].([]any)
		if len(list) < 1 || len(list) > 4 {
			msg(w, http.StatusBadRequest, "image_urls must hold 1 to 4 images")
			return
		}
		for _, u := range list {
			if s, _ := u.(string); !validImage(s) {
				msg(w, http.StatusBadRequest, "image_urls: each must be a public URL or a data URI")
				return
			}
		}
		t.typ = kind
	}
	s.mu.Lock()
	if testMode {
		t.id = SampleTaskID
	} else {
		s.seq++
		t.id = fmt.Sprintf("0193%04d-0000-7000-8000-%012d", s.seq, s.seq)
	}
	if _, dup := s.tasks[t.id]; !dup {
		s.order = append(s.order, t.id)
	}
	s.tasks[t.id] = t
	s.mu.Unlock()
	if s.HangCreate.Load() {
		select {
		case <-s.hang:
		case <-r.Context().Done():
		}
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"result": t.id})
}

// validImage accepts an https URL or a base64 data URI of png/jpeg whose bytes decode.
func validImage(u string) bool {
	if strings.HasPrefix(u, "https://") {
		return true
	}
	for _, p := range []string{"data:image/png;base64,", "data:image/jpeg;base64,", "data:image/jpg;base64,"} {
		if rest, ok := strings.CutPrefix(u, p); ok {
			b, err := base64.StdEncoding.DecodeString(rest)
			return err == nil && len(b) > 0
		}
	}
	return false
}

// advance moves a task one read forward and returns its JSON object.
func (s *Server) advance(t *task) map[string]any {
	t.reads++
	return s.object(t)
}

// object is the task as the API shows it now (s.mu held).
func (s *Server) object(t *task) map[string]any {
	o := map[string]any{"id": t.id, "type": t.typ, "created_at": t.created.UnixMilli(), "started_at": 0, "finished_at": 0,
		"expires_at": 0, "progress": 0, "preceding_tasks": 0, "task_error": map[string]string{"message": ""},
		"consumed_credits": 0, "model_urls": map[string]string{}, "thumbnail_url": "", "texture_urls": []any{}}
	if t.prompt != "" {
		o["prompt"] = t.prompt
	}
	switch {
	case t.reads <= s.QueueReads:
		o["status"] = "PENDING"
		o["preceding_tasks"] = s.QueueReads - t.reads + 1
	case t.reads <= s.QueueReads+s.StepsPerTask:
		o["status"] = "IN_PROGRESS"
		o["started_at"] = t.created.UnixMilli() + 1
		o["progress"] = 100 * (t.reads - s.QueueReads) / (s.StepsPerTask + 1)
	case t.fail:
		o["status"] = "FAILED"
		o["progress"] = 0
		o["task_error"] = map[string]string{"type": "GenerationFailed", "message": "Could not generate a model from this input"}
	default:
		o["status"] = "SUCCEEDED"
		o["progress"] = 100
		o["finished_at"] = s.Now().UnixMilli()
		o["expires_at"] = s.Now().Add(72 * time.Hour).UnixMilli()
		o["consumed_credits"] = 5
		glb := s.CDN.Put("/assets/"+t.id+"/model.glb", s.glb)
		if s.RedirectAssets.Load() {
			glb = s.API.URL + "/assets-redirect/assets/" + t.id + "/model.glb"
		}
		o["model_urls"] = map[string]string{
			"glb": glb,
			"fbx": s.CDN.Put("/assets/"+t.id+"/model.fbx", []byte("Kaydara FBX Binary")),
		}
		o["thumbnail_url"] = s.CDN.Put("/assets/"+t.id+"/preview.png", []byte("\x89PNG\r\n\x1a\n"))
		if t.typ != "text-to-3d-preview" {
			o["texture_urls"] = []map[string]string{{"base_color": s.CDN.Put("/assets/"+t.id+"/base_color.png", []byte("\x89PNG\r\n\x1a\n"))}}
		}
	}
	return o
}

func (s *Server) lookup(w http.ResponseWriter, kind, id string) (*task, bool) {
	t, ok := s.tasks[id]
	if !ok || t.kind != kind {
		msg(w, http.StatusNotFound, "Task not found")
		return nil, false
	}
	return t, true
}

func (s *Server) read(w http.ResponseWriter, kind, id string) {
	if s.RateLimitReads.Load() > 0 {
		s.RateLimitReads.Add(-1)
		msg(w, http.StatusTooManyRequests, "RateLimitExceeded")
		return
	}
	s.mu.Lock()
	s.reads++
	t, ok := s.lookup(w, kind, id)
	if !ok {
		s.mu.Unlock()
		return
	}
	o := s.advance(t)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, kind string) {
	q := r.URL.Query()
	if q.Get("page_num") == "" || q.Get("page_size") == "" || q.Get("sort_by") != "-created_at" {
		msg(w, http.StatusBadRequest, "page_num, page_size and sort_by=-created_at expected by this fake")
		return
	}
	s.mu.Lock()
	var out []map[string]any
	for i := len(s.order) - 1; i >= 0; i-- {
		if t := s.tasks[s.order[i]]; t.kind == kind {
			out = append(out, s.object(t))
		}
	}
	s.mu.Unlock()
	if out == nil {
		out = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, kind, id string) {
	s.mu.Lock()
	s.streams++
	mode, _ := s.StreamMode.Load().(string)
	_, ok := s.tasks[id]
	s.mu.Unlock()
	if mode == "off" {
		msg(w, http.StatusInternalServerError, "stream unavailable")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	send := func(ev, data string) {
		fmt.Fprintf(w, ": keep-alive\n\nevent: %s\ndata: %s\n\n", ev, data)
		if fl != nil {
			fl.Flush()
		}
	}
	if !ok {
		send("error", `{"status_code":404,"message":"Task not found"}`)
		return
	}
	for n := 0; ; n++ {
		s.mu.Lock()
		t := s.tasks[id]
		full := s.advance(t)
		s.mu.Unlock()
		st := full["status"].(string)
		if mode == "garbage" {
			send("message", "{not json")
			return
		}
		if st == "SUCCEEDED" || st == "FAILED" || st == "CANCELED" {
			b, _ := json.Marshal(full)
			send("message", string(b))
			return
		}
		b, _ := json.Marshal(map[string]any{"id": id, "progress": full["progress"], "status": st})
		send("message", string(b))
		if mode == "break" && n == 0 {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(s.StreamEvery):
		}
	}
}
