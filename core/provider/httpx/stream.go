package httpx

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"meshdrop/core/provider"
)

// Stream opens a long-lived API response (Server-Sent Events) once, with the
// key, no overall timeout and the client's idle timeout: if no byte (event
// or keep-alive) arrives for IdleTimeout the body fails. A non-2xx answer is
// classified like any call. Close the returned body.
func (c *Client) Stream(ctx context.Context, cred provider.Credential, call Call) (io.ReadCloser, error) {
	u, err := c.URL(call.Path, call.Query)
	if err != nil {
		return nil, err
	}
	body, ctype, err := call.body()
	if err != nil {
		return nil, err
	}
	if err := c.limiter.wait(ctx); err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	sctx = context.WithValue(sctx, redirectPolicyKey, redirectRefuse)
	h := call.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Accept", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	req, err := c.newRequest(sctx, cred, u, call.method(), body, ctype, h)
	if err != nil {
		cancel()
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.Error(provider.ErrUnavailable, cred, "stream could not be opened: "+causeText(err, cred), errors.New(causeText(err, cred)))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := readCapped(resp.Body, c.cfg.MaxJSONBytes)
		resp.Body.Close()
		cancel()
		r := &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: b, URL: redactURL(u)}
		if e := c.classify(cred, r); e != nil {
			return nil, e
		}
		return nil, c.Error(provider.ErrBadResponse, cred, fmt.Sprintf("stream answered %d", resp.StatusCode), nil)
	}
	ir := newIdleReader(resp.Body, c.cfg.IdleTimeout, cancel)
	return &streamBody{idleReader: ir, body: resp.Body, cancel: cancel}, nil
}

type streamBody struct {
	*idleReader
	body   io.Closer
	cancel context.CancelFunc
}

func (s *streamBody) Close() error {
	s.stop()
	s.cancel()
	return s.body.Close()
}

// SSEEvent is one Server-Sent Event.
type SSEEvent struct {
	Name string // "message" when the stream names none
	Data string // data lines joined with "\n"
	ID   string
}

// SSEReader parses a text/event-stream (WHATWG HTML §9.2) into events.
// Comment lines (keep-alives) are skipped; an event with no data is not
// dispatched. Lines and event data are capped at max bytes.
type SSEReader struct {
	br  *bufio.Reader
	max int
}

// NewSSEReader reads events from r; max caps one event's size (≤0: 4 MB).
func NewSSEReader(r io.Reader, max int) *SSEReader {
	if max <= 0 {
		max = int(DefaultMaxJSONBytes)
	}
	return &SSEReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// ErrEventTooLarge is returned when an event passes the reader's cap.
var ErrEventTooLarge = errors.New("server-sent event too large")

// Next returns the next event, or io.EOF at the end of the stream.
func (s *SSEReader) Next() (SSEEvent, error) {
	var ev SSEEvent
	var data bytes.Buffer
	hasData := false
	for {
		line, err := s.readLine()
		if err != nil { // bufio.ReadLine never returns a line and an error together
			if errors.Is(err, io.EOF) && hasData {
				// A stream that ends without the blank line: the spec drops the
				// event; Meshy's last frame is the full task, so we keep it.
				ev.Data = data.String()
				if ev.Name == "" {
					ev.Name = "message"
				}
				return ev, nil
			}
			return SSEEvent{}, err
		}
		if line == "" {
			if hasData {
				ev.Data = data.String()
				if ev.Name == "" {
					ev.Name = "message"
				}
				return ev, nil
			}
			ev = SSEEvent{}
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			ev.Name = value
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.WriteString(value)
			hasData = true
			if data.Len() > s.max {
				return SSEEvent{}, ErrEventTooLarge
			}
		case "id":
			if !strings.ContainsRune(value, 0) {
				ev.ID = value
			}
		}
	}
}

// readLine returns one line without its end (\n or \r\n).
func (s *SSEReader) readLine() (string, error) {
	var buf []byte
	for {
		chunk, isPrefix, err := s.br.ReadLine()
		buf = append(buf, chunk...)
		if len(buf) > s.max {
			return "", ErrEventTooLarge
		}
		if err != nil {
			return string(buf), err
		}
		if !isPrefix {
			return string(buf), nil
		}
	}
}
