package library

import (
	"sort"
	"strings"
	"time"
)

// Sort orders for Query.
type Sort string

const (
	SortNewest   Sort = "newest" // default
	SortOldest   Sort = "oldest"
	SortName     Sort = "name"     // by Title, A–Z
	SortProvider Sort = "provider" // by provider, then newest
)

// Query selects jobs for the gallery and the CLI. Zero fields do not filter.
type Query struct {
	// Text: every word must appear in the name, prompt, tags, note,
	// provider, key name or ID (case-insensitive).
	Text      string
	Provider  string
	KeyID     string
	States    []State
	From, To  time.Time // created in [From, To)
	Favourite bool      // favourites only
	Sort      Sort
	Offset    int
	Limit     int // 0: all
}

// Query returns the matching jobs' summaries in order (one page of them)
// and how many matched in all. It works from memory.
func (l *Library) Query(q Query) (page []Summary, total int) {
	words := strings.Fields(strings.ToLower(q.Text))
	var states map[State]bool
	if len(q.States) > 0 {
		states = make(map[State]bool, len(q.States))
		for _, s := range q.States {
			states[s] = true
		}
	}
	l.mu.RLock()
	hits := make([]*entry, 0, 256)
	for _, e := range l.jobs {
		s := &e.sum
		if q.Provider != "" && s.Provider != q.Provider ||
			q.KeyID != "" && s.KeyID != q.KeyID ||
			states != nil && !states[s.State] ||
			q.Favourite && !s.Favourite ||
			!q.From.IsZero() && s.Created.Before(q.From) ||
			!q.To.IsZero() && !s.Created.Before(q.To) {
			continue
		}
		if !containsAll(e.search, words) {
			continue
		}
		hits = append(hits, e)
	}
	l.mu.RUnlock()
	var less func(a, b *entry) bool
	switch q.Sort {
	case SortOldest:
		less = func(a, b *entry) bool { return olderThan(&a.sum, &b.sum) }
	case SortName:
		less = func(a, b *entry) bool {
			if a.title != b.title {
				return a.title < b.title
			}
			return olderThan(&b.sum, &a.sum)
		}
	case SortProvider:
		less = func(a, b *entry) bool {
			if a.sum.Provider != b.sum.Provider {
				return a.sum.Provider < b.sum.Provider
			}
			return olderThan(&b.sum, &a.sum)
		}
	default:
		less = func(a, b *entry) bool { return olderThan(&b.sum, &a.sum) }
	}
	sort.Slice(hits, func(i, j int) bool { return less(hits[i], hits[j]) })
	total = len(hits)
	if q.Offset > 0 {
		if q.Offset >= len(hits) {
			hits = nil
		} else {
			hits = hits[q.Offset:]
		}
	}
	if q.Limit > 0 && len(hits) > q.Limit {
		hits = hits[:q.Limit]
	}
	page = make([]Summary, len(hits))
	for i, e := range hits {
		page[i] = e.sum
	}
	return page, total
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
