package provider

import (
	"context"
	"errors"
	"time"
)

// PollOption changes how Poll reports.
type PollOption func(*pollConfig)

type pollConfig struct {
	changesOnly bool
}

// ReportChanges makes Poll call fn only with the first reading and with
// readings whose state, progress or queue position differ from the last one
// reported (a terminal reading always differs from a running one). Without
// it fn sees every reading.
func ReportChanges() PollOption { return func(c *pollConfig) { c.changesOnly = true } }

// Poll follows a task by calling status every interval until it ends or ctx
// is done, calling fn on each reading (or each change, with ReportChanges);
// it is the Watch of providers with no stream. Transient failures (rate
// limited, unavailable, a garbled answer) stretch the interval, doubling up to
// maxPollBackoff (never below interval) or to the error's RetryAt when that is
// later, and end the watch only after maxPollFailures in a row; any other
// error ends it at once. No reading is ever taken sooner than interval after
// the last one, so a provider's minimum pace holds through failures too.
func Poll(ctx context.Context, interval time.Duration, status func(context.Context) (Status, error), fn func(Status), opts ...PollOption) (Status, error) {
	var cfg pollConfig
	for _, o := range opts {
		o(&cfg)
	}
	if interval <= 0 {
		interval = 2 * time.Second
	}
	wait := interval
	failures := 0
	var last, reported Status
	first := true
	for {
		st, err := status(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			if !transient(err) {
				return last, err
			}
			failures++
			if failures >= maxPollFailures {
				return last, err
			}
			wait = max(min(wait*2, maxPollBackoff), interval)
			if at := retryAt(err); !at.IsZero() && time.Until(at) > wait {
				wait = time.Until(at)
			}
		} else {
			failures, wait = 0, interval
			last = st
			if fn != nil && (!cfg.changesOnly || first || changed(reported, st)) {
				fn(st)
				reported = st
			}
			first = false
			if st.State.Terminal() {
				return st, nil
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, ctx.Err()
		case <-t.C:
		}
	}
}

// changed reports whether b says something a, the last reading reported,
// did not: what a progress display shows.
func changed(a, b Status) bool {
	return a.State != b.State || a.Progress != b.Progress || a.QueuePosition != b.QueuePosition
}

const (
	maxPollFailures = 10
	maxPollBackoff  = 30 * time.Second
)

func transient(err error) bool {
	switch KindOf(err) {
	case ErrRateLimited, ErrUnavailable, ErrBadResponse:
		return true
	}
	return false
}

func retryAt(err error) time.Time {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.RetryAt
	}
	return time.Time{}
}
