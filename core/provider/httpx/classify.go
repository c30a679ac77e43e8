package httpx

import (
	"encoding/json"
	"net/http"
	"strings"

	"meshdrop/core/provider"
)

// KindForStatus is the usual meaning of an HTTP error status.
func KindForStatus(status int) provider.ErrKind {
	switch {
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity,
		status == http.StatusRequestEntityTooLarge, status == http.StatusUnsupportedMediaType:
		return provider.ErrInvalidInput
	case status == http.StatusUnauthorized:
		return provider.ErrUnauthorized
	case status == http.StatusPaymentRequired:
		return provider.ErrNoCredits
	case status == http.StatusForbidden:
		return provider.ErrForbidden
	case status == http.StatusNotFound, status == http.StatusGone:
		return provider.ErrNotFound
	case status == http.StatusTooManyRequests:
		return provider.ErrRateLimited
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly, status >= 500:
		return provider.ErrUnavailable
	}
	return provider.ErrBadResponse
}

// DefaultClassify treats 2xx as success and maps any other status with
// KindForStatus, taking the provider's message from the body.
func DefaultClassify(r *Response) *provider.Error {
	if r.OK() {
		return nil
	}
	return &provider.Error{Kind: KindForStatus(r.StatusCode), HTTPStatus: r.StatusCode, Message: MessageFrom(r.Body)}
}

// MessageFrom finds a human message in an error body: {"message":…},
// {"error":"…"}, {"error":{"message":…}}, {"detail":…}, or short plain text.
func MessageFrom(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) == nil {
		for _, k := range []string{"message", "error", "detail", "error_message", "msg"} {
			raw, ok := m[k]
			if !ok {
				continue
			}
			var s string
			if json.Unmarshal(raw, &s) == nil && s != "" {
				return clip(s)
			}
			var inner map[string]json.RawMessage
			if json.Unmarshal(raw, &inner) == nil {
				if msg := MessageFrom(raw); msg != "" {
					return msg
				}
			}
		}
		return ""
	}
	t := strings.TrimSpace(string(body))
	if t == "" || strings.HasPrefix(t, "<") { // HTML error pages say nothing useful
		return ""
	}
	return clip(t)
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
