package library

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"meshdrop/core/fsutil"
)

// Budget is a key's optional credit caps; 0 means no cap.
type Budget struct {
	PerJob float64 `json:"per_job,omitempty"`
	PerDay float64 `json:"per_day,omitempty"` // the local calendar day
}

// budgetFile is budgets.json's shape.
type budgetFile struct {
	Version int               `json:"version"`
	Keys    map[string]Budget `json:"keys"`
}

// ErrOverBudget matches every *BudgetError (errors.Is).
var ErrOverBudget = errors.New("over budget")

// BudgetError is a job refused by a key's budget before anything was sent.
type BudgetError struct {
	KeyID    string
	Estimate float64 // the job's estimated credits
	Cap      float64
	Daily    bool    // the per-day cap (else per-job)
	Spent    float64 // credits already counted today (per-day cap)
}

func (e *BudgetError) Error() string {
	if e.Daily {
		return fmt.Sprintf("refused before sending: this job's estimate of %s credits on top of %s spent today would pass key %s's per-day cap of %s credits; raise the cap in the key's budget or wait until tomorrow",
			num(e.Estimate), num(e.Spent), e.KeyID, num(e.Cap))
	}
	return fmt.Sprintf("refused before sending: this job's estimate of %s credits is over key %s's per-job cap of %s credits; choose cheaper options or raise the cap in the key's budget",
		num(e.Estimate), e.KeyID, num(e.Cap))
}

// Is makes errors.Is(err, ErrOverBudget) true.
func (e *BudgetError) Is(target error) bool { return target == ErrOverBudget }

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (l *Library) budgetPath() string { return filepath.Join(l.dir, BudgetFile) }

// loadBudgets reads budgets.json; a damaged one is moved aside and
// reported, and the caps from Config apply.
func (l *Library) loadBudgets() {
	p := l.budgetPath()
	data, err := os.ReadFile(p)
	if err != nil {
		return
	}
	var f budgetFile
	if err = json.Unmarshal(data, &f); err == nil && f.Version != 1 {
		err = fmt.Errorf("unknown budgets version %d", f.Version)
	}
	if err == nil {
		for k, b := range f.Keys {
			if b.PerJob < 0 || b.PerDay < 0 {
				err = fmt.Errorf("negative cap for key %s", k)
			}
		}
	}
	if err != nil {
		l.quarantineLocked("", p, fmt.Errorf("%v; the budgets from settings apply until they are set again", err))
		return
	}
	l.budgets = f.Keys
}

// Budget returns a key's caps (budgets.json first, then Config.Budgets).
func (l *Library) Budget(keyID string) Budget {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if b, ok := l.budgets[keyID]; ok {
		return b
	}
	return l.cfg.Budgets[keyID]
}

// SetBudget stores a key's caps in budgets.json (zero caps remove them).
func (l *Library) SetBudget(keyID string, b Budget) error {
	if b.PerJob < 0 || b.PerDay < 0 {
		return errors.New("a credit cap cannot be negative")
	}
	if err := l.beginWrite(); err != nil {
		return fmt.Errorf("could not save the budget for key %s: %w", keyID, err)
	}
	defer l.endWrite()
	l.mu.Lock()
	next := make(map[string]Budget, len(l.budgets)+1)
	for k, v := range l.budgets {
		next[k] = v
	}
	next[keyID] = b
	data, err := json.MarshalIndent(budgetFile{Version: 1, Keys: next}, "", "  ")
	if err == nil {
		err = fsutil.WriteFileAtomic(l.budgetPath(), append(data, '\n'), 0o600)
	}
	if err == nil {
		l.budgets = next
	}
	l.mu.Unlock()
	if err != nil {
		return fmt.Errorf("could not save the budget for key %s: %w", keyID, err)
	}
	return nil
}

// SpentToday is the credits counted against a key today (local calendar
// day): credits reported by the provider, or, for jobs sent (or maybe sent:
// submitting, unknown) and not yet reporting any, their estimate. Drafts
// are not counted: nothing was sent, and the runner checks a draft's own
// estimate on top of this right before sending it.
func (l *Library) SpentToday(keyID string) float64 {
	now := l.cfg.Now()
	y, m, d := now.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	end := start.AddDate(0, 0, 1)
	l.mu.RLock()
	defer l.mu.RUnlock()
	var sum float64
	for _, e := range l.jobs {
		s := &e.sum
		if s.KeyID != keyID || s.Created.Before(start) || !s.Created.Before(end) {
			continue
		}
		switch {
		case s.Credits > 0:
			sum += s.Credits
		case s.State != StateDraft && (!s.State.Finished() || s.State == StateUnknown):
			sum += s.Estimate // may still be charged
		}
	}
	return sum
}

// CheckBudget refuses a job whose estimate would pass the key's per-job
// cap, or its per-day cap on top of what was spent today (*BudgetError).
func (l *Library) CheckBudget(keyID string, estimate float64) error {
	b := l.Budget(keyID)
	if b.PerJob > 0 && estimate > b.PerJob {
		return &BudgetError{KeyID: keyID, Estimate: estimate, Cap: b.PerJob}
	}
	if b.PerDay > 0 {
		spent := l.SpentToday(keyID)
		if spent+estimate > b.PerDay {
			return &BudgetError{KeyID: keyID, Estimate: estimate, Cap: b.PerDay, Daily: true, Spent: spent}
		}
	}
	return nil
}
