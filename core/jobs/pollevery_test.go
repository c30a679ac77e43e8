package jobs

import "time"

// Tests see a cancel marker within 20 ms. Set once before any test starts:
// writing the variable inside a test raced (under -race) with record
// watchers that earlier tests' runners had started.
func init() { recordPollEvery = 20 * time.Millisecond }
