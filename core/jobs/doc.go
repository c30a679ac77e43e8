// Package jobs drives generations as durable jobs: it records each step in the
// job's record before taking it (so a crash never sends a paid create twice),
// runs a worker pool per provider within its concurrency and rate limits,
// follows tasks to the end, downloads and checks the results into the
// library, and publishes throttled updates to the window and the command line.
// It knows providers only through provider.Provider and the library only
// through the small Store interface.
package jobs
