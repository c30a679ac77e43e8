// Package triptest is a loopback Tripo V3 server that follows the contract in
// providers.md: the {"code","status","data"} envelope (errors sometimes with a
// 200), the code table, X-Tripo-Trace-ID on every answer, multipart uploads
// returning file tokens, the three creates (with "model" required), task
// reads with a slow queue, the batch read in both documented shapes, the
// balance, and result files on a separate loopback host that fails the test
// if it ever sees a key. It counts creates and uploads.
package triptest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"meshdrop/core/provider/httpx/httpxtest"
	"meshdrop/core/provider/rodin/rodintest"
)

// Server is a fake Tripo API plus its CDN.
type Server struct {
	API *httptest.Server
	CDN *httpxtest.CDN
	Key string

	// QueueReads and StepsPerTask shape a task's life in reads.
	QueueReads, StepsPerTask int
	// BatchAsMap answers the batch read as a map by ID with "missed" (the
	// migration guide's shape) instead of a list (the SDKs').
	BatchAsMap atomic.Bool
	// LegacyFields answers with the older output and error field names
	// (pbr_model, error_msg).
	LegacyFields atomic.Bool
	// FailReads makes the next N task reads answer 429/1007 (with
	// Retry-After: 0) or, when odd, 503/1001: both are retried for reads.
	FailReads atomic.Int32
	// HangCreate records a create (the task exists) and never answers.
	HangCreate atomic.Bool
	// Balance and Frozen are what /account/balance answers.
	Balance, Frozen float64

	mu       sync.Mutex
	tasks    map[string]*task
	tokens   map[string]string // file token → MIME
	creates  int
	uploads  int
	reads    int
	lastBody map[string]any
	seq      int
	hang     chan struct{}
	glb      []byte
}

type task struct {
	id, typ, prompt string
	reads           int
	fail, ban       bool
}

// New starts both hosts; they close with the test.
func New(t testing.TB, key string) *Server {
	s := &Server{Key: key, QueueReads: 1, StepsPerTask: 2, Balance: 300.5, Frozen: 20,
		tasks: map[string]*task{}, tokens: map[string]string{}, hang: make(chan struct{}), glb: rodintest.TriangleGLB()}
	s.CDN = httpxtest.NewCDN(t)
	s.API = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() { close(s.hang); s.API.Close() })
	return s
}

// BaseURL is the adapter's base ("…/v3").
func (s *Server) BaseURL() string { return s.API.URL + "/v3" }

// Creates counts create requests received (answered or not).
func (s *Server) Creates() int { s.mu.Lock(); defer s.mu.Unlock(); return s.creates }

// Uploads counts POST /files.
func (s *Server) Uploads() int { s.mu.Lock(); defer s.mu.Unlock(); return s.uploads }

// Reads counts GET /tasks/{id}.
func (s *Server) Reads() int { s.mu.Lock(); defer s.mu.Unlock(); return s.reads }

// LastBody is the JSON body of the last create.
func (s *Server) LastBody() map[string]any { s.mu.Lock(); defer s.mu.Unlock(); return s.lastBody }

// ErrorAnswer is an error envelope.
func ErrorAnswer(w http.ResponseWriter, httpStatus, code int, msg, suggestion string) {
	writeJSON(w, httpStatus, map[string]any{"code": code, "status": "error", "message": msg, "suggestion": suggestion, "request_id": "req-" + strconv.Itoa(code)})
}

