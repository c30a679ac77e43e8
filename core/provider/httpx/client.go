package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"meshdrop/core/provider"
	"meshdrop/core/version"
)

// Default limits and timeouts.
const (
	DefaultMaxJSONBytes   int64 = 4 << 20
	DefaultMaxFileBytes   int64 = 2 << 30
	DefaultRequestTimeout       = 2 * time.Minute  // a whole JSON call
	DefaultHeaderTimeout        = 90 * time.Second // request written → response headers
	DefaultIdleTimeout          = 60 * time.Second // no bytes on a download or stream
	maxRedirects                = 10
)

// Config configures one provider's client.
type Config struct {
	// Provider is the display name used in errors ("Meshy").
	Provider string
	// BaseURL is the API root; paths in a Call are appended to it as they are.
	BaseURL string
	// Log receives one line per request (method, host, path, status, time).
	// Never headers, bodies or query strings. Nil: discard.
	Log *slog.Logger

	MaxJSONBytes   int64         // 0: DefaultMaxJSONBytes
	MaxFileBytes   int64         // 0: DefaultMaxFileBytes
	RequestTimeout time.Duration // 0: DefaultRequestTimeout
	HeaderTimeout  time.Duration // 0: DefaultHeaderTimeout
	IdleTimeout    time.Duration // 0: DefaultIdleTimeout

	// Backoff for Read and Download retries; zero fields take the defaults.
	Backoff Backoff
	// RatePerSecond limits requests from this client (0: no limit).
	RatePerSecond float64

	// Classify maps a response to nil (success) or a typed error. It is
	// called for every response, so envelope errors on a 200 can be caught.
	// Nil: DefaultClassify.
	Classify func(r *Response) *provider.Error
	// Authorize puts the secret on an API request. Nil: Bearer.
	Authorize func(h http.Header, secret string)
	// DeclinedStatuses are 5xx statuses that, on a create, mean the server
	// declined the request (Tripo's SDKs treat 503 so), not "maybe accepted".
	DeclinedStatuses []int

	// Transport replaces the default transport (tests only).
	Transport http.RoundTripper
}

// Client is one provider's HTTP client. Safe for concurrent use.
type Client struct {
	cfg     Config
	base    *url.URL
	hc      *http.Client
	log     *slog.Logger
	limiter *limiter
}

// New checks the base URL (HTTPS, or http on loopback) and builds the client.
func New(cfg Config) (*Client, error) {
	if cfg.Provider == "" {
		return nil, errors.New("httpx: Config.Provider is required")
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q is not a valid absolute URL", cfg.Provider, cfg.BaseURL)
	}
	if err := CheckURL(base); err != nil {
		return nil, fmt.Errorf("%s: base URL refused: %w", cfg.Provider, err)
	}
	if cfg.MaxJSONBytes <= 0 {
		cfg.MaxJSONBytes = DefaultMaxJSONBytes
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = DefaultMaxFileBytes
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.HeaderTimeout <= 0 {
		cfg.HeaderTimeout = DefaultHeaderTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	cfg.Backoff = cfg.Backoff.withDefaults()
	if cfg.Classify == nil {
		cfg.Classify = DefaultClassify
	}
	if cfg.Authorize == nil {
		cfg.Authorize = Bearer
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("provider", cfg.Provider)
	rt := cfg.Transport
	if rt == nil {
		rt = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          32,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: cfg.HeaderTimeout,
			ExpectContinueTimeout: time.Second,
		}
	}
	c := &Client{cfg: cfg, base: base, log: log, limiter: newLimiter(cfg.RatePerSecond)}
	c.hc = &http.Client{Transport: rt, CheckRedirect: c.checkRedirect}
	return c, nil
}

// Bearer sets "Authorization: Bearer <secret>".
func Bearer(h http.Header, secret string) { h.Set("Authorization", "Bearer "+secret) }

// Provider is the display name the client was made for.
func (c *Client) Provider() string { return c.cfg.Provider }

// BaseURL returns a copy of the API root.
func (c *Client) BaseURL() *url.URL { u := *c.base; return &u }

// MaxJSONBytes and MaxFileBytes are the caps in force.
func (c *Client) MaxJSONBytes() int64 { return c.cfg.MaxJSONBytes }
func (c *Client) MaxFileBytes() int64 { return c.cfg.MaxFileBytes }

// Backoff is the retry schedule in force.
func (c *Client) Backoff() Backoff { return c.cfg.Backoff }

// IsAPIHost reports whether u is on the API host (same scheme, host and
// port as the base URL): only there may the key be sent.
func (c *Client) IsAPIHost(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, c.base.Scheme) && sameHostPort(u, c.base)
}

// URL resolves a Call path: an absolute URL is taken as it is, anything else
// is appended to the base URL.
func (c *Client) URL(path string, q url.Values) (*url.URL, error) {
	var u *url.URL
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		p, err := url.Parse(path)
		if err != nil {
			return nil, fmt.Errorf("%s: bad URL %q: %w", c.cfg.Provider, Redact(path), err)
		}
		u = p
	} else {
		p, err := url.Parse(c.base.String() + "/" + strings.TrimLeft(path, "/"))
		if err != nil {
			return nil, fmt.Errorf("%s: bad path %q: %w", c.cfg.Provider, path, err)
		}
		u = p
	}
	if len(q) > 0 {
		qq := u.Query()
		for k, vs := range q {
			for _, v := range vs {
				qq.Add(k, v)
			}
		}
		u.RawQuery = qq.Encode()
	}
	if err := CheckURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

// Error builds a typed error for this provider and key. The secret is
// scrubbed from msg.
func (c *Client) Error(kind provider.ErrKind, cred provider.Credential, msg string, cause error) *provider.Error {
	e := &provider.Error{Kind: kind, Message: msg, Err: cause}
	c.stamp(e, cred)
	return e
}

// stamp fills the provider and key fields and scrubs the secret.
func (c *Client) stamp(e *provider.Error, cred provider.Credential) {
	e.Provider = c.cfg.Provider
	if cred.Name != "" || !cred.Secret.IsZero() {
		e.KeyName = cred.Name
		e.KeyFP = cred.Fingerprint()
	}
	e.Message = Scrub(e.Message, cred)
	e.Code = Scrub(e.Code, cred)
	if e.Err != nil && !cred.Secret.IsZero() && strings.Contains(e.Err.Error(), cred.Secret.Reveal()) {
		e.Err = errors.New(Scrub(e.Err.Error(), cred))
	}
}

// Scrub replaces the credential's secret in s with its fingerprint.
func Scrub(s string, cred provider.Credential) string {
	sec := cred.Secret.Reveal()
	if sec == "" || !strings.Contains(s, sec) {
		return s
	}
	return strings.ReplaceAll(s, sec, cred.Fingerprint())
}

// Redact drops the query and fragment of a URL (signed links carry tokens).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			return raw[:i]
		}
		return raw
	}
	return redactURL(u)
}

