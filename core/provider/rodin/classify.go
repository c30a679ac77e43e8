package rodin

import (
	"encoding/json"
	"net/http"
	"strings"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// errorBody is Rodin's error answer: {"error":"…","message":"…"}.
type errorBody struct {
	Error   *string `json:"error"`
	Message string  `json:"message"`
}

// classify maps Rodin's answers to typed errors. Success statuses may be 200
// or 201. No code table or rate-limit numbers are published, so the HTTP
// status decides, refined by the words the API is known to use.
func classify(r *httpx.Response) *provider.Error {
	if r.OK() {
		return nil
	}
	var b errorBody
	_ = json.Unmarshal(r.Body, &b)
	msg := b.Message
	if b.Error != nil && *b.Error != "" {
		if msg == "" || strings.EqualFold(msg, *b.Error) {
			msg = *b.Error
		} else {
			msg = *b.Error + ": " + msg
		}
	}
	if msg == "" {
		msg = httpx.MessageFrom(r.Body)
	}
	kind := httpx.KindForStatus(r.StatusCode)
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "not authenticated"), strings.Contains(low, "invalid api key"):
		kind = provider.ErrUnauthorized
	case strings.Contains(low, "insufficient") && (strings.Contains(low, "credit") || strings.Contains(low, "balance")):
		kind = provider.ErrNoCredits
	case r.StatusCode == http.StatusBadRequest && (strings.Contains(low, "nsfw") || strings.Contains(low, "content policy")):
		kind = provider.ErrContentPolicy
	}
	return &provider.Error{Kind: kind, HTTPStatus: r.StatusCode, Message: msg}
}
