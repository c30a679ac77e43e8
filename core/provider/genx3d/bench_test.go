package genx3d

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// gridSTL is a binary STL of a bumpy n×n height field (2n² triangles).
func gridSTL(n int) []byte {
	var b bytes.Buffer
	b.Write(make([]byte, 80))
	binary.Write(&b, binary.LittleEndian, uint32(2*n*n))
	p := func(i, j int) [3]float32 {
		return [3]float32{float32(i), float32(j), float32(math.Sin(float64(i)/7) * math.Cos(float64(j)/5) * 3)}
	}
	for i := range n {
		for j := range n {
			for _, t := range [2][3][3]float32{{p(i, j), p(i+1, j), p(i+1, j+1)}, {p(i, j), p(i+1, j+1), p(i, j+1)}} {
				binary.Write(&b, binary.LittleEndian, [3]float32{})
				binary.Write(&b, binary.LittleEndian, t)
				binary.Write(&b, binary.LittleEndian, uint16(0))
			}
		}
	}
	return b.Bytes()
}

// Download from the API host and convert a 50k-triangle STL to GLB.
func BenchmarkFetchSTLToGLB(b *testing.B) {
	stl := gridSTL(158) // 49,928 triangles
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(stl)))
		w.Write(stl)
	}))
	defer srv.Close()
	g, err := New(Config{BaseURL: srv.URL + "/api/v1"})
	if err != nil {
		b.Fatal(err)
	}
	outs, err := g.outputs(exportAnswer{DownloadURL: "/api/v1/files/f1", Format: "stl", FileSize: flexString(strconv.Itoa(len(stl)))}, "stl")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(stl)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Fetch(context.Background(), cred("sk-bench0000"), outs[0], io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
