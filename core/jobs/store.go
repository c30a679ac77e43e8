package jobs

import (
	"io"

	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
)

// Store is what the runner needs from the library. The library keeps the
// facts (one job record per job, its files, the history); the runner decides
// what happens next. core/app adapts the library to this interface.
type Store interface {
	// Put writes a job's record atomically (create or update). The runner
	// calls it before every action the new state guards.
	Put(j library.Job) error
	// Get reads one job's record; ErrNoJob when there is none.
	Get(id string) (library.Job, error)
	// List returns every job's record.
	List() ([]library.Job, error)
	// AddInput copies an input image into the job's folder and returns its entry.
	AddInput(jobID, name, slot, mime string, data []byte) (library.Input, error)
	// ReadInput returns an input image's bytes (to rebuild a request on resume).
	ReadInput(jobID string, in library.Input) ([]byte, error)
	// SaveOutput writes one result file through write into a temporary file in
	// the job's folder, checks it (size, GLB header and length for models,
	// sha256) and renames it to name. A failed check leaves nothing behind.
	SaveOutput(jobID, name, kind, format string, write func(w io.Writer) (int64, error)) (library.File, error)
	// Thumbnail renders the job's thumbnail from its model and returns its entry.
	Thumbnail(jobID string) (library.File, error)
	// CheckBudget refuses a job that would break the key's per-job or per-day
	// credit cap. The error says the estimate and the cap.
	CheckBudget(keyID string, estimate float64) error
}

// ErrNoJob is returned by Store.Get for an ID it does not know: the
// library's value, so errors.Is works across the seam.
var ErrNoJob = library.ErrNoJob

// The library is the Store the application uses.
var _ Store = (*library.Library)(nil)

// KeySource is the part of the key vault the runner uses: metadata to choose
// a key, and the secret fetched each time a request needs it (never stored).
// *keys.Vault satisfies it.
type KeySource interface {
	Get(id string) (keys.Key, bool)
	Find(provider, name string) (keys.Key, bool)
	ForProvider(provider string) []keys.Key
	Secret(id string) (keys.Secret, error)
}

// Estimator is implemented by providers that can price a request before it
// is sent; the runner hands the estimate to the budget check. Providers
// without a published price table estimate 0 and budgets see only credits
// actually reported.
type Estimator interface {
	Estimate(req provider.Request) float64
}
