// Package library keeps Meshdrop's facts on disk: one folder per job under
// <data>/library/<job-id>/ with the model, the inputs, the provider's preview,
// our thumbnail and the job's JSON (the truth), plus a JSON index rebuilt when
// missing or stale. It never calls a service.
package library

import (
	"time"

	"meshdrop/core/provider"
)

// The record below is agreed between library (which stores it) and jobs (which
// drives it). Add fields freely; keep JSON names stable (the schema is versioned).

// SchemaVersion is the job.json schema written by this build.
const SchemaVersion = 1

// State is a job's state.
type State string

const (
	StateDraft       State = "draft"
	StateSubmitting  State = "submitting" // intent to create recorded; the request may be in flight
	StateQueued      State = "queued"
	StateRunning     State = "running"
	StateDownloading State = "downloading"
	StateDone        State = "done"
	StateFailed      State = "failed"
	StateCancelled   State = "cancelled"
	StateUnknown     State = "unknown" // submission unknown: the create's answer was lost
)

// Finished reports whether the job will not change by itself any more.
func (s State) Finished() bool {
	return s == StateDone || s == StateFailed || s == StateCancelled || s == StateUnknown
}

// Job is one generation (or an imported model: Provider "local").
type Job struct {
	Schema   int    `json:"schema"`
	ID       string `json:"id"`
	Provider string `json:"provider"`
	// Name is a display name (an imported file's base name); the gallery
	// falls back to the prompt when it is empty.
	Name string `json:"name,omitempty"`
	// Source is where an imported model came from (a local path).
	Source string `json:"source,omitempty"`
	// ModelVersion is the provider's model version used, when known.
	ModelVersion string            `json:"model_version,omitempty"`
	KeyID        string            `json:"key_id,omitempty"`
	KeyName      string            `json:"key_name,omitempty"`
	KeyFP        string            `json:"key_fingerprint,omitempty"`
	Mode         string            `json:"mode"` // text, image, multi-image, import
	Prompt       string            `json:"prompt,omitempty"`
	Inputs       []Input           `json:"inputs,omitempty"`
	Options      map[string]string `json:"options,omitempty"`
	State        State             `json:"state"`
	Stages       []Stage           `json:"stages,omitempty"` // provider task per stage, in order
	Created      time.Time         `json:"created"`
	Updated      time.Time         `json:"updated"`
	Finished     time.Time         `json:"finished,omitzero"`

	Progress      float64 `json:"progress"`
	QueuePosition int     `json:"queue_position,omitempty"`
	Credits       float64 `json:"credits,omitempty"`
	// Estimate is the credits the job was expected to cost when it was
	// sent; per-day budgets count it for unfinished jobs whose Credits are
	// not known yet.
	Estimate        float64   `json:"estimate,omitempty"`
	ExpiresAt       time.Time `json:"expires_at,omitzero"` // when the provider's copy expires
	Outputs         []File    `json:"outputs,omitempty"`
	Error           *JobError `json:"error,omitempty"`
	CancelRequested bool      `json:"cancel_requested,omitempty"`
	RetryOf         string    `json:"retry_of,omitempty"`

	Tags      []string `json:"tags,omitempty"`
	Favourite bool     `json:"favourite,omitempty"`
	Rating    int      `json:"rating,omitempty"` // 0–5
	Note      string   `json:"note,omitempty"`
	// UserRev counts edits of the fields people own (Name, Tags, Favourite,
	// Rating, Note). Library.Put keeps the stored values of those fields
	// when the record being written carries an older UserRev, so a runner
	// that holds an older copy of a running job never undoes a user's edit.
	UserRev int `json:"user_rev,omitempty"`
}

// Input is an input image copied into the job's folder.
type Input struct {
	File   string `json:"file"` // relative to the job folder
	Slot   string `json:"slot,omitempty"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	MIME   string `json:"mime,omitempty"`
}

// Stage is one provider task of the job (Meshy: preview, then refine).
type Stage struct {
	Name      string            `json:"name"`
	Ref       provider.TaskRef  `json:"ref"`
	State     provider.State    `json:"state,omitempty"`
	Submitted time.Time         `json:"submitted,omitzero"` // intent recorded
	Accepted  time.Time         `json:"accepted,omitzero"`  // provider answered with a task ID
	Remote    []provider.Output `json:"remote,omitempty"`   // provider's result files (URLs expire)
}

// File is a file in the job's folder.
type File struct {
	Kind   string `json:"kind"` // model, preview, thumbnail, texture, other
	Format string `json:"format"`
	File   string `json:"file"` // relative to the job folder
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// JobError is a typed error as stored.
type JobError struct {
	Kind    string    `json:"kind"` // provider.ErrKind or a local kind
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}
