package meshy

import (
	"net/http"
	"strings"
	"time"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// The two kinds of 429 (providers.md, Meshy: errors).
const (
	kindRateLimit  = "RateLimitExceeded"     // too many requests per second: back off
	kindQueueLimit = "NoMoreConcurrentTasks" // queue full: wait for a running task to end
)

// rateLimitPause is how long to wait after RateLimitExceeded when the answer
// has no Retry-After. No rate-limit headers are documented; the limit is
// counted per second (20 requests/s per account), so one second lets the
// window pass. [guess, from the documented unit]
const rateLimitPause = time.Second

// classify maps Meshy's answers ({"message":"…"} with 400, 401, 402, 403,
// 404, 429, 5xx) to typed errors.
func classify(r *httpx.Response) *provider.Error {
	if r.OK() {
		return nil
	}
	msg := httpx.MessageFrom(r.Body)
	e := &provider.Error{Kind: httpx.KindForStatus(r.StatusCode), HTTPStatus: r.StatusCode, Message: msg}
	if r.StatusCode == http.StatusTooManyRequests {
		// The docs name the kinds but not where they appear; look for the name
		// anywhere in the body (message or a code field). An unnamed 429 is
		// treated as the per-second kind: waiting is right for both.
		body := string(r.Body)
		switch {
		case strings.Contains(body, kindQueueLimit):
			e.Kind, e.Code = provider.ErrQueueFull, kindQueueLimit
		default:
			e.Kind = provider.ErrRateLimited
			if strings.Contains(body, kindRateLimit) {
				e.Code = kindRateLimit
			}
			if _, ok := httpx.RetryAfter(r.Header, time.Now()); !ok {
				e.RetryAt = time.Now().Add(rateLimitPause)
			}
		}
	}
	// No content-policy code is documented for Meshy; a refused prompt comes
	// back as a 400 (invalid input) or as a failed task with its message.
	return e
}
