// Package provider is the one interface Meshdrop uses to talk to 3D generation
// services: capabilities and options, create (at most once), status (polled or
// streamed), result files, balance, cancel and reconciliation, plus the typed
// errors the UI and CLI explain. Adapters live in sub-packages (meshy, tripo,
// rodin, genx3d, sandbox) and know nothing of the job engine: jobs drive them.
package provider

import (
	"context"
	"io"
	"time"

	"meshdrop/core/keys"
)

// Provider IDs. Constants, so no provider name is a magic string elsewhere.
const (
	Meshy   = "meshy"
	Tripo   = "tripo"
	Rodin   = "rodin"
	GenX3D  = "genx3d"
	Sandbox = "sandbox"
)

// IDs lists every provider in display order.
var IDs = []string{Sandbox, Meshy, Tripo, Rodin, GenX3D}

// Credential is the key a request is made with. Name and Fingerprint are for
// messages; Secret goes only into the Authorization header of requests to the
// provider's own API host.
type Credential struct {
	KeyID  string
	Name   string
	Secret keys.Secret
}

// Fingerprint of the credential's secret, for messages.
func (c Credential) Fingerprint() string { return c.Secret.Fingerprint() }

// Mode is what a request starts from.
type Mode string

const (
	ModeText       Mode = "text"
	ModeImage      Mode = "image"
	ModeMultiImage Mode = "multi-image"
)

// OptionType is the kind of value an option takes.
type OptionType string

const (
	OptBool   OptionType = "bool"
	OptInt    OptionType = "int"
	OptFloat  OptionType = "float"
	OptEnum   OptionType = "enum"
	OptString OptionType = "string"
)

// Option describes one request option so the UI can draw a form and the CLI
// can check --set name=value.
type Option struct {
	Name    string     `json:"name"`
	Label   string     `json:"label"`
	Help    string     `json:"help,omitempty"`
	Type    OptionType `json:"type"`
	Default string     `json:"default"`
	Choices []string   `json:"choices,omitempty"` // OptEnum
	Min     *float64   `json:"min,omitempty"`     // OptInt, OptFloat
	Max     *float64   `json:"max,omitempty"`
	Modes   []Mode     `json:"modes,omitempty"` // empty: every mode
}

// Capabilities say what a provider accepts.
type Capabilities struct {
	Modes         []Mode        `json:"modes"`
	PromptMaxLen  int           `json:"prompt_max_len,omitempty"`
	MaxImages     int           `json:"max_images,omitempty"`
	ImageSlots    []string      `json:"image_slots,omitempty"` // named slots, e.g. front,left,back,right
	ImageTypes    []string      `json:"image_types,omitempty"` // MIME types accepted
	MaxImageBytes int64         `json:"max_image_bytes,omitempty"`
	Options       []Option      `json:"options"`
	Stages        []string      `json:"stages,omitempty"` // e.g. preview, refine
	NeedsKey      bool          `json:"needs_key"`
	CanStream     bool          `json:"can_stream"`
	CanCancel     bool          `json:"can_cancel"`
	CanList       bool          `json:"can_list"` // reconciliation of "submission unknown"
	CanBalance    bool          `json:"can_balance"`
	PollEvery     time.Duration `json:"poll_every"`
	MaxConcurrent int           `json:"max_concurrent,omitempty"` // default concurrency cap
	RatePerSecond float64       `json:"rate_per_second,omitempty"`
}

// Image is one input image.
type Image struct {
	Name string // file name, for messages and multipart
	Slot string // named slot (front, left, back, right) or ""
	MIME string
	Data []byte
}

// Request is one generation request.
type Request struct {
	Mode    Mode
	Prompt  string
	Images  []Image
	Options map[string]string // option name → value, checked against Capabilities
}

// TaskRef identifies a task at the provider. Extra carries what the provider
// needs besides the ID (Rodin's subscription key, Meshy's endpoint kind).
type TaskRef struct {
	ID    string            `json:"id"`
	Stage string            `json:"stage,omitempty"`
	Extra map[string]string `json:"extra,omitempty"`
}

// State is a task's normalised state.
type State string

const (
	StateQueued    State = "queued"
	StateRunning   State = "running"
	StateSucceeded State = "succeeded"
	StateFailed    State = "failed"
	StateCancelled State = "cancelled"
	StateUnknown   State = "unknown"
)

// Terminal reports whether nothing more will happen to the task.
func (s State) Terminal() bool {
	return s == StateSucceeded || s == StateFailed || s == StateCancelled
}

// OutputKind says what a result file is.
type OutputKind string

const (
	OutModel   OutputKind = "model"
	OutPreview OutputKind = "preview"
	OutTexture OutputKind = "texture"
	OutOther   OutputKind = "other"
)

// Output is one result file at the provider.
type Output struct {
	Kind   OutputKind `json:"kind"`
	Format string     `json:"format"` // glb, obj, fbx, png, webp…
	Name   string     `json:"name"`   // a clean base name, safe as a file name
	URL    string     `json:"url"`
}

// Status is a task's normalised status.
type Status struct {
	State         State         `json:"state"`
	Progress      float64       `json:"progress"` // 0–100
	QueuePosition int           `json:"queue_position,omitempty"`
	ETA           time.Duration `json:"eta,omitempty"`
	Message       string        `json:"message,omitempty"` // provider's failure message
	Outputs       []Output      `json:"outputs,omitempty"`
	Credits       float64       `json:"credits,omitempty"`
	ExpiresAt     time.Time     `json:"expires_at,omitzero"` // when the provider's copy expires
	Err           error         `json:"-"`                   // typed *Error when State is failed
}

// Balance is what a key has left.
type Balance struct {
	Credits float64 `json:"credits"`
	Frozen  float64 `json:"frozen,omitempty"`
	Unit    string  `json:"unit,omitempty"`
}

// Provider is one generation service.
type Provider interface {
	ID() string
	DisplayName() string
	Capabilities() Capabilities

	// Create sends a paid create request at most once. A *Error of kind
	// ErrSubmissionUnknown means the answer was lost: it must not be resent.
	Create(ctx context.Context, c Credential, req Request) (TaskRef, error)
	// NextStage starts the next paid stage after ref succeeded (Meshy's refine
	// after preview). It returns ok=false when the task has no further stage.
	NextStage(ctx context.Context, c Credential, req Request, ref TaskRef) (next TaskRef, ok bool, err error)
	// Status reads a task once. Safe to retry.
	Status(ctx context.Context, c Credential, ref TaskRef) (Status, error)
	// Watch follows a task until it ends or ctx is done, calling fn with each
	// update: a stream where the provider has one, polling at its pace otherwise.
	Watch(ctx context.Context, c Credential, ref TaskRef, fn func(Status)) (Status, error)
	// Fetch writes one result file to w (GLB for models: adapters convert).
	// The key is sent only where the file is on the provider's own API host.
	Fetch(ctx context.Context, c Credential, out Output, w io.Writer) (int64, error)
	// Balance asks what the key has left.
	Balance(ctx context.Context, c Credential) (Balance, error)
	// Cancel cancels or deletes the task where the API has it (ErrUnsupported otherwise).
	Cancel(ctx context.Context, c Credential, ref TaskRef) error
	// Reconcile looks for a task created by req at about created (a "submission
	// unknown" job) through the provider's list endpoint. ok=false: not found.
	Reconcile(ctx context.Context, c Credential, req Request, created time.Time) (ref TaskRef, ok bool, err error)
}
