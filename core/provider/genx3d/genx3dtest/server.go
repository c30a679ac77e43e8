// Package genx3dtest is a loopback genX3D server that follows the documented
// contract — chat, models, export, files on the same host, the keys API with
// permissions and expiry, the error body, X-RateLimit headers — for the
// adapter's contract tests and for job-engine tests. Its "CAD" is tiny: a
// chat message naming a cube (optionally with a size in mm) gives code that
// exports as a cube; anything else gives an answer without code.
package genx3dtest

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Permissions the fake server checks. Which permission each endpoint needs
// is not documented; these follow the docs' scope names, and the keys API
// needs PermAdmin.
const (
	PermModelsRead  = "models:read"
	PermModelsWrite = "models:write"
	PermChatSend    = "chat:send"
	PermAdmin       = "admin"
)

// Key is one API key the server knows.
type Key struct {
	ID          string
	Name        string
	Secret      string
	Permissions []string
	ExpiresAt   time.Time // zero: never
	Revoked     bool
}

// Server is a fake genX3D API.
type Server struct {
	*httptest.Server

	// Limit is the requests per window per key (0: no limit), Window its
	// length. Set them before the first request, or use SetLimit.
	Limit  int
	Window time.Duration
	// DownloadURL, if set, replaces the download_url of exports (e.g. a
	// link on another host). It gets the file ID appended.
	DownloadURL string
	// ShowsPrefix makes GET /keys show each key's first 8 characters as
	// key_prefix (otherwise only ids and names are listed).
	ShowsPrefix bool

	mu        sync.Mutex
	keys      map[string]*Key // by secret
	models    map[string]string
	files     map[string][]byte
	seq       int
	hits      map[string]int // "METHOD /path-pattern" → count
	auth      map[string][]string
	used      map[string]int // secret → requests in the window
	window    time.Time
	dropNext  map[string]bool // pattern → hijack and close after handling
	failNext  map[string]int  // pattern → status to answer once
	lastBody  map[string]map[string]any
	mintShape string
}

// New starts the server with one admin key (the returned secret).
func New() (*Server, string) {
	s := &Server{Window: time.Hour, keys: map[string]*Key{}, models: map[string]string{}, files: map[string][]byte{},
		hits: map[string]int{}, auth: map[string][]string{}, used: map[string]int{}, dropNext: map[string]bool{},
		failNext: map[string]int{}, lastBody: map[string]map[string]any{}}
	admin := s.AddKey("admin", []string{PermAdmin, PermModelsRead, PermModelsWrite, PermChatSend}, time.Time{})
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s, admin.Secret
}

// BaseURL is the API root, as the docs write it.
func (s *Server) BaseURL() string { return s.URL + "/api/v1" }

// SetLimit sets the requests per window per key (0: no limit) while the
// server runs.
func (s *Server) SetLimit(n int) {
	s.mu.Lock()
	s.Limit = n
	s.mu.Unlock()
}

// AddKey makes a key with the given permissions and expiry.
func (s *Server) AddKey(name string, perms []string, expires time.Time) Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addKey(name, perms, expires)
}

func (s *Server) addKey(name string, perms []string, expires time.Time) *Key {
	b := make([]byte, 16)
	rand.Read(b)
	s.seq++
	k := &Key{ID: fmt.Sprintf("key_%d", s.seq), Name: name, Secret: "sk-" + hex.EncodeToString(b), Permissions: perms, ExpiresAt: expires}
	s.keys[k.Secret] = k
	return k
}

// KeyBySecret returns the key a secret belongs to.
func (s *Server) KeyBySecret(secret string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[secret]
	if !ok {
		return Key{}, false
	}
	return *k, true
}

// KeyByID returns the key with the server ID id.
func (s *Server) KeyByID(id string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.ID == id {
			return *k, true
		}
	}
	return Key{}, false
}

// Hits is how many requests matched pattern ("POST /models").
func (s *Server) Hits(pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[pattern]
}

// Auth lists the Authorization headers received for pattern.
func (s *Server) Auth(pattern string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth[pattern]...)
}

// LastBody is the JSON body last received for pattern.
func (s *Server) LastBody(pattern string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastBody[pattern]
}

// DropNext makes the next request matching pattern be handled and then
// lose its answer (the connection is closed), like a network failure.
func (s *Server) DropNext(pattern string) {
	s.mu.Lock()
	s.dropNext[pattern] = true
	s.mu.Unlock()
}

