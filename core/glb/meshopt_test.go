package glb

import (
	"encoding/binary"
	"math"
	"testing"
)

// Filters from appendix B, on values worked out by hand.
func TestMeshoptFilters(t *testing.T) {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, uint32(0xFE000003)) // e = −2, m = 3
	binary.LittleEndian.PutUint32(b[4:], 0x00FFFFFF)     // e = 0, m = −1
	if err := filterExponential(b, 8); err != nil {
		t.Fatal(err)
	}
	if f := math.Float32frombits(binary.LittleEndian.Uint32(b)); f != 0.75 {
		t.Errorf("exponential: %v, want 0.75", f)
	}
	if f := math.Float32frombits(binary.LittleEndian.Uint32(b[4:])); f != -1 {
		t.Errorf("exponential: %v, want -1", f)
	}

	// 90° about X: (x, y, z, w) = (√½, 0, 0, √½) with x as the dropped
	// largest component (index 0): stored y, z, w scaled by √2.
	q := make([]byte, 8)
	// The last value carries the largest component's index (0) in its low two bits.
	for k, v := range []int16{0, 0, 32767, 32764} {
		binary.LittleEndian.PutUint16(q[k*2:], uint16(v))
	}
	if err := filterQuaternion(q, 8); err != nil {
		t.Fatal(err)
	}
	var got [4]int16
	for k := range got {
		got[k] = int16(binary.LittleEndian.Uint16(q[k*2:]))
	}
	if got != [4]int16{23170, 0, 0, 23170} {
		t.Errorf("quaternion: %v, want [23170 0 0 23170]", got)
	}

	// Octahedral 8-bit: (0, 0) with one = 127 is +Z; (127, 0) is +X.
	o := []byte{0, 0, 127, 9, 127, 0, 127, 0}
	if err := filterOctahedral(o, 4); err != nil {
		t.Fatal(err)
	}
	if o[0] != 0 || o[1] != 0 || o[2] != 127 || o[3] != 9 || o[4] != 127 || o[5] != 0 || o[6] != 0 {
		t.Errorf("octahedral: %v", o)
	}
}

// Index codec (mode 2) on a hand-made stream: deltas +0, +1, +1 on
// baseline 0, then +5 on baseline 1 (which starts at 0).
func TestMeshoptIndexSequence(t *testing.T) {
	// v = (zigzag(delta) << 1) | baseline.
	enc := func(delta int32, base uint32) byte { return byte(uint32((delta<<1)^(delta>>31))<<1 | base) }
	src := []byte{meshoptIndexHeader, enc(0, 0), enc(1, 0), enc(1, 0), enc(5, 1), 0, 0, 0, 0}
	dst := make([]byte, 4*2)
	if err := decodeMeshoptIndices(dst, 4, 2, src); err != nil {
		t.Fatal(err)
	}
	var got [4]uint16
	for i := range got {
		got[i] = binary.LittleEndian.Uint16(dst[i*2:])
	}
	if got != [4]uint16{0, 1, 2, 5} {
		t.Errorf("indices %v, want [0 1 2 5]", got)
	}
	if err := decodeMeshoptIndices(dst, 4, 2, src[:len(src)-1]); err == nil {
		t.Error("truncated stream accepted")
	}
}

// A zero-delta attribute stream: header, one block of 16 elements of
// stride 4 whose byte groups are all mode 0, then the 32-byte tail holding
// the baseline element: every element equals the baseline.
func TestMeshoptAttributeBaseline(t *testing.T) {
	src := []byte{meshoptVertexHeader}
	src = append(src, 0, 0, 0, 0) // one header byte (mode 0) per byte lane
	tail := make([]byte, 32)
	copy(tail[28:], []byte{1, 2, 3, 4})
	src = append(src, tail...)
	dst := make([]byte, 16*4)
	if err := decodeMeshoptVertices(dst, 16, 4, src); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 16; i++ {
		if dst[i*4] != 1 || dst[i*4+1] != 2 || dst[i*4+2] != 3 || dst[i*4+3] != 4 {
			t.Fatalf("element %d = %v", i, dst[i*4:i*4+4])
		}
	}
	if err := decodeMeshoptVertices(dst, 16, 4, append([]byte{0xa1}, src[1:]...)); err == nil {
		t.Error("wrong header accepted")
	}
}
