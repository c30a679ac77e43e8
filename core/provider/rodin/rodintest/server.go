// Package rodintest is a loopback Rodin (Hyper3D) server that follows the
// documented contract — multipart create, status by subscription key,
// download list on another host, balance, error bodies — for the adapter's
// contract tests and for job-engine tests. It counts every create.
package rodintest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a fake Rodin API plus a separate result host.
type Server struct {
	API     *httptest.Server // the API host (holds keys)
	Results *httptest.Server // the file host (must never see a key)
	Key     string           // the only key accepted

	// JobsPerTask is how many jobs a task has (the real service uses several).
	JobsPerTask int
	// StepsPerJob is how many status reads a job takes to finish.
	StepsPerJob int
	// LinkTTL is how long download links stay valid (0: forever). Like a
	// presigned URL, a link carries its own expiry, fixed when it is issued:
	// changing LinkTTL (SetLinkTTL while the server runs) affects only links
	// issued afterwards.
	LinkTTL time.Duration
	// HangCreate makes the server read a create and then never answer.
	HangCreate atomic.Bool
	// Balance is what check_balance answers.
	Balance float64

	mu          sync.Mutex
	tasks       map[string]*task // by task uuid
	bySub       map[string]*task
	creates     int
	statusReads int
	leaks       []string // requests to the result host that carried Authorization
	lastForm    map[string][]string
	lastImages  int
	seq         int
	hang        chan struct{}
	statusFails []Failure   // answered, in order, by the next status reads
	statusAt    []time.Time // when each status read arrived
}

// Failure is one error answer the status endpoint gives instead of the
// task's jobs.
type Failure struct {
	Code int // HTTP status
	// RetryAfter is the Retry-After header ("" for none).
	RetryAfter string
	// Error and Message fill Rodin's error body {"error":…,"message":…}.
	Error, Message string
}

// FailStatus makes the next len(fs) status reads answer with fs, in order,
// before the task is read (a failed read does not move the task on).
func (s *Server) FailStatus(fs ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statusFails = append(s.statusFails, fs...)
}

// StatusTimes is when each status read arrived, in order.
func (s *Server) StatusTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.statusAt...)
}

type task struct {
	uuid, sub string
	jobs      []string
	reads     int
	fail      bool
	linksAt   time.Time
}

// New starts both hosts.
func New(key string) *Server {
	s := &Server{Key: key, JobsPerTask: 2, StepsPerJob: 2, Balance: 42,
		tasks: map[string]*task{}, bySub: map[string]*task{}, hang: make(chan struct{})}
	s.API = httptest.NewServer(http.HandlerFunc(s.serveAPI))
	s.Results = httptest.NewServer(http.HandlerFunc(s.serveResults))
	return s
}

// Close stops both hosts.
func (s *Server) Close() {
	close(s.hang)
	s.API.Close()
	s.Results.Close()
}

// BaseURL is what the adapter should use as its base ("…/api").
func (s *Server) BaseURL() string { return s.API.URL + "/api" }

// SetLinkTTL changes how long links issued from now on stay valid, while the
// server runs.
func (s *Server) SetLinkTTL(d time.Duration) { s.mu.Lock(); defer s.mu.Unlock(); s.LinkTTL = d }

// Creates counts POST /v2/rodin requests received.
func (s *Server) Creates() int { s.mu.Lock(); defer s.mu.Unlock(); return s.creates }

// StatusReads counts POST /v2/status requests.
func (s *Server) StatusReads() int { s.mu.Lock(); defer s.mu.Unlock(); return s.statusReads }

// Leaks lists result-host requests that carried an Authorization header.
func (s *Server) Leaks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.leaks...)
}

