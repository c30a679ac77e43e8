package tripo

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// TraceHeader is on every Tripo response; it goes into error messages so a
// support request can name the exchange.
const TraceHeader = "X-Tripo-Trace-ID"

// envelope is every Tripo answer: {"code":0,"status":"success","data":{…}}
// or {"code":N,"status":"error","message","suggestion","request_id"}.
type envelope struct {
	Code       *int            `json:"code"`
	Status     string          `json:"status"`
	Data       json.RawMessage `json:"data"`
	Message    string          `json:"message"`
	Suggestion string          `json:"suggestion"`
	RequestID  string          `json:"request_id"`
}

// codeKind is the documented code table (providers.md, Tripo: codes).
// Auth failures (2, 1002) are detected by the 401 as the docs advise.
var codeKind = map[int]struct {
	kind  provider.ErrKind
	field string
}{
	2:    {provider.ErrUnauthorized, ""},
	1002: {provider.ErrUnauthorized, ""},
	1000: {provider.ErrUnavailable, ""},
	1001: {provider.ErrUnavailable, ""},
	1003: {provider.ErrInvalidInput, "body"},
	1004: {provider.ErrInvalidInput, ""},
	1005: {provider.ErrForbidden, ""},
	1007: {provider.ErrRateLimited, ""},
	2000: {provider.ErrQueueFull, ""},
	2001: {provider.ErrNotFound, ""},
	2003: {provider.ErrInvalidInput, "image"},
	2004: {provider.ErrInvalidInput, "image"},
	2008: {provider.ErrContentPolicy, ""},
	2009: {provider.ErrInvalidInput, "prompt"},
	2010: {provider.ErrNoCredits, ""},
	2015: {provider.ErrInvalidInput, "model"},
}

// classify maps an answer to a typed error: code != 0 is an error whatever
// the HTTP status (Tripo sometimes sends errors with 200).
func classify(r *httpx.Response) *provider.Error {
	var env envelope
	jsonErr := json.Unmarshal(r.Body, &env)
	if r.OK() && jsonErr == nil && (env.Code == nil || *env.Code == 0) {
		return nil
	}
	if r.OK() && jsonErr != nil {
		return nil // the caller's decode reports the unreadable body
	}
	e := &provider.Error{Kind: httpx.KindForStatus(r.StatusCode), HTTPStatus: r.StatusCode}
	if r.OK() {
		e.Kind = provider.ErrBadResponse // an unknown non-zero code on a 200
	}
	if jsonErr != nil {
		e.Message = httpx.MessageFrom(r.Body)
	} else {
		e.Message = env.Message
		if env.Suggestion != "" && env.Suggestion != env.Message {
			e.Message = strings.TrimSpace(e.Message + " (" + env.Suggestion + ")")
		}
		if env.Code != nil {
			e.Code = strconv.Itoa(*env.Code)
			if ck, ok := codeKind[*env.Code]; ok {
				e.Kind, e.Field = ck.kind, ck.field
			}
		}
	}
	if r.StatusCode == http.StatusUnauthorized {
		e.Kind = provider.ErrUnauthorized
	}
	if tr := r.Header.Get(TraceHeader); tr != "" {
		e.Message = strings.TrimSpace(e.Message + " [trace " + clipTrace(tr) + "]")
	}
	return e
}

func clipTrace(s string) string {
	if len(s) > 80 {
		return s[:80]
	}
	return s
}

// kindForTaskCode is the kind of a failed task's error_code: the code table
// where it names the cause (content policy, a bad image), else task failed.
func kindForTaskCode(code int) (provider.ErrKind, string) {
	if ck, ok := codeKind[code]; ok {
		switch ck.kind {
		case provider.ErrContentPolicy, provider.ErrInvalidInput, provider.ErrNoCredits:
			return ck.kind, ck.field
		}
	}
	return provider.ErrTaskFailed, ""
}
