package glb

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/qmuntal/gltf"
)

// glbBuilder assembles small GLB files byte by byte so tests control every
// detail (component types, strides, sparse sections, modes, transforms).
type glbBuilder struct {
	doc gltf.Document
	bin []byte
}

func newBuilder() *glbBuilder {
	b := &glbBuilder{}
	b.doc.Asset.Version = "2.0"
	b.doc.Buffers = []*gltf.Buffer{{}}
	return b
}

// view appends data (4-byte aligned) as a buffer view.
func (b *glbBuilder) view(data []byte, stride int) int {
	for len(b.bin)%4 != 0 {
		b.bin = append(b.bin, 0)
	}
	b.doc.BufferViews = append(b.doc.BufferViews, &gltf.BufferView{Buffer: 0, ByteOffset: len(b.bin), ByteLength: len(data), ByteStride: stride})
	b.bin = append(b.bin, data...)
	return len(b.doc.BufferViews) - 1
}

func (b *glbBuilder) accessor(view int, ct gltf.ComponentType, typ gltf.AccessorType, count int, norm bool) int {
	a := &gltf.Accessor{ComponentType: ct, Type: typ, Count: count, Normalized: norm}
	if view >= 0 {
		a.BufferView = gltf.Index(view)
	}
	b.doc.Accessors = append(b.doc.Accessors, a)
	return len(b.doc.Accessors) - 1
}

func (b *glbBuilder) floats(typ gltf.AccessorType, v ...float32) int {
	buf := make([]byte, len(v)*4)
	for i, f := range v {
		binary.LittleEndian.PutUint32(buf[i*4:], math.Float32bits(f))
	}
	return b.accessor(b.view(buf, 0), gltf.ComponentFloat, typ, len(v)/componentCount(typ), false)
}

func (b *glbBuilder) indices(ct gltf.ComponentType, idx ...int) int {
	size := componentSize(ct)
	buf := make([]byte, len(idx)*size)
	for i, v := range idx {
		switch size {
		case 1:
			buf[i] = byte(v)
		case 2:
			binary.LittleEndian.PutUint16(buf[i*2:], uint16(v))
		default:
			binary.LittleEndian.PutUint32(buf[i*4:], uint32(v))
		}
	}
	return b.accessor(b.view(buf, 0), ct, gltf.AccessorScalar, len(idx), false)
}

// mesh adds a one-primitive mesh and returns its index.
func (b *glbBuilder) mesh(p *gltf.Primitive) int {
	b.doc.Meshes = append(b.doc.Meshes, &gltf.Mesh{Primitives: []*gltf.Primitive{p}})
	return len(b.doc.Meshes) - 1
}

// node adds a node and returns its index.
func (b *glbBuilder) node(n *gltf.Node) int {
	if n.Matrix == ([16]float64{}) {
		n.Matrix = gltf.DefaultMatrix
	}
	if n.Rotation == ([4]float64{}) {
		n.Rotation = gltf.DefaultRotation
	}
	if n.Scale == ([3]float64{}) {
		n.Scale = gltf.DefaultScale
	}
	b.doc.Nodes = append(b.doc.Nodes, n)
	return len(b.doc.Nodes) - 1
}

func (b *glbBuilder) scene(roots ...int) {
	b.doc.Scenes = append(b.doc.Scenes, &gltf.Scene{Nodes: roots})
	b.doc.Scene = gltf.Index(len(b.doc.Scenes) - 1)
}

func (b *glbBuilder) encode(t testing.TB) []byte {
	t.Helper()
	b.doc.Buffers[0].ByteLength = len(b.bin)
	b.doc.Buffers[0].Data = b.bin
	var out bytes.Buffer
	enc := gltf.NewEncoder(&out)
	enc.AsBinary = true
	if err := enc.Encode(&b.doc); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func (b *glbBuilder) decode(t testing.TB) *Scene {
	t.Helper()
	s, err := Decode(b.encode(t))
	if err != nil {
		t.Fatal(err)
	}
	checkScene(t, s)
	return s
}

// quadPositions is a unit square in the XY plane: 4 vertices.
var quadPositions = []float32{0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0}

func near(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-4 }

func near3(a []float32, b ...float32) bool {
	return len(a) == len(b) && near(a[0], b[0]) && near(a[1], b[1]) && near(a[2], b[2])
}
