package meshy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
)

// Stream event names (providers.md, Meshy: stream).
const (
	eventMessage = "message"
	eventError   = "error"
)

// streamError is an "event: error" frame, e.g. {"status_code":404,"message":"Task not found"}.
type streamError struct {
	StatusCode int    `json:"status_code"`
	Message    string `json:"message"`
}

// parseEvent reads one stream frame: a task (partial while running, full at
// the end) or the typed error an error frame carries. Unknown event names
// are ignored (ok=false).
func (m *Meshy) parseEvent(c provider.Credential, ev httpx.SSEEvent) (t task, ok bool, err error) {
	switch ev.Name {
	case eventMessage:
		t, err := parseTask([]byte(ev.Data))
		if err != nil {
			return task{}, false, m.c.Error(provider.ErrBadResponse, c, fmt.Sprintf("stream frame: %v; got %q", err, httpx.Excerpt([]byte(ev.Data), 120)), err)
		}
		return t, true, nil
	case eventError:
		var se streamError
		if json.Unmarshal([]byte(ev.Data), &se) != nil {
			se.Message = httpx.Excerpt([]byte(ev.Data), 200)
		}
		kind := provider.ErrUnavailable
		if se.StatusCode >= 400 {
			kind = httpx.KindForStatus(se.StatusCode)
		}
		e := m.c.Error(kind, c, se.Message, nil)
		e.HTTPStatus = se.StatusCode
		return task{}, false, e
	}
	return task{}, false, nil
}

// errStreamEnded marks a stream that ended before the task did.
var errStreamEnded = errors.New("the progress stream ended before the task")

// Watch implements provider.Provider: it follows the task's Server-Sent
// Events stream and falls back to polling at PollEvery when the stream cannot
// be opened, breaks, or sends something unreadable. A key, credit or
// not-found error ends the watch (polling would meet it too).
func (m *Meshy) Watch(ctx context.Context, c provider.Credential, ref provider.TaskRef, fn func(provider.Status)) (provider.Status, error) {
	if fn == nil {
		fn = func(provider.Status) {}
	}
	if !m.noStream {
		st, done, err := m.stream(ctx, c, ref, fn)
		if done {
			return st, err
		}
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		m.log.Debug("meshy stream: falling back to polling", "task", ref.ID, "err", err)
	}
	return provider.Poll(ctx, m.poll, func(ctx context.Context) (provider.Status, error) {
		return m.Status(ctx, c, ref)
	}, fn)
}

// final reports whether an error from the stream ends the watch rather than
// sending it to polling.
func final(err error) bool {
	switch provider.KindOf(err) {
	case provider.ErrUnauthorized, provider.ErrForbidden, provider.ErrNoCredits, provider.ErrNotFound, provider.ErrInvalidInput:
		return true
	}
	return false
}

// stream follows the SSE stream. done=true means the watch is over (a
// terminal status, or an error polling would meet too).
func (m *Meshy) stream(ctx context.Context, c provider.Credential, ref provider.TaskRef, fn func(provider.Status)) (provider.Status, bool, error) {
	p, err := m.taskPath(c, ref)
	if err != nil {
		return provider.Status{}, true, err
	}
	body, err := m.c.Stream(ctx, c, httpx.Call{Path: p + "/stream"})
	if err != nil {
		return provider.Status{}, final(err), err
	}
	defer body.Close()
	rd := httpx.NewSSEReader(body, int(m.c.MaxJSONBytes()))
	var last provider.Status
	for {
		ev, err := rd.Next()
		if err != nil {
			if err == io.EOF {
				err = errStreamEnded
			}
			return last, false, err
		}
		t, ok, err := m.parseEvent(c, ev)
		if err != nil {
			return last, final(err), err
		}
		if !ok {
			continue
		}
		if t.Status == "" {
			continue // a frame without a status says nothing new
		}
		st := t.status()
		if st.State.Terminal() {
			// The last frame is documented to be the full task; if it lacks
			// the result links, read the task once to get them.
			if st.State == provider.StateSucceeded && !hasModel(st.Outputs) {
				full, err := m.Status(ctx, c, ref)
				if err != nil {
					return last, final(err), err
				}
				fn(full)
				return full, true, nil
			}
			st, err := m.finish(c, t)
			if err != nil {
				return last, false, err
			}
			fn(st)
			return st, true, nil
		}
		last = st
		fn(st)
	}
}