func redactURL(u *url.URL) string {
	v := *u
	v.RawQuery, v.Fragment, v.User = "", "", nil
	return v.String()
}

// IsLoopback reports whether host (without port) is a loopback name or address.
func IsLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// CheckURL refuses anything but https, or http to a loopback host.
func CheckURL(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("URL %s has no host", redactURL(u))
		}
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("plain http to %s refused: Meshdrop talks to providers over HTTPS only (http is allowed only for loopback hosts such as 127.0.0.1 or localhost); use an https:// URL", u.Host)
	default:
		return fmt.Errorf("URL scheme %q refused in %s: only https (or http to loopback) is allowed", u.Scheme, redactURL(u))
	}
}

func sameHostPort(a, b *url.URL) bool {
	return strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// errRedirectRefused marks a redirect the policy refused (not retried).
var errRedirectRefused = errors.New("redirect refused")

// causeText is a transport error for a message: without the URL (url.Error
// repeats it with its query) and without the secret.
func causeText(err error, cred provider.Credential) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return Scrub(err.Error(), cred)
}

type ctxKey int

const redirectPolicyKey ctxKey = 1

type redirectPolicy int

const (
	redirectRefuse       redirectPolicy = iota // API calls: never follow
	redirectStripForeign                       // downloads: follow, key only on the same host
)

// checkRedirect enforces the URL rules on every hop and keeps the key from
// crossing hosts. Go copies Authorization to a redirect whose host name
// matches even when the port differs; we do not.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	pol, _ := req.Context().Value(redirectPolicyKey).(redirectPolicy)
	if pol == redirectRefuse {
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: more than %d redirects", errRedirectRefused, maxRedirects)
	}
	if err := CheckURL(req.URL); err != nil {
		return fmt.Errorf("%w: %w", errRedirectRefused, err)
	}
	if !sameHostPort(req.URL, via[0].URL) || !strings.EqualFold(req.URL.Scheme, via[0].URL.Scheme) {
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
		req.Header.Del("Proxy-Authorization")
		for k := range req.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-api-key") {
				req.Header.Del(k)
			}
		}
	}
	return nil
}

// newRequest builds an http.Request for the call: the key only on the API host.
func (c *Client) newRequest(ctx context.Context, cred provider.Credential, u *url.URL, method string, body []byte, contentType string, extra http.Header) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot build request for %s: %w", c.cfg.Provider, redactURL(u), err)
	}
	for k, vs := range extra {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("User-Agent", version.UserAgent())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if !cred.Secret.IsZero() && c.IsAPIHost(u) {
		c.cfg.Authorize(req.Header, cred.Secret.Reveal())
	}
	return req, nil
}
