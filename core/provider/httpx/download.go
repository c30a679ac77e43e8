package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"meshdrop/core/provider"
)

// rewinder is a writer a failed download can start over in (an *os.File).
type rewinder interface {
	io.Seeker
	Truncate(size int64) error
}

// Download writes the file at rawURL to w and returns the bytes written.
// The key is sent only if rawURL is on the API host, and is stripped if a
// redirect leaves that host. Dropped connections, 408/425/429/5xx are
// retried per the Backoff while nothing was written or w can be rewound.
// A 403, 404 or 410 from another host is ErrLinkExpired: read the task
// again for a fresh URL. A file over MaxFileBytes is refused.
func (c *Client) Download(ctx context.Context, cred provider.Credential, rawURL string, w io.Writer) (int64, error) {
	u, err := c.URL(rawURL, nil)
	if err != nil {
		return 0, c.Error(provider.ErrBadResponse, cred, "download URL refused: "+err.Error(), err)
	}
	var total int64
	err = Retry(ctx, c.cfg.Backoff, func(n int) error {
		if total > 0 {
			rw, ok := w.(rewinder)
			if !ok {
				return c.Error(provider.ErrUnavailable, cred, "the download broke off and cannot be restarted in place", nil)
			}
			if _, err := rw.Seek(0, io.SeekStart); err != nil {
				return err
			}
			if err := rw.Truncate(0); err != nil {
				return err
			}
			total = 0
		}
		var err error
		total, err = c.downloadOnce(ctx, cred, u.String(), w)
		return err
	})
	if err != nil && ctx.Err() != nil && provider.KindOf(err) == "" {
		return total, ctx.Err()
	}
	return total, err
}

func (c *Client) downloadOnce(ctx context.Context, cred provider.Credential, raw string, w io.Writer) (int64, error) {
	u, err := c.URL(raw, nil)
	if err != nil {
		return 0, err
	}
	onAPI := c.IsAPIHost(u)
	if onAPI {
		if err := c.limiter.wait(ctx); err != nil {
			return 0, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ctx = context.WithValue(ctx, redirectPolicyKey, redirectStripForeign)
	req, err := c.newRequest(ctx, cred, u, http.MethodGet, nil, "", http.Header{"Accept": {"*/*"}})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		msg := "download of " + redactURL(u) + " failed: " + causeText(err, cred)
		c.log.Debug("download", "url", redactURL(u), "err", causeText(err, cred))
		if errors.Is(err, errRedirectRefused) {
			return 0, c.Error(provider.ErrBadResponse, cred, msg, errRedirectRefused)
		}
		return 0, c.Error(provider.ErrUnavailable, cred, msg, errors.New(causeText(err, cred)))
	}
	defer resp.Body.Close()
	final := resp.Request.URL
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := readCapped(resp.Body, 64<<10)
		r := &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body, URL: redactURL(final)}
		if !c.IsAPIHost(final) || !onAPI {
			switch resp.StatusCode {
			case http.StatusForbidden, http.StatusNotFound, http.StatusGone:
				return 0, c.Error(provider.ErrLinkExpired, cred, fmt.Sprintf("%s answered %d", redactURL(final), resp.StatusCode), nil)
			}
			e := DefaultClassify(r)
			e.Message = fmt.Sprintf("download from %s answered %d", redactURL(final), resp.StatusCode)
			if d, ok := RetryAfter(resp.Header, time.Now()); ok {
				e.RetryAt = time.Now().Add(d)
			}
			c.stamp(e, cred)
			return 0, e
		}
		if e := c.classify(cred, r); e != nil {
			return 0, e
		}
		return 0, c.Error(provider.ErrBadResponse, cred, fmt.Sprintf("download answered %d", resp.StatusCode), nil)
	}
	if resp.ContentLength > c.cfg.MaxFileBytes {
		return 0, c.Error(provider.ErrBadResponse, cred, fmt.Sprintf("the file is %d bytes, over the %d-byte limit (settings: max_file_bytes)", resp.ContentLength, c.cfg.MaxFileBytes), nil)
	}
	body := newIdleReader(resp.Body, c.cfg.IdleTimeout, cancel)
	defer body.stop()
	n, err := io.Copy(w, io.LimitReader(body, c.cfg.MaxFileBytes+1))
	c.log.Debug("download", "url", redactURL(u), "bytes", n, "ms", time.Since(start).Milliseconds())
	if n > c.cfg.MaxFileBytes {
		return n, c.Error(provider.ErrBadResponse, cred, fmt.Sprintf("the file is over the %d-byte limit (settings: max_file_bytes)", c.cfg.MaxFileBytes), nil)
	}
	if err != nil {
		if body.timedOut() {
			err = fmt.Errorf("no data for %s: %w", c.cfg.IdleTimeout, err)
		}
		return n, c.Error(provider.ErrUnavailable, cred, "download of "+redactURL(u)+" broke off: "+causeText(err, cred), err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, c.Error(provider.ErrUnavailable, cred, fmt.Sprintf("download of %s ended after %d of %d bytes", redactURL(u), n, resp.ContentLength), nil)
	}
	return n, nil
}

// idleReader cancels a request when no bytes arrive for a while, so a
// stalled download or stream cannot hang forever without a global timeout.
type idleReader struct {
	r       io.Reader
	d       time.Duration
	t       *time.Timer
	mu      sync.Mutex
	expired bool
}

func newIdleReader(r io.Reader, d time.Duration, cancel context.CancelFunc) *idleReader {
	ir := &idleReader{r: r, d: d}
	ir.t = time.AfterFunc(d, func() {
		ir.mu.Lock()
		ir.expired = true
		ir.mu.Unlock()
		cancel()
	})
	return ir
}

func (ir *idleReader) Read(p []byte) (int, error) {
	n, err := ir.r.Read(p)
	if n > 0 {
		ir.t.Reset(ir.d)
	}
	return n, err
}

func (ir *idleReader) stop() { ir.t.Stop() }

func (ir *idleReader) timedOut() bool {
	ir.mu.Lock()
	defer ir.mu.Unlock()
	return ir.expired
}