// FailNext makes the next request matching pattern answer status with an
// INTERNAL_ERROR (5xx) or the matching documented code, without acting.
func (s *Server) FailNext(pattern string, status int) {
	s.mu.Lock()
	s.failNext[pattern] = status
	s.mu.Unlock()
}

// MintShape sets how POST /keys answers: "flat" (default) {"id","key",…},
// "wrapped" {"key":{…}}, or "no-key" (an answer without the secret).
func (s *Server) MintShape(shape string) {
	s.mu.Lock()
	s.mintShape = shape
	s.mu.Unlock()
}

// Models is how many models are stored.
func (s *Server) Models() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.models)
}

type apiError struct {
	status  int
	code    string
	message string
	details map[string]any
}

func (s *Server) writeError(w http.ResponseWriter, e apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": e.code, "message": e.message, "details": e.details}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

var (
	reExport = regexp.MustCompile(`^/api/v1/models/([^/]+)/export$`)
	reFile   = regexp.MustCompile(`^/api/v1/files/([^/]+)$`)
	reKey    = regexp.MustCompile(`^/api/v1/keys/([^/]+)$`)
)

// pattern names a request for counting and fault hooks.
func pattern(r *http.Request) string {
	p := r.URL.Path
	switch {
	case reExport.MatchString(p):
		p = "/models/{id}/export"
	case reFile.MatchString(p):
		p = "/files/{id}"
	case reKey.MatchString(p):
		p = "/keys/{id}"
	default:
		p = strings.TrimPrefix(p, "/api/v1")
	}
	return r.Method + " " + p
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	pat := pattern(r)
	var body map[string]any
	if r.Body != nil {
		raw := new(bytes.Buffer)
		raw.ReadFrom(r.Body)
		if raw.Len() > 0 {
			if err := json.Unmarshal(raw.Bytes(), &body); err != nil {
				s.writeError(w, apiError{400, "INVALID_REQUEST", "body is not JSON", nil})
				return
			}
		}
	}
	s.mu.Lock()
	s.hits[pat]++
	s.auth[pat] = append(s.auth[pat], r.Header.Get("Authorization"))
	s.lastBody[pat] = body
	drop := s.dropNext[pat]
	delete(s.dropNext, pat)
	fail, failing := s.failNext[pat]
	delete(s.failNext, pat)
	s.mu.Unlock()

	key, aerr := s.authenticate(r)
	if aerr != nil {
		s.writeError(w, *aerr)
		return
	}
	if rl := s.count(w, key); rl != nil {
		s.writeError(w, *rl)
		return
	}
	if failing {
		code := "INTERNAL_ERROR"
		switch fail {
		case 400:
			code = "INVALID_REQUEST"
		case 403:
			code = "FORBIDDEN"
		case 404:
			code = "NOT_FOUND"
		}
		s.writeError(w, apiError{fail, code, "the server failed", nil})
		return
	}
	rec := httptest.NewRecorder()
	for k, v := range w.Header() {
		rec.Header()[k] = v
	}
	s.route(rec, r, pat, key, body)
	if drop {
		// The work is done; the answer is lost on the way.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (s *Server) authenticate(r *http.Request) (*Key, *apiError) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[secret]
	if !ok || k == nil || k.Revoked {
		return nil, &apiError{401, "UNAUTHORIZED", "Invalid API key", map[string]any{"reason": "key_not_found"}}
	}
	if !k.ExpiresAt.IsZero() && time.Now().After(k.ExpiresAt) {
		return nil, &apiError{401, "UNAUTHORIZED", "API key has expired", map[string]any{"expired_at": k.ExpiresAt.UTC().Format(time.RFC3339)}}
	}
	return k, nil
}

// count applies the rate limit and writes the headers.
func (s *Server) count(w http.ResponseWriter, k *Key) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Limit <= 0 {
		return nil
	}
	now := time.Now()
	if s.window.IsZero() || !now.Before(s.window) {
		s.window = now.Add(s.Window).Truncate(time.Second).Add(time.Second)
		s.used = map[string]int{}
	}
	used := s.used[k.Secret]
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.Limit))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(s.window.Unix(), 10))
	if used >= s.Limit {
		w.Header().Set("X-RateLimit-Remaining", "0")
		return &apiError{429, "RATE_LIMITED", "Rate limit exceeded", map[string]any{"limit": s.Limit, "reset_at": s.window.UTC().Format(time.RFC3339)}}
	}
	s.used[k.Secret] = used + 1
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(s.Limit-used-1))
	return nil
}