// LastForm is the text fields of the last create.
func (s *Server) LastForm() (map[string][]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastForm, s.lastImages
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.Key {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "Not authenticated", "message": "Not authenticated"})
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2/rodin":
		s.create(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2/status":
		s.status(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2/download":
		s.download(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/api/v2/check_balance":
		writeJSON(w, http.StatusOK, map[string]any{"balance": s.Balance})
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "NOT_FOUND", "message": "no route " + r.Method + " " + r.URL.Path})
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "INVALID_REQUEST", "message": "expected multipart/form-data: " + err.Error()})
		return
	}
	s.mu.Lock()
	s.creates++
	s.lastForm = r.MultipartForm.Value
	s.lastImages = len(r.MultipartForm.File["images"])
	s.mu.Unlock()
	if s.HangCreate.Load() {
		select {
		case <-s.hang:
		case <-r.Context().Done():
		}
		return
	}
	prompt := r.FormValue("prompt")
	if prompt == "" && len(r.MultipartForm.File["images"]) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "INVALID_REQUEST", "message": "prompt is required without images"})
		return
	}
	if len(r.MultipartForm.File["images"]) > 5 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "INVALID_REQUEST", "message": "too many images"})
		return
	}
	if strings.Contains(prompt, "nobalance") {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": "INSUFFICIENT_FUND", "message": "Insufficient balance"})
		return
	}
	s.mu.Lock()
	s.seq++
	t := &task{uuid: fmt.Sprintf("task-%04d", s.seq), sub: fmt.Sprintf("sub-%04d", s.seq), fail: strings.Contains(prompt, "fail")}
	for i := 0; i < s.JobsPerTask; i++ {
		t.jobs = append(t.jobs, fmt.Sprintf("%s-job%d", t.uuid, i))
	}
	s.tasks[t.uuid], s.bySub[t.sub] = t, t
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"error": nil, "message": "Submitted.", "uuid": t.uuid,
		"jobs": map[string]any{"uuids": t.jobs, "subscription_key": t.sub}})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Sub string `json:"subscription_key"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "INVALID_REQUEST", "message": "bad json"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statusReads++
	s.statusAt = append(s.statusAt, time.Now())
	if len(s.statusFails) > 0 {
		f := s.statusFails[0]
		s.statusFails = s.statusFails[1:]
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeJSON(w, f.Code, map[string]any{"error": f.Error, "message": f.Message})
		return
	}
	t, ok := s.bySub[in.Sub]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "NOT_FOUND", "message": "subscription not found"})
		return
	}
	t.reads++
	var jobs []map[string]string
	for i, id := range t.jobs {
		// Job i starts after i*StepsPerJob reads and ends StepsPerJob reads later.
		st := "Waiting"
		switch done := t.reads - i*s.StepsPerJob; {
		case done >= s.StepsPerJob:
			st = "Done"
			if t.fail && i == len(t.jobs)-1 {
				st = "Failed"
			}
		case done > 0:
			st = "Generating"
		}
		jobs = append(jobs, map[string]string{"uuid": id, "status": st})
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": jobs})
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Task string `json:"task_uuid"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "INVALID_REQUEST", "message": "bad json"})
		return
	}
	s.mu.Lock()
	t, ok := s.tasks[in.Task]
	var expires int64 // UnixNano; 0: never
	if ok {
		t.linksAt = time.Now()
		if s.LinkTTL > 0 {
			expires = t.linksAt.Add(s.LinkTTL).UnixNano()
		}
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "NOT_FOUND", "message": "task not found"})
		return
	}
	stamp := t.linksAt.UnixNano()
	writeJSON(w, http.StatusOK, map[string]any{"list": []map[string]string{
		{"url": fmt.Sprintf("%s/files/%s/model.glb?sig=%d&exp=%d", s.Results.URL, t.uuid, stamp, expires), "name": "../../etc/base_basic_pbr.glb"},
		{"url": fmt.Sprintf("%s/files/%s/preview.webp?sig=%d&exp=%d", s.Results.URL, t.uuid, stamp, expires), "name": "preview.webp"},
	}})
}

func (s *Server) serveResults(w http.ResponseWriter, r *http.Request) {
	if a := r.Header.Get("Authorization"); a != "" {
		s.mu.Lock()
		s.leaks = append(s.leaks, r.URL.Path)
		s.mu.Unlock()
		http.Error(w, "a key was sent to the result host", http.StatusBadRequest)
		return
	}
	var expires int64
	fmt.Sscan(r.URL.Query().Get("exp"), &expires)
	if expires > 0 && time.Now().UnixNano() > expires {
		http.Error(w, "<Error>Request has expired</Error>", http.StatusForbidden)
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/model.glb"):
		w.Header().Set("Content-Type", "model/gltf-binary")
		w.Write(TriangleGLB())
	case strings.HasSuffix(r.URL.Path, "/preview.webp"):
		w.Header().Set("Content-Type", "image/webp")
		w.Write([]byte("RIFF\x00\x00\x00\x00WEBP"))
	default:
		http.NotFound(w, r)
	}
}

// TriangleGLB is a minimal valid GLB: one triangle.
func TriangleGLB() []byte {
	var bin bytes.Buffer
	for _, v := range []float32{0, 0, 0, 1, 0, 0, 0, 1, 0} {
		binary.Write(&bin, binary.LittleEndian, v)
	}
	js := fmt.Sprintf(`{"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0}],`+
		`"meshes":[{"primitives":[{"attributes":{"POSITION":0}}]}],`+
		`"accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]}],`+
		`"bufferViews":[{"buffer":0,"byteLength":%d}],"buffers":[{"byteLength":%d}]}`, bin.Len(), bin.Len())
	for len(js)%4 != 0 {
		js += " "
	}
	var out bytes.Buffer
	total := 12 + 8 + len(js) + 8 + bin.Len()
	binary.Write(&out, binary.LittleEndian, []uint32{0x46546C67, 2, uint32(total)})
	binary.Write(&out, binary.LittleEndian, []uint32{uint32(len(js)), 0x4E4F534A})
	out.WriteString(js)
	binary.Write(&out, binary.LittleEndian, []uint32{uint32(bin.Len()), 0x004E4942})
	out.Write(bin.Bytes())
	return out.Bytes()
}
