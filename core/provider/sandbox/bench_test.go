package sandbox

import (
	"io"
	"os"
	"testing"

	"meshdrop/core/meshio"
)

func benchText(b *testing.B, prompt, detail string) {
	b.ReportAllocs()
	var size int
	for i := 0; b.Loop(); i++ {
		m, err := TextModel(prompt, uint64(i), detail)
		if err != nil {
			b.Fatal(err)
		}
		glb, err := meshio.EncodeGLB(m)
		if err != nil {
			b.Fatal(err)
		}
		size = len(glb)
	}
	b.ReportMetric(float64(size), "glb-bytes")
}

// A prompt to a GLB in memory, at each detail level.
func BenchmarkTextGLBLow(b *testing.B)    { benchText(b, "a red wooden cube", DetailLow) }
func BenchmarkTextGLBMedium(b *testing.B) { benchText(b, "a red wooden cube", DetailMedium) }
func BenchmarkTextGLBHigh(b *testing.B)   { benchText(b, "a red wooden cube", DetailHigh) }

// Four items, the most a prompt makes.
func BenchmarkTextGLBFourItems(b *testing.B) {
	benchText(b, "a marble torus, a steel cone, a glass sphere and a stone blob", DetailMedium)
}

// A 640×480 image to a relief GLB.
func BenchmarkReliefGLB(b *testing.B) {
	data := pngBytes(b, 640, 480)
	b.ReportAllocs()
	for b.Loop() {
		m, err := ReliefModel(data, "bench", DetailMedium)
		if err != nil {
			b.Fatal(err)
		}
		if err := meshio.WriteGLB(io.Discard, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReliefWebP(b *testing.B) {
	data, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m, err := ReliefModel(data, "bench", DetailMedium)
		if err != nil {
			b.Fatal(err)
		}
		if err := meshio.WriteGLB(io.Discard, m); err != nil {
			b.Fatal(err)
		}
	}
}