func ok(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "status": "success", "data": data})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Tripo-Trace-ID", "trace-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if r.Header.Get("Authorization") != "Bearer "+s.Key {
		ErrorAnswer(w, http.StatusUnauthorized, 1002, "Authentication failed", "Check your API key (tsk_…) and region")
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/v3")
	switch {
	case r.Method == http.MethodPost && p == "/files":
		s.upload(w, r)
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/generation/"):
		s.create(w, r, strings.TrimPrefix(p, "/generation/"))
	case r.Method == http.MethodPost && p == "/tasks/list":
		s.batch(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/tasks/"):
		s.read(w, strings.TrimPrefix(p, "/tasks/"))
	case r.Method == http.MethodGet && p == "/account/balance":
		ok(w, map[string]any{"balance": s.Balance, "frozen": s.Frozen})
	default:
		ErrorAnswer(w, http.StatusNotFound, 1004, "no route "+r.Method+" "+r.URL.Path, "")
	}
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.uploads++
	s.mu.Unlock()
	f, h, err := r.FormFile("file")
	if err != nil {
		ErrorAnswer(w, http.StatusBadRequest, 2003, "The image is empty", "send one part named file")
		return
	}
	b, _ := io.ReadAll(io.LimitReader(f, 20<<20+1))
	if len(b) == 0 {
		ErrorAnswer(w, http.StatusBadRequest, 2003, "The image is empty", "")
		return
	}
	if len(b) > 20<<20 {
		ErrorAnswer(w, http.StatusBadRequest, 1004, "file too large", "images up to 20 MB")
		return
	}
	mime := http.DetectContentType(b)
	if ct := h.Header.Get("Content-Type"); ct == "image/webp" {
		mime = ct
	}
	if mime != "image/png" && mime != "image/jpeg" && mime != "image/webp" {
		ErrorAnswer(w, http.StatusBadRequest, 2004, "The image type is not supported", "use png, jpeg or webp")
		return
	}
	s.mu.Lock()
	s.seq++
	tok := fmt.Sprintf("file_%08d-0000-4000-8000-%012d", s.seq, s.seq)
	s.tokens[tok] = mime
	s.mu.Unlock()
	ok(w, map[string]any{"file_token": tok})
}

var models = map[string]bool{"v3.1-20260211": true, "v3.0-20250812": true, "v2.5-20250123": true, "P1-20260311": true}

func (s *Server) create(w http.ResponseWriter, r *http.Request, kind string) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		ErrorAnswer(w, http.StatusBadRequest, 1003, "malformed body", "")
		return
	}
	s.mu.Lock()
	s.creates++
	s.lastBody = body
	s.mu.Unlock()
	model, _ := body["model"].(string)
	switch {
	case model == "":
		ErrorAnswer(w, http.StatusBadRequest, 1004, "model is required", "send model, e.g. v3.1-20260211")
		return
	case strings.HasPrefix(model, "v2.0"):
		ErrorAnswer(w, http.StatusBadRequest, 2015, "model version deprecated", "use v3.1-20260211")
		return
	case !models[model]:
		ErrorAnswer(w, http.StatusBadRequest, 1004, "unknown model", "")
		return
	}
	if _, has := body["geometry_quality"]; has && (model == "v2.5-20250123" || model == "P1-20260311") {
		ErrorAnswer(w, http.StatusBadRequest, 1004, "geometry_quality is not supported by this model", "")
		return
	}
	t := &task{typ: strings.ReplaceAll(kind, "-", "_")}
	switch kind {
	case "text-to-model":
		prompt, _ := body["prompt"].(string)
		if prompt == "" || len([]rune(prompt)) > 1024 {
			ErrorAnswer(w, http.StatusBadRequest, 1004, "prompt must be 1 to 1024 characters", "")
			return
		}
		if strings.ContainsRune(prompt, 0) {
			ErrorAnswer(w, http.StatusBadRequest, 2009, "invalid characters in the prompt", "")
			return
		}
		switch {
		case strings.Contains(prompt, "forbidden-words"):
			ErrorAnswer(w, http.StatusBadRequest, 2008, "content policy violation", "rephrase the prompt")
			return
		case strings.Contains(prompt, "poor"):
			ErrorAnswer(w, http.StatusForbidden, 2010, "not enough credit", "top up")
			return
		case strings.Contains(prompt, "busy"):
			w.Header().Set("Retry-After", "7")
			ErrorAnswer(w, http.StatusTooManyRequests, 2000, "too many tasks running", "wait for one to finish")
			return
		case strings.Contains(prompt, "declined"):
			ErrorAnswer(w, http.StatusServiceUnavailable, 1001, "service busy", "try again")
			return
		case strings.Contains(prompt, "crash"):
			ErrorAnswer(w, http.StatusInternalServerError, 1000, "server error", "")
			return
		case strings.Contains(prompt, "quietly-refused"):
			ErrorAnswer(w, http.StatusOK, 1004, "invalid parameter", "")
			return
		}
		t.prompt = prompt
		t.fail = strings.Contains(prompt, "fail")
		t.ban = strings.Contains(prompt, "ban")
	case "image-to-model":
		if !s.validInput(body["input"]) {
			ErrorAnswer(w, http.StatusBadRequest, 1004, "input must be a file token or a URL (data URIs are refused)", "")
			return
		}
	case "multiview-to-model":
		in, _ := body["inputs"].([]any)
		if len(in) != 4 {
			ErrorAnswer(w, http.StatusBadRequest, 1004, "inputs must hold exactly four views", "")
			return
		}
		n := 0
		for i, v := range in {
			if str, _ := v.(string); str == "" {
				if i == 0 {
					ErrorAnswer(w, http.StatusBadRequest, 1004, "the front view is required", "")
					return
				}
				continue
			}
			if !s.validInput(v) {
				ErrorAnswer(w, http.StatusBadRequest, 1004, "unknown file token", "")
				return
			}
			n++
		}
		if n < 2 {
			ErrorAnswer(w, http.StatusBadRequest, 1004, "at least two views", "")
			return
		}
	default:
		ErrorAnswer(w, http.StatusNotFound, 1004, "unknown generation type", "")
		return
	}
	s.mu.Lock()
	s.seq++
	t.id = fmt.Sprintf("%08d-1111-4222-8333-%012d", s.seq, s.seq)
	s.tasks[t.id] = t
	s.mu.Unlock()
	if s.HangCreate.Load() {
		select {
		case <-s.hang:
		case <-r.Context().Done():
		}
		return
	}
	ok(w, map[string]any{"task_id": t.id})
}

