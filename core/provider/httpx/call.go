package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sync/atomic"
	"time"

	"meshdrop/core/provider"
)

// Call is one API request.
type Call struct {
	Method string // default GET, or POST when there is a body
	Path   string // appended to the base URL ("/v1/balance"), or an absolute URL
	Query  map[string][]string
	JSON   any         // marshalled as the body (Content-Type: application/json)
	Body   []byte      // raw body instead of JSON (e.g. from Multipart)
	Type   string      // Content-Type of Body
	Header http.Header // extra headers
}

// Response is a fully read answer (JSON calls).
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	URL        string // without query
}

// OK reports a 2xx status.
func (r *Response) OK() bool { return r.StatusCode >= 200 && r.StatusCode < 300 }

func (call Call) method() string {
	if call.Method != "" {
		return call.Method
	}
	if call.JSON != nil || call.Body != nil {
		return http.MethodPost
	}
	return http.MethodGet
}

func (call Call) body() ([]byte, string, error) {
	if call.JSON != nil {
		b, err := json.Marshal(call.JSON)
		if err != nil {
			return nil, "", fmt.Errorf("encode request: %w", err)
		}
		return b, "application/json", nil
	}
	return call.Body, call.Type, nil
}

// attempt is the outcome of one exchange.
type attempt struct {
	resp  *Response
	err   error // transport or read error (no usable response)
	wrote bool  // request headers were written to the connection
}

// do performs one exchange of a JSON call and reads the body within the cap.
func (c *Client) do(ctx context.Context, cred provider.Credential, call Call) attempt {
	u, err := c.URL(call.Path, call.Query)
	if err != nil {
		return attempt{err: err}
	}
	body, ctype, err := call.body()
	if err != nil {
		return attempt{err: err}
	}
	if err := c.limiter.wait(ctx); err != nil {
		return attempt{err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }})
	ctx = context.WithValue(ctx, redirectPolicyKey, redirectRefuse)
	req, err := c.newRequest(ctx, cred, u, call.method(), body, ctype, call.Header)
	if err != nil {
		return attempt{err: err}
	}
	start := time.Now()
	hr, err := c.hc.Do(req)
	if err != nil {
		c.log.Debug("http", "method", req.Method, "url", redactURL(u), "err", causeText(err, cred), "ms", time.Since(start).Milliseconds())
		return attempt{err: err, wrote: wrote.Load()}
	}
	defer hr.Body.Close()
	b, rerr := readCapped(hr.Body, c.cfg.MaxJSONBytes)
	c.log.Debug("http", "method", req.Method, "url", redactURL(u), "status", hr.StatusCode, "bytes", len(b), "ms", time.Since(start).Milliseconds())
	if rerr != nil {
		return attempt{err: rerr, wrote: true, resp: &Response{StatusCode: hr.StatusCode, Header: hr.Header, URL: redactURL(u)}}
	}
	return attempt{resp: &Response{StatusCode: hr.StatusCode, Header: hr.Header, Body: b, URL: redactURL(u)}, wrote: true}
}

// errTooLarge marks a body over its cap.
var errTooLarge = errors.New("answer too large")

func readCapped(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", errTooLarge, max)
	}
	return b, nil
}

// classify runs the provider's classifier and completes the error.
func (c *Client) classify(cred provider.Credential, r *Response) *provider.Error {
	var e *provider.Error
	if r.StatusCode >= 300 && r.StatusCode < 400 {
		e = &provider.Error{Kind: provider.ErrBadResponse, Message: fmt.Sprintf("the API answered with a redirect (%d) to %s; Meshdrop does not follow redirects with a key. Check the base URL", r.StatusCode, Redact(r.Header.Get("Location")))}
	} else {
		e = c.cfg.Classify(r)
	}
	if e == nil {
		return nil
	}
	if e.HTTPStatus == 0 {
		e.HTTPStatus = r.StatusCode
	}
	if e.RetryAt.IsZero() {
		if d, ok := RetryAfter(r.Header, time.Now()); ok {
			e.RetryAt = time.Now().Add(d)
		}
	}
	c.stamp(e, cred)
	return e
}

