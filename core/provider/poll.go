package provider

import (
	"context"
	"errors"
	"time"
)

// Poll follows a task by calling status every interval until it ends or ctx
// is done, calling fn on each reading; it is the Watch of providers with no
// stream. Transient failures (rate limited, unavailable, a garbled answer)
// stretch the interval, doubling up to maxPollBackoff, and end the watch only
// after maxPollFailures in a row; any other error ends it at once.
func Poll(ctx context.Context, interval time.Duration, status func(context.Context) (Status, error), fn func(Status)) (Status, error) {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	wait := interval
	failures := 0
	var last Status
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
			wait = min(wait*2, maxPollBackoff)
			if at := retryAt(err); !at.IsZero() && time.Until(at) > wait {
				wait = time.Until(at)
			}
		} else {
			failures, wait = 0, interval
			last = st
			if fn != nil {
				fn(st)
			}
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
