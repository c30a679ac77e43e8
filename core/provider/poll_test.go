package provider

import (
	"context"
	"testing"
	"time"
)

// script is a status func that answers the readings in order.
func script(readings ...Status) func(context.Context) (Status, error) {
	i := 0
	return func(context.Context) (Status, error) {
		st := readings[min(i, len(readings)-1)]
		i++
		return st, nil
	}
}

var repeated = []Status{
	{State: StateQueued, QueuePosition: 2},
	{State: StateQueued, QueuePosition: 2},
	{State: StateQueued, QueuePosition: 1},
	{State: StateRunning, Progress: 10},
	{State: StateRunning, Progress: 10},
	{State: StateRunning, Progress: 60},
	{State: StateSucceeded, Progress: 100},
}

func TestPollReportsEveryReadingByDefault(t *testing.T) {
	var seen []Status
	st, err := Poll(context.Background(), time.Millisecond, script(repeated...), func(s Status) { seen = append(seen, s) })
	if err != nil || st.State != StateSucceeded {
		t.Fatalf("%+v %v", st, err)
	}
	if len(seen) != len(repeated) {
		t.Fatalf("fn saw %d readings, want all %d", len(seen), len(repeated))
	}
}

func TestPollReportChangesSkipsRepeats(t *testing.T) {
	var seen []Status
	st, err := Poll(context.Background(), time.Millisecond, script(repeated...), func(s Status) { seen = append(seen, s) }, ReportChanges())
	if err != nil || st.State != StateSucceeded {
		t.Fatalf("%+v %v", st, err)
	}
	want := []Status{repeated[0], repeated[2], repeated[3], repeated[5], repeated[6]}
	if len(seen) != len(want) {
		t.Fatalf("fn saw %+v, want %+v", seen, want)
	}
	for i := range want {
		if seen[i].State != want[i].State || seen[i].Progress != want[i].Progress || seen[i].QueuePosition != want[i].QueuePosition {
			t.Fatalf("reading %d: %+v, want %+v", i, seen[i], want[i])
		}
	}
}

// A change is measured against the last reading reported, not the last one
// read: a failed read in between does not make a repeat look new.
func TestPollReportChangesAcrossAFailure(t *testing.T) {
	n := 0
	status := func(context.Context) (Status, error) {
		n++
		switch n {
		case 2:
			return Status{}, &Error{Kind: ErrUnavailable, Provider: "Test"}
		case 1, 3:
			return Status{State: StateRunning, Progress: 40}, nil
		}
		return Status{State: StateSucceeded, Progress: 100}, nil
	}
	var seen []Status
	if _, err := Poll(context.Background(), time.Millisecond, status, func(s Status) { seen = append(seen, s) }, ReportChanges()); err != nil {
		t.Fatal(err)
	}
	if n != 4 || len(seen) != 2 || seen[0].Progress != 40 || seen[1].State != StateSucceeded {
		t.Fatalf("reads %d, reported %+v", n, seen)
	}
}