// transportErr maps a failed exchange with no usable answer.
func (c *Client) transportErr(cred provider.Credential, a attempt) error {
	if errors.Is(a.err, errTooLarge) {
		return c.Error(provider.ErrBadResponse, cred, a.err.Error(), a.err)
	}
	return c.Error(provider.ErrUnavailable, cred, causeText(a.err, cred), errors.New(causeText(a.err, cred)))
}

// Read performs a safe request (status, list, balance) with retries and
// decodes the JSON answer into out (if not nil). Rate limits, 408, 425, 5xx
// and dropped connections are retried per the Backoff, honouring Retry-After.
func (c *Client) Read(ctx context.Context, cred provider.Credential, call Call, out any) (*Response, error) {
	var resp *Response
	err := Retry(ctx, c.cfg.Backoff, func(int) error {
		a := c.do(ctx, cred, call)
		if a.err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return c.transportErr(cred, a)
		}
		resp = a.resp
		if e := c.classify(cred, a.resp); e != nil {
			return e
		}
		if out != nil {
			if err := c.DecodeJSON(cred, a.resp.Body, out); err != nil {
				return err
			}
		}
		return nil
	})
	return resp, err
}

// Once performs one request, never retried (uploads), and decodes the answer.
func (c *Client) Once(ctx context.Context, cred provider.Credential, call Call, out any) (*Response, error) {
	a := c.do(ctx, cred, call)
	if a.err != nil {
		if ctx.Err() != nil {
			return a.resp, ctx.Err()
		}
		return a.resp, c.transportErr(cred, a)
	}
	if e := c.classify(cred, a.resp); e != nil {
		return a.resp, e
	}
	if out != nil {
		if err := c.DecodeJSON(cred, a.resp.Body, out); err != nil {
			return a.resp, err
		}
	}
	return a.resp, nil
}

// Create sends a paid create request at most once and decodes the answer
// into out. See the package comment for how failures are classified; out is
// decoded only on success, and a success whose body cannot be decoded is
// ErrSubmissionUnknown (the task may exist, its ID is lost).
func (c *Client) Create(ctx context.Context, cred provider.Credential, call Call, out any) (*Response, error) {
	a := c.do(ctx, cred, call)
	if a.err != nil {
		if !a.wrote {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: create not sent: %w", c.cfg.Provider, ctx.Err())
			}
			// Nothing reached the server (dial, DNS, TLS, a bad URL): not accepted.
			return nil, c.Error(provider.ErrUnavailable, cred, "the request was not sent: "+causeText(a.err, cred), a.err)
		}
		return a.resp, c.unknown(cred, a.resp, "no answer came: "+causeText(a.err, cred), a.err)
	}
	r := a.resp
	if e := c.classify(cred, r); e != nil {
		declined := r.StatusCode == http.StatusTooManyRequests || slices.Contains(c.cfg.DeclinedStatuses, r.StatusCode)
		if !declined && (r.StatusCode >= 500 || e.Kind == provider.ErrUnavailable) {
			u := c.unknown(cred, r, fmt.Sprintf("the server answered %d", r.StatusCode), e)
			u.Message = e.Message
			u.Code = e.Code
			return r, u
		}
		return r, e
	}
	if out != nil {
		if err := c.DecodeJSON(cred, r.Body, out); err != nil {
			return r, c.unknown(cred, r, "the answer could not be read", err)
		}
	}
	return r, nil
}

func (c *Client) unknown(cred provider.Credential, r *Response, msg string, cause error) *provider.Error {
	e := c.Error(provider.ErrSubmissionUnknown, cred, msg, cause)
	if r != nil {
		e.HTTPStatus = r.StatusCode
	}
	return e
}

// DecodeJSON decodes body into v, or returns ErrBadResponse saying what was
// wrong (with a short, secret-free excerpt of the body).
func (c *Client) DecodeJSON(cred provider.Credential, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		msg := fmt.Sprintf("expected JSON (%v); got %q", err, Excerpt(body, 120))
		return c.Error(provider.ErrBadResponse, cred, msg, err)
	}
	return nil
}

// Excerpt returns at most n bytes of b as text, for messages.
func Excerpt(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
