package library

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"meshdrop/core/provider"
)

const benchJobs = 10000

// benchRecord is a realistic finished job: two stages with remote URLs,
// two outputs, an input, options, tags.
func benchRecord(i int) Job {
	j := testJob(i)
	j.Schema = SchemaVersion
	j.Finished = j.Updated
	j.Inputs = []Input{{File: "input-1-photo.png", Slot: "front", SHA256: j.Outputs[0].SHA256, Size: 123456, MIME: "image/png"}}
	j.Stages = []Stage{
		{Name: "preview", Ref: provider.TaskRef{ID: "0193a5b2-7c1d-7e2f-9a3b-4c5d6e7f8a9b", Stage: "preview"}, State: provider.StateSucceeded,
			Submitted: j.Created, Accepted: j.Created.Add(time.Second),
			Remote: []provider.Output{{Kind: "model", Format: "glb", Name: "model.glb", URL: "https://assets.meshy.ai/abc/output/model.glb?Expires=1763900000&Signature=AbCdEfGhIjKlMnOp"}}},
		{Name: "refine", Ref: provider.TaskRef{ID: "0193a5b2-7c1d-7e2f-9a3b-4c5d6e7f8a9c", Stage: "refine"}, State: provider.StateSucceeded,
			Submitted: j.Created.Add(time.Minute), Accepted: j.Created.Add(time.Minute + time.Second)},
	}
	j.Outputs = append(j.Outputs, File{Kind: KindThumbnail, Format: "png", File: ThumbnailFile, Size: 20000, SHA256: j.Outputs[0].SHA256})
	return j
}

// buildBenchLibrary writes n job folders directly (no fsync: only the
// reading side is measured on this fixture) and opens it once so the
// index exists.
func buildBenchLibrary(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	for i := range n {
		j := benchRecord(i)
		data, _ := json.MarshalIndent(j, "", "  ")
		os.MkdirAll(filepath.Join(dir, j.ID), 0o700)
		if err := os.WriteFile(filepath.Join(dir, j.ID, JobFile), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	l, err := Open(dir, Config{})
	if err != nil || l.Len() != n {
		b.Fatalf("fixture: %v, %d jobs", err, l.Len())
	}
	l.Close()
	return dir
}

// BenchmarkOpen10k: open a library of 10,000 jobs with an up-to-date index
// (the normal start). Reports the heap the open library holds.
func BenchmarkOpen10k(b *testing.B) {
	dir := buildBenchLibrary(b, benchJobs)
	var keep *Library
	b.ResetTimer()
	for b.Loop() {
		l, err := Open(dir, Config{})
		if err != nil || l.Len() != benchJobs {
			b.Fatal(err)
		}
		keep = l
	}
	b.StopTimer()
	reportHeap(b, func() any { return keep })
}

// BenchmarkOpen10kRebuild: open with the index missing (first start after
// an upgrade, or a lost index): every job.json is read.
func BenchmarkOpen10kRebuild(b *testing.B) {
	dir := buildBenchLibrary(b, benchJobs)
	for b.Loop() {
		os.Remove(filepath.Join(dir, IndexFile))
		l, err := Open(dir, Config{})
		if err != nil || l.Len() != benchJobs {
			b.Fatal(err)
		}
	}
}

// BenchmarkQuery10k: a gallery search with a filter and the default sort,
// first page.
func BenchmarkQuery10k(b *testing.B) {
	l, _ := Open(buildBenchLibrary(b, benchJobs), Config{})
	defer l.Close()
	for b.Loop() {
		page, total := l.Query(Query{Text: "chair item12", Provider: "meshy", Limit: 60})
		if total == 0 || len(page) == 0 {
			b.Fatal("no hits")
		}
	}
}

// BenchmarkQueryAll10k: everything, sorted by name (the worst sort).
func BenchmarkQueryAll10k(b *testing.B) {
	l, _ := Open(buildBenchLibrary(b, benchJobs), Config{})
	defer l.Close()
	for b.Loop() {
		if _, total := l.Query(Query{Sort: SortName, Limit: 60}); total != benchJobs {
			b.Fatal(total)
		}
	}
}

// BenchmarkPut10k: one update (atomic write with fsync) in a library of
// 10,000 jobs.
func BenchmarkPut10k(b *testing.B) {
	l, _ := Open(buildBenchLibrary(b, benchJobs), Config{})
	defer l.Close()
	j := benchRecord(5000)
	for b.Loop() {
		j.Progress++
		if err := l.Put(j); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndexWrite10k: writing the index of 10,000 jobs (done in the
// background a moment after changes).
func BenchmarkIndexWrite10k(b *testing.B) {
	l, _ := Open(buildBenchLibrary(b, benchJobs), Config{})
	defer l.Close()
	for b.Loop() {
		l.mu.Lock()
		l.dirty = true
		l.mu.Unlock()
		if err := l.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

func reportHeap(b *testing.B, hold func() any) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	before := m.HeapAlloc
	_ = before
	v := hold()
	runtime.GC()
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapAlloc)/(1<<20), "MB-heap-total")
	runtime.KeepAlive(v)
}

// BenchmarkList10k: every full record (the runner reads them on start).
func BenchmarkList10k(b *testing.B) {
	l, _ := Open(buildBenchLibrary(b, benchJobs), Config{})
	defer l.Close()
	for b.Loop() {
		all, err := l.List()
		if err != nil || len(all) != benchJobs {
			b.Fatal(err, len(all))
		}
	}
}

// BenchmarkUnfinished10k: the unfinished jobs (here 1%) of 10,000.
func BenchmarkUnfinished10k(b *testing.B) {
	l, _ := Open(buildBenchLibrary(b, benchJobs), Config{})
	defer l.Close()
	for i := 0; i < benchJobs; i += 100 {
		j := benchRecord(i)
		j.State = StateRunning
		l.Put(j)
	}
	for b.Loop() {
		un, err := l.Unfinished()
		if err != nil || len(un) != benchJobs/100 {
			b.Fatal(err, len(un))
		}
	}
}

// BenchmarkRefresh10k: looking for another process's changes when there
// are none.
func BenchmarkRefresh10k(b *testing.B) {
	l, _ := Open(buildBenchLibrary(b, benchJobs), Config{})
	defer l.Close()
	for b.Loop() {
		if n, err := l.Refresh(); err != nil || n != 0 {
			b.Fatal(n, err)
		}
	}
}
