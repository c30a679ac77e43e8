package provider

import (
	"errors"
	"fmt"
	"time"
)

// ErrKind classifies a failure so the UI can explain it and the job engine can
// decide whether to wait, retry or stop.
type ErrKind string

const (
	ErrUnauthorized      ErrKind = "unauthorized"
	ErrNoCredits         ErrKind = "out_of_credits"
	ErrForbidden         ErrKind = "forbidden"
	ErrRateLimited       ErrKind = "rate_limited"
	ErrQueueFull         ErrKind = "queue_full" // e.g. Meshy NoMoreConcurrentTasks, Tripo 2000
	ErrInvalidInput      ErrKind = "invalid_input"
	ErrContentPolicy     ErrKind = "content_policy"
	ErrTaskFailed        ErrKind = "task_failed"
	ErrNotFound          ErrKind = "not_found"
	ErrUnavailable       ErrKind = "unavailable"
	ErrSubmissionUnknown ErrKind = "submission_unknown" // create sent, answer lost: never resend
	ErrLinkExpired       ErrKind = "link_expired"       // read the task again for fresh URLs
	ErrUnsupported       ErrKind = "unsupported"
	ErrBadResponse       ErrKind = "bad_response"
)

// Error is a provider failure with what the user needs to act on it. It names
// the key by name and fingerprint, never by its secret.
type Error struct {
	Kind       ErrKind
	Provider   string // display name
	KeyName    string
	KeyFP      string
	Field      string    // ErrInvalidInput
	RetryAt    time.Time // ErrRateLimited, ErrQueueFull
	HTTPStatus int
	Code       string // provider's own code
	Message    string // provider's message
	Err        error  // underlying cause
}

func (e *Error) Unwrap() error { return e.Err }

// Error is the message shown to people: what happened and what to do.
func (e *Error) Error() string {
	key := ""
	if e.KeyName != "" {
		key = fmt.Sprintf(" '%s' (%s)", e.KeyName, e.KeyFP)
	}
	pm := ""
	if e.Message != "" {
		pm = ": " + e.Message
	}
	switch e.Kind {
	case ErrUnauthorized:
		return fmt.Sprintf("%s rejected the key%s: invalid or revoked%s. Replace it in Keys.", e.Provider, key, pm)
	case ErrNoCredits:
		return fmt.Sprintf("%s says the key%s has no credits left%s. Top up the account or pick another key.", e.Provider, key, pm)
	case ErrForbidden:
		return fmt.Sprintf("%s refused the request with the key%s%s. Check the key's permissions or plan.", e.Provider, key, pm)
	case ErrRateLimited:
		return fmt.Sprintf("%s is rate limiting the key%s%s. Meshdrop will wait%s and try again.", e.Provider, key, pm, e.when())
	case ErrQueueFull:
		return fmt.Sprintf("%s's queue for the key%s is full%s. The job waits until a running task ends.", e.Provider, key, pm)
	case ErrInvalidInput:
		f := ""
		if e.Field != "" {
			f = " (" + e.Field + ")"
		}
		return fmt.Sprintf("%s did not accept the request%s%s. Change it and try again.", e.Provider, f, pm)
	case ErrContentPolicy:
		return fmt.Sprintf("%s refused the prompt or image under its content policy%s. Rephrase it or use another image.", e.Provider, pm)
	case ErrTaskFailed:
		return fmt.Sprintf("%s could not make the model%s. Try again, perhaps with a different prompt or image.", e.Provider, pm)
	case ErrNotFound:
		return fmt.Sprintf("%s does not know this task%s. It may belong to another key or have expired.", e.Provider, pm)
	case ErrUnavailable:
		return fmt.Sprintf("%s is not reachable or is failing%s. Check your connection or try later.", e.Provider, pm)
	case ErrSubmissionUnknown:
		return fmt.Sprintf("The request to %s was sent but its answer was lost%s. It may have been accepted and charged; Meshdrop will not resend it. Reconcile the job to look for it.", e.Provider, pm)
	case ErrLinkExpired:
		return fmt.Sprintf("%s's download link has expired%s. Meshdrop reads the task again for a fresh one.", e.Provider, pm)
	case ErrUnsupported:
		return fmt.Sprintf("%s does not offer this%s.", e.Provider, pm)
	case ErrBadResponse:
		return fmt.Sprintf("%s sent an answer Meshdrop does not understand%s. Try again later; if it persists, the provider may have changed its API.", e.Provider, pm)
	}
	return fmt.Sprintf("%s: %s%s", e.Provider, e.Kind, pm)
}

func (e *Error) when() string {
	if e.RetryAt.IsZero() {
		return ""
	}
	d := time.Until(e.RetryAt).Round(time.Second)
	if d <= 0 {
		return ""
	}
	return " " + d.String()
}

// KindOf returns the kind of a provider error anywhere in err's chain, or "".
func KindOf(err error) ErrKind {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return ""
}