func has(k *Key, perm string) bool {
	for _, p := range k.Permissions {
		if p == perm || p == PermAdmin {
			return true
		}
	}
	return false
}

func (s *Server) need(w http.ResponseWriter, k *Key, perm string) bool {
	if has(k, perm) {
		return true
	}
	s.writeError(w, apiError{403, "FORBIDDEN", "Insufficient permissions", map[string]any{"required": perm, "provided": strings.Join(k.Permissions, ",")}})
	return false
}

var reSize = regexp.MustCompile(`(\d+(?:\.\d+)?)\s*mm`)

func (s *Server) route(w http.ResponseWriter, r *http.Request, pat string, k *Key, body map[string]any) {
	str := func(name string) string { v, _ := body[name].(string); return v }
	switch pat {
	case "POST /chat":
		if !s.need(w, k, PermChatSend) {
			return
		}
		msg := str("message")
		if msg == "" {
			s.writeError(w, apiError{400, "INVALID_REQUEST", "message is required", map[string]any{"field": "message"}})
			return
		}
		s.mu.Lock()
		s.seq++
		id := fmt.Sprintf("chat_%d", s.seq)
		s.mu.Unlock()
		ans := map[string]any{"id": id, "timestamp": time.Now().UTC().Format(time.RFC3339)}
		low := strings.ToLower(msg)
		if strings.Contains(low, "cube") || strings.Contains(low, "box") {
			size := 20.0
			if m := reSize.FindStringSubmatch(low); m != nil {
				size, _ = strconv.ParseFloat(m[1], 64)
			}
			ans["message"] = "Here is your cube."
			ans["code"] = fmt.Sprintf("result = cq.Workplane('XY').box(%g, %g, %g)", size, size, size)
		} else {
			ans["message"] = "I can only make cubes. What size would you like?"
			ans["code"] = ""
		}
		writeJSON(w, 200, ans)
	case "POST /models":
		if !s.need(w, k, PermModelsWrite) {
			return
		}
		if str("code") == "" || str("name") == "" {
			s.writeError(w, apiError{400, "INVALID_REQUEST", "name and code are required", map[string]any{"field": "code"}})
			return
		}
		s.mu.Lock()
		s.seq++
		id := fmt.Sprintf("model_%d", s.seq)
		s.models[id] = str("code")
		s.mu.Unlock()
		writeJSON(w, 201, map[string]any{"id": id, "name": str("name"), "description": str("description"), "code": str("code"), "parameters": body["parameters"]})
	case "POST /models/{id}/export":
		if !s.need(w, k, PermModelsRead) {
			return
		}
		id := reExport.FindStringSubmatch(r.URL.Path)[1]
		s.mu.Lock()
		code, ok := s.models[id]
		s.mu.Unlock()
		if !ok {
			s.writeError(w, apiError{404, "NOT_FOUND", "Model not found", map[string]any{"id": id}})
			return
		}
		format := str("format")
		var data []byte
		size := 20.0
		if m := regexp.MustCompile(`box\(([\d.]+)`).FindStringSubmatch(code); m != nil {
			size, _ = strconv.ParseFloat(m[1], 64)
		}
		switch format {
		case "stl":
			data = cubeSTL(float32(size))
		case "obj":
			data = cubeOBJ(size)
		case "step", "ply", "3mf":
			data = []byte("not a mesh Meshdrop reads")
		default:
			s.writeError(w, apiError{400, "INVALID_REQUEST", "unknown format", map[string]any{"field": "format"}})
			return
		}
		s.mu.Lock()
		s.seq++
		fid := fmt.Sprintf("file_%d", s.seq)
		s.files[fid] = data
		s.mu.Unlock()
		dl := "/api/v1/files/" + fid
		if s.DownloadURL != "" {
			dl = s.DownloadURL + fid
		}
		writeJSON(w, 200, map[string]any{"file_id": fid, "download_url": dl, "format": format, "file_size": len(data)})
	case "GET /files/{id}":
		if !s.need(w, k, PermModelsRead) {
			return
		}
		id := reFile.FindStringSubmatch(r.URL.Path)[1]
		s.mu.Lock()
		data, ok := s.files[id]
		s.mu.Unlock()
		if !ok {
			s.writeError(w, apiError{404, "NOT_FOUND", "File not found", nil})
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(200)
		w.Write(data)
	case "GET /keys":
		if !s.need(w, k, PermAdmin) {
			return
		}
		s.mu.Lock()
		var list []map[string]any
		for _, kk := range s.keys {
			if kk.Revoked {
				continue
			}
			e := map[string]any{"id": kk.ID, "name": kk.Name, "permissions": kk.Permissions}
			if !kk.ExpiresAt.IsZero() {
				e["expires_at"] = kk.ExpiresAt.UTC().Format(time.RFC3339)
			}
			if s.ShowsPrefix {
				e["key_prefix"] = kk.Secret[:8]
			}
			list = append(list, e)
		}
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{"keys": list})
	case "POST /keys":
		if !s.need(w, k, PermAdmin) {
			return
		}
		exp, err := time.Parse(time.RFC3339, str("expires_at"))
		if str("expires_at") != "" && err != nil {
			s.writeError(w, apiError{400, "INVALID_REQUEST", "expires_at is not RFC 3339", map[string]any{"field": "expires_at"}})
			return
		}
		var perms []string
		if ps, ok := body["permissions"].([]any); ok {
			for _, p := range ps {
				if v, ok := p.(string); ok {
					perms = append(perms, v)
				}
			}
		}
		s.mu.Lock()
		nk := s.addKey(str("name"), perms, exp)
		shape := s.mintShape
		s.mu.Unlock()
		entry := map[string]any{"id": nk.ID, "name": nk.Name, "key": nk.Secret, "permissions": perms, "expires_at": str("expires_at")}
		switch shape {
		case "wrapped":
			writeJSON(w, 201, map[string]any{"key": entry})
		case "no-key":
			delete(entry, "key")
			writeJSON(w, 201, entry)
		default:
			writeJSON(w, 201, entry)
		}
	case "DELETE /keys/{id}":
		if !s.need(w, k, PermAdmin) {
			return
		}
		id := reKey.FindStringSubmatch(r.URL.Path)[1]
		s.mu.Lock()
		var found *Key
		for _, kk := range s.keys {
			if kk.ID == id && !kk.Revoked {
				found = kk
			}
		}
		if found != nil {
			found.Revoked = true
		}
		s.mu.Unlock()
		if found == nil {
			s.writeError(w, apiError{404, "NOT_FOUND", "Key not found", nil})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		s.writeError(w, apiError{404, "NOT_FOUND", "No such endpoint", map[string]any{"path": r.URL.Path}})
	}
}

// cubeSTL is a binary STL of a cube of side size (mm), corner at the origin.
func cubeSTL(size float32) []byte {
	c := [8][3]float32{{0, 0, 0}, {size, 0, 0}, {size, size, 0}, {0, size, 0}, {0, 0, size}, {size, 0, size}, {size, size, size}, {0, size, size}}
	quads := [6][4]int{{0, 3, 2, 1}, {4, 5, 6, 7}, {0, 1, 5, 4}, {2, 3, 7, 6}, {1, 2, 6, 5}, {0, 4, 7, 3}}
	var b bytes.Buffer
	hdr := make([]byte, 80)
	copy(hdr, "genx3dtest cube")
	b.Write(hdr)
	binary.Write(&b, binary.LittleEndian, uint32(12))
	for _, q := range quads {
		for _, t := range [2][3]int{{q[0], q[1], q[2]}, {q[0], q[2], q[3]}} {
			binary.Write(&b, binary.LittleEndian, [3]float32{})
			for _, i := range t {
				binary.Write(&b, binary.LittleEndian, c[i])
			}
			binary.Write(&b, binary.LittleEndian, uint16(0))
		}
	}
	return b.Bytes()
}

// cubeOBJ is the same cube as a Wavefront OBJ with quads.
func cubeOBJ(size float64) []byte {
	var b strings.Builder
	b.WriteString("# genx3dtest cube\no cube\n")
	for _, v := range [8][3]float64{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 1}} {
		fmt.Fprintf(&b, "v %g %g %g\n", v[0]*size, v[1]*size, v[2]*size)
	}
	for _, q := range [6][4]int{{1, 4, 3, 2}, {5, 6, 7, 8}, {1, 2, 6, 5}, {3, 4, 8, 7}, {2, 3, 7, 6}, {1, 5, 8, 4}} {
		fmt.Fprintf(&b, "f %d %d %d %d\n", q[0], q[1], q[2], q[3])
	}
	return []byte(b.String())
}
