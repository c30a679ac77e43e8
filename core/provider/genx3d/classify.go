package genx3d

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// Error codes of the documented error body.
const (
	codeUnauthorized   = "UNAUTHORIZED"
	codeForbidden      = "FORBIDDEN"
	codeNotFound       = "NOT_FOUND"
	codeInvalidRequest = "INVALID_REQUEST"
	codeRateLimited    = "RATE_LIMITED"
	codeInternal       = "INTERNAL_ERROR"
)

// Rate-limit headers [doc].
const (
	hdrLimit     = "X-RateLimit-Limit"
	hdrRemaining = "X-RateLimit-Remaining"
	hdrReset     = "X-RateLimit-Reset" // unix seconds
)

// errorBody is {"error":{"code","message","details":{…}}} [doc].
type errorBody struct {
	Error *struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// parseError reads the documented error body; ok is false when the body is
// not one.
func parseError(body []byte) (code, msg string, details map[string]any, ok bool) {
	var b errorBody
	if json.Unmarshal(body, &b) != nil || b.Error == nil || (b.Error.Code == "" && b.Error.Message == "") {
		return "", "", nil, false
	}
	return b.Error.Code, b.Error.Message, b.Error.Details, true
}

// classify maps genX3D's answers to typed errors. The code decides where it
// is one of the documented ones; otherwise the HTTP status does.
func classify(r *httpx.Response) *provider.Error {
	code, msg, details, ok := parseError(r.Body)
	if r.OK() && !ok {
		return nil
	}
	if !ok {
		return &provider.Error{Kind: httpx.KindForStatus(r.StatusCode), HTTPStatus: r.StatusCode, Message: httpx.MessageFrom(r.Body)}
	}
	e := &provider.Error{HTTPStatus: r.StatusCode, Code: code, Message: msg}
	str := func(k string) string {
		if v, ok := details[k]; ok {
			switch v := v.(type) {
			case string:
				return v
			case float64:
				return strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
		return ""
	}
	switch code {
	case codeUnauthorized:
		e.Kind = provider.ErrUnauthorized
		if at := str("expired_at"); at != "" {
			e.Message = fmt.Sprintf("%s (the key expired at %s)", nonEmpty(msg, "API key has expired"), at)
		}
	case codeForbidden:
		e.Kind = provider.ErrForbidden
		if req := str("required"); req != "" {
			e.Message = fmt.Sprintf("%s: the request needs the %q permission; the key has %q", nonEmpty(msg, "insufficient permissions"), req, str("provided"))
		}
	case codeNotFound:
		e.Kind = provider.ErrNotFound
	case codeInvalidRequest:
		e.Kind = provider.ErrInvalidInput
		// The docs do not say how the offending field is named; "field" is
		// the common spelling and is used when present.
		e.Field = str("field")
	case codeRateLimited:
		e.Kind = provider.ErrRateLimited
		if t, err := time.Parse(time.RFC3339, str("reset_at")); err == nil {
			e.RetryAt = t
		} else if t, ok := resetHeader(r.Header); ok {
			e.RetryAt = t
		}
	case codeInternal:
		e.Kind = provider.ErrUnavailable
	default:
		e.Kind = httpx.KindForStatus(r.StatusCode)
		if r.OK() {
			// An error body on a 2xx: the docs never show one; refuse it.
			e.Kind = provider.ErrBadResponse
		}
	}
	return e
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// RateLimit is what the server last said about the key's request budget.
type RateLimit struct {
	Limit     int       `json:"limit"`
	Remaining int       `json:"remaining"`
	Reset     time.Time `json:"reset"`
	Seen      time.Time `json:"seen"` // when it was read; zero: never
}

// Known reports whether the server sent the headers at least once.
func (r RateLimit) Known() bool { return !r.Seen.IsZero() }

// rateState keeps the latest RateLimit of each key (the budget is per key
// [doc: "API keys are subject to rate limiting"]).
type rateState struct {
	mu sync.Mutex
	by map[string]RateLimit
}

// rateKey names a credential in rateState: its Meshdrop key ID, or its
// fingerprint when it has none.
func rateKey(c provider.Credential) string {
	if c.KeyID != "" {
		return "id:" + c.KeyID
	}
	return "fp:" + c.Fingerprint()
}

func (s *rateState) get(c provider.Credential) RateLimit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.by[rateKey(c)]
}

// observe reads the X-RateLimit headers of an answer to c's request (all
// three must be numbers; a partial set is ignored).
func (s *rateState) observe(c provider.Credential, r *httpx.Response, now time.Time) {
	if r == nil {
		return
	}
	rl, ok := parseRateLimit(r.Header)
	if !ok {
		return
	}
	rl.Seen = now
	s.mu.Lock()
	if s.by == nil {
		s.by = map[string]RateLimit{}
	}
	s.by[rateKey(c)] = rl
	s.mu.Unlock()
}

// parseRateLimit reads the three X-RateLimit headers.
func parseRateLimit(h http.Header) (RateLimit, bool) {
	limit, err1 := strconv.Atoi(strings.TrimSpace(h.Get(hdrLimit)))
	remaining, err2 := strconv.Atoi(strings.TrimSpace(h.Get(hdrRemaining)))
	reset, ok := resetHeader(h)
	if err1 != nil || err2 != nil || !ok || limit < 0 || remaining < 0 {
		return RateLimit{}, false
	}
	return RateLimit{Limit: limit, Remaining: remaining, Reset: reset}, true
}

// resetHeader reads X-RateLimit-Reset (unix seconds).
func resetHeader(h http.Header) (time.Time, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(h.Get(hdrReset)), 10, 64)
	if err != nil || v <= 0 || v > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(v, 0), true
}

// flexString is a JSON value that may come as a string or a number (ids
// and sizes: the docs show "file_123" and 1024, but not every server agrees).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*f = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("expected a string or a number, got %.40s", b)
	}
	*f = flexString(n.String())
	return nil
}

func (f flexString) String() string { return string(f) }