// validInput accepts a known file token, {"file_token":…}, an https URL or {"url":…}.
func (s *Server) validInput(v any) bool {
	str, _ := v.(string)
	if m, isMap := v.(map[string]any); isMap {
		if ft, _ := m["file_token"].(string); ft != "" {
			str = ft
		} else if u, _ := m["url"].(string); u != "" {
			str = u
		}
	}
	if strings.HasPrefix(str, "https://") {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.tokens[str]
	return ok
}

// object is a task as the API shows it after its reads (s.mu held).
func (s *Server) object(t *task) map[string]any {
	legacy := s.LegacyFields.Load()
	o := map[string]any{"task_id": t.id, "type": t.typ, "progress": 0, "output": map[string]any{},
		"created_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}
	switch {
	case t.reads <= s.QueueReads:
		o["status"] = "queued"
	case t.reads <= s.QueueReads+s.StepsPerTask:
		o["status"] = "running"
		o["progress"] = 100 * (t.reads - s.QueueReads) / (s.StepsPerTask + 1)
	case t.ban:
		o["status"] = "banned"
	case t.fail:
		o["status"] = "failed"
		o["error_code"] = 1000
		if legacy {
			o["error_msg"] = "generation failed"
		} else {
			o["error_message"] = "generation failed"
		}
	default:
		o["status"] = "success"
		o["progress"] = 100
		o["credits_consumed"] = "30.5"
		o["completed_at"] = time.Now().UTC().Format(time.RFC3339)
		model := s.CDN.Put("/tripo/"+t.id+"/model.glb", s.glb)
		img := s.CDN.Put("/tripo/"+t.id+"/render.webp", []byte("RIFF\x00\x00\x00\x00WEBP"))
		if legacy {
			o["output"] = map[string]any{"base_model": "https://wrong.invalid/base.glb", "pbr_model": model, "rendered_image": img}
		} else {
			o["output"] = map[string]any{"model_url": model, "rendered_image_url": img}
		}
	}
	return o
}

func (s *Server) read(w http.ResponseWriter, id string) {
	if n := s.FailReads.Load(); n > 0 {
		s.FailReads.Add(-1)
		if n%2 == 0 {
			w.Header().Set("Retry-After", "0")
			ErrorAnswer(w, http.StatusTooManyRequests, 1007, "too many requests", "slow down")
		} else {
			ErrorAnswer(w, http.StatusServiceUnavailable, 1001, "service busy", "")
		}
		return
	}
	s.mu.Lock()
	s.reads++
	t, found := s.tasks[id]
	if !found {
		s.mu.Unlock()
		ErrorAnswer(w, http.StatusNotFound, 2001, "task not found", "tasks are visible only to the key that made them")
		return
	}
	t.reads++
	o := s.object(t)
	s.mu.Unlock()
	ok(w, o)
}

func (s *Server) batch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IDs []string `json:"task_ids"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil {
		ErrorAnswer(w, http.StatusBadRequest, 1003, "malformed body", "")
		return
	}
	if len(in.IDs) == 0 || len(in.IDs) > 100 {
		ErrorAnswer(w, http.StatusBadRequest, 1004, "task_ids must hold 1 to 100 ids", "")
		return
	}
	s.mu.Lock()
	list := []map[string]any{}
	byID := map[string]map[string]any{}
	missed := []string{}
	for _, id := range in.IDs {
		t, found := s.tasks[id]
		if !found {
			missed = append(missed, id)
			continue
		}
		t.reads++
		o := s.object(t)
		list = append(list, o)
		byID[id] = o
	}
	s.mu.Unlock()
	if s.BatchAsMap.Load() {
		ok(w, map[string]any{"tasks": byID, "missed": missed})
		return
	}
	ok(w, map[string]any{"tasks": list})
}
