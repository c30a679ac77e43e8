package glb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkOpen loads each corpus file: "geometry" is Open alone (textures
// keep decoding in the background), "textured" also waits for every
// texture, which is what a thumbnail needs before drawing.
func BenchmarkOpen(b *testing.B) {
	dir := corpusDir(b)
	files, _ := filepath.Glob(filepath.Join(dir, "*.glb"))
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".glb")
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/geometry", func(b *testing.B) {
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				s, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				for _, t := range s.Textures {
					t.Image() // don't let background decodes pile up
				}
				b.StartTimer()
			}
		})
		b.Run(name+"/textured", func(b *testing.B) {
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				s, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				for _, t := range s.Textures {
					t.Image()
				}
			}
		})
	}
}

// reportCPU adds cpu-ms/op: the process's CPU time (all goroutines) per
// operation, which stays meaningful when a shared machine is busy and
// wall-clock ns/op is not.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/1e6/float64(b.N), "cpu-ms/op")
		}
	}
}
