package glb

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/qmuntal/gltf"
)

func quadScene(t *testing.T, ct gltf.ComponentType) *Scene {
	b := newBuilder()
	pos := b.floats(gltf.AccessorVec3, quadPositions...)
	idx := b.indices(ct, 0, 1, 2, 0, 2, 3)
	m := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos}, Indices: gltf.Index(idx)})
	b.scene(b.node(&gltf.Node{Mesh: gltf.Index(m)}))
	return b.decode(t)
}

func TestIndexComponentTypes(t *testing.T) {
	for _, ct := range []gltf.ComponentType{gltf.ComponentUbyte, gltf.ComponentUshort, gltf.ComponentUint} {
		s := quadScene(t, ct)
		if len(s.Prims) != 1 || s.Stats.Triangles != 2 || s.Stats.Vertices != 4 {
			t.Fatalf("%v: %d prims, %d triangles, %d vertices", ct, len(s.Prims), s.Stats.Triangles, s.Stats.Vertices)
		}
		if got := s.Prims[0].Indices; !slices.Equal(got, []uint32{0, 1, 2, 0, 2, 3}) {
			t.Errorf("%v: indices %v", ct, got)
		}
		// Normals are computed (none in the file) and face +Z for CCW triangles.
		for v := 0; v < 4; v++ {
			if !near3(s.Prims[0].Normals[v*3:v*3+3], 0, 0, 1) {
				t.Errorf("%v: normal %d = %v", ct, v, s.Prims[0].Normals[v*3:v*3+3])
			}
		}
		if s.Bounds != (Box{Max: [3]float32{1, 1, 0}}) {
			t.Errorf("bounds %v", s.Bounds)
		}
		if s.Prims[0].Material != len(s.Materials)-1 {
			t.Errorf("primitive without material uses %d, want the default (last)", s.Prims[0].Material)
		}
	}
}

func TestStripsFansAndUnindexed(t *testing.T) {
	cases := []struct {
		name string
		mode gltf.PrimitiveMode
		idx  []int // nil: not indexed (vertices in order 0..3 of the positions below)
		pos  []float32
		want []uint32
	}{
		{"strip", gltf.PrimitiveTriangleStrip, []int{0, 1, 3, 2}, quadPositions, []uint32{0, 1, 3, 3, 1, 2}},
		{"fan", gltf.PrimitiveTriangleFan, []int{0, 1, 2, 3}, quadPositions, []uint32{0, 1, 2, 0, 2, 3}},
		{"unindexed list", gltf.PrimitiveTriangles, nil, []float32{0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0}, []uint32{0, 1, 2, 3, 4, 5}},
		{"unindexed strip", gltf.PrimitiveTriangleStrip, nil, []float32{0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0}, []uint32{0, 1, 2, 2, 1, 3}},
	}
	for _, c := range cases {
		b := newBuilder()
		p := &gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: b.floats(gltf.AccessorVec3, c.pos...)}, Mode: c.mode}
		if c.idx != nil {
			p.Indices = gltf.Index(b.indices(gltf.ComponentUshort, c.idx...))
		}
		b.scene(b.node(&gltf.Node{Mesh: gltf.Index(b.mesh(p))}))
		s := b.decode(t)
		if len(s.Prims) != 1 || !slices.Equal(s.Prims[0].Indices, c.want) {
			t.Fatalf("%s: prims %d, indices %v, want %v", c.name, len(s.Prims), s.Prims[0].Indices, c.want)
		}
		n := s.Prims[0].Normals
		for v := 0; v < len(n)/3; v++ {
			if !near3(n[v*3:v*3+3], 0, 0, 1) {
				t.Errorf("%s: normal %d = %v (winding wrong)", c.name, v, n[v*3:v*3+3])
			}
		}
	}
}

func TestNodeTransforms(t *testing.T) {
	b := newBuilder()
	nrm := b.floats(gltf.AccessorVec3, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1)
	pos := b.floats(gltf.AccessorVec3, quadPositions...)
	idx := b.indices(gltf.ComponentUshort, 0, 1, 2, 0, 2, 3)
	withNormals := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos, gltf.NORMAL: nrm}, Indices: gltf.Index(idx)})
	noNormals := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos}, Indices: gltf.Index(idx)})
	// Child 1: TRS under a translated parent. 90° about X turns +Z into −Y.
	s2 := math.Sqrt2 / 2
	child := b.node(&gltf.Node{Mesh: gltf.Index(withNormals), Rotation: [4]float64{s2, 0, 0, s2}, Scale: [3]float64{2, 2, 2}})
	parent := b.node(&gltf.Node{Translation: [3]float64{10, 0, 0}, Children: []int{child}})
	// Child 2: a mirroring matrix (x → −x, then +20 on y): winding must flip.
	mirror := b.node(&gltf.Node{Mesh: gltf.Index(noNormals), Matrix: [16]float64{-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 20, 0, 1}})
	b.scene(parent, mirror)
	s := b.decode(t)
	if len(s.Prims) != 2 {
		t.Fatalf("%d prims", len(s.Prims))
	}
	p := s.Prims[0]
	// (1,1,0) → scale 2 → (2,2,0) → rotate about X → (2,0,2) → +10 x.
	if !near3(p.Positions[6:9], 12, 0, 2) {
		t.Errorf("TRS vertex 2 at %v, want (12,0,2)", p.Positions[6:9])
	}
	if !near3(p.Normals[0:3], 0, -1, 0) {
		t.Errorf("rotated normal %v, want (0,-1,0)", p.Normals[0:3])
	}
	m := s.Prims[1]
	if !near3(m.Positions[3:6], -1, 20, 0) {
		t.Errorf("mirrored vertex 1 at %v, want (-1,20,0)", m.Positions[3:6])
	}
	if !near3(m.Normals[0:3], 0, 0, 1) {
		t.Errorf("mirrored normal %v: winding was not flipped", m.Normals[0:3])
	}
	if !near3(s.Bounds.Min[:], -1, 0, 0) || !near3(s.Bounds.Max[:], 12, 21, 2) {
		t.Errorf("bounds %v", s.Bounds)
	}
}

func TestSparseAccessorWithoutBufferView(t *testing.T) {
	b := newBuilder()
	// All-zero POSITION with every vertex set through sparse values.
	idxView := b.view([]byte{0, 1, 2, 3}, 0)
	vals := b.floats(gltf.AccessorVec3, quadPositions...)
	valView := *b.doc.Accessors[vals].BufferView
	pos := b.accessor(-1, gltf.ComponentFloat, gltf.AccessorVec3, 4, false)
	b.doc.Accessors[pos].Sparse = &gltf.Sparse{Count: 4, Indices: gltf.SparseIndices{BufferView: idxView, ComponentType: gltf.ComponentUbyte}, Values: gltf.SparseValues{BufferView: valView}}
	idx := b.indices(gltf.ComponentUbyte, 0, 1, 2, 0, 2, 3)
	b.scene(b.node(&gltf.Node{Mesh: gltf.Index(b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos}, Indices: gltf.Index(idx)}))}))
	s := b.decode(t)
	if !slices.Equal(s.Prims[0].Positions, quadPositions) {
		t.Fatalf("positions %v", s.Prims[0].Positions)
	}
}

func TestQuantizedAttributesAndTextureTransform(t *testing.T) {
	b := newBuilder()
	// KHR_mesh_quantization: unsigned short positions (not normalised), byte
	// normals (normalised), unsigned short UVs (normalised) with a transform.
	var posBuf, nrmBuf, uvBuf []byte
	for v := 0; v < 4; v++ {
		for c := 0; c < 3; c++ {
			posBuf = binary.LittleEndian.AppendUint16(posBuf, uint16(quadPositions[v*3+c]*100))
		}
		posBuf = append(posBuf, 0, 0) // pad to 4-byte stride
		nrmBuf = append(nrmBuf, 0, 0, 127, 0)
		uvBuf = binary.LittleEndian.AppendUint16(uvBuf, uint16(quadPositions[v*3]*65535))
		uvBuf = binary.LittleEndian.AppendUint16(uvBuf, uint16(quadPositions[v*3+1]*65535))
	}
	pos := b.accessor(b.view(posBuf, 8), gltf.ComponentUshort, gltf.AccessorVec3, 4, false)
	nrm := b.accessor(b.view(nrmBuf, 4), gltf.ComponentByte, gltf.AccessorVec3, 4, true)
	uv := b.accessor(b.view(uvBuf, 0), gltf.ComponentUshort, gltf.AccessorVec2, 4, true)
	idx := b.indices(gltf.ComponentUshort, 0, 1, 2, 0, 2, 3)
	ti := &gltf.TextureInfo{Index: 0, Extensions: gltf.Extensions{extTexTransform: json.RawMessage(`{"offset":[0.5,0.25],"scale":[0.5,0.5]}`)}}
	b.doc.Materials = []*gltf.Material{{PBRMetallicRoughness: &gltf.PBRMetallicRoughness{BaseColorTexture: ti}}}
	b.doc.Textures = []*gltf.Texture{{Source: gltf.Index(0)}}
	b.doc.Images = []*gltf.Image{{BufferView: gltf.Index(b.view(pngBytes(t, 2, 2, color.NRGBA{200, 10, 10, 255}), 0)), MimeType: "image/png"}}
	b.doc.ExtensionsUsed = []string{extQuantization, extTexTransform}
	p := &gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos, gltf.NORMAL: nrm, gltf.TEXCOORD_0: uv}, Indices: gltf.Index(idx), Material: gltf.Index(0)}
	b.scene(b.node(&gltf.Node{Mesh: gltf.Index(b.mesh(p))}))
	s := b.decode(t)
	pr := s.Prims[0]
	if !near3(pr.Positions[6:9], 100, 100, 0) {
		t.Errorf("quantized position %v", pr.Positions[6:9])
	}
	if !near3(pr.Normals[0:3], 0, 0, 1) {
		t.Errorf("quantized normal %v", pr.Normals[0:3])
	}
	// UV (1,1) → scale 0.5 → offset → (1, 0.75).
	if !near(pr.UVs[4], 1) || !near(pr.UVs[5], 0.75) || !near(pr.UVs[0], 0.5) || !near(pr.UVs[1], 0.25) {
		t.Errorf("transformed UVs %v", pr.UVs)
	}
	if !slices.Equal(s.Stats.Extensions, []string{extQuantization, extTexTransform}) {
		t.Errorf("stats extensions %v", s.Stats.Extensions)
	}
}

func pngBytes(t testing.TB, w, h int, c color.NRGBA) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		img.SetNRGBA(i%w, i/w, c)
	}
	img.SetNRGBA(0, 0, color.NRGBA{1, 2, 3, 128})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMaterialsColoursAndTextures(t *testing.T) {
	b := newBuilder()
	pos := b.floats(gltf.AccessorVec3, quadPositions...)
	idx := b.indices(gltf.ComponentUshort, 0, 1, 2, 0, 2, 3)
	uv := b.floats(gltf.AccessorVec2, 0, 0, 1, 0, 1, 1, 0, 1)
	col := b.accessor(b.view([]byte{255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 0}, 0), gltf.ComponentUbyte, gltf.AccessorVec4, 4, true)
	cutoff := 0.3
	b.doc.Materials = []*gltf.Material{
		{Name: "glass", AlphaMode: gltf.AlphaBlend, DoubleSided: true, EmissiveFactor: [3]float64{0.5, 0.25, 0},
			PBRMetallicRoughness: &gltf.PBRMetallicRoughness{BaseColorFactor: &[4]float64{0.1, 0.2, 0.3, 0.4}, MetallicFactor: gltf.Float(0), RoughnessFactor: gltf.Float(0.5)},
			Extensions:           gltf.Extensions{extUnlit: json.RawMessage(`{}`)}},
		{Name: "leaf", AlphaMode: gltf.AlphaMask, AlphaCutoff: &cutoff,
			PBRMetallicRoughness: &gltf.PBRMetallicRoughness{BaseColorTexture: &gltf.TextureInfo{Index: 0}}},
	}
	b.doc.Textures = []*gltf.Texture{{Source: gltf.Index(0)}}
	b.doc.Images = []*gltf.Image{{Name: "leaf.png", BufferView: gltf.Index(b.view(pngBytes(t, 4, 2, color.NRGBA{10, 200, 30, 255}), 0)), MimeType: "image/png"}}
	m0 := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos, gltf.COLOR_0: col}, Indices: gltf.Index(idx), Material: gltf.Index(0)})
	m1 := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos, gltf.TEXCOORD_0: uv}, Indices: gltf.Index(idx), Material: gltf.Index(1)})
	b.scene(b.node(&gltf.Node{Mesh: gltf.Index(m0)}), b.node(&gltf.Node{Mesh: gltf.Index(m1)}))
	s := b.decode(t)
	if len(s.Materials) != 3 || s.Materials[2].BaseColor != [4]float32{1, 1, 1, 1} || s.Materials[2].Metallic != 1 {
		t.Fatalf("materials %+v (want 2 + default white metallic 1)", s.Materials)
	}
	g := s.Materials[0]
	if g.AlphaMode != AlphaBlend || !g.DoubleSided || !g.Unlit || g.BaseColor != [4]float32{0.1, 0.2, 0.3, 0.4} || g.Metallic != 0 || g.Roughness != 0.5 || g.Emissive != [3]float32{0.5, 0.25, 0} || g.BaseTexture != -1 {
		t.Errorf("glass material %+v", g)
	}
	l := s.Materials[1]
	if l.AlphaMode != AlphaMask || l.AlphaCutoff != float32(0.3) || l.BaseTexture != 0 || l.DoubleSided {
		t.Errorf("leaf material %+v", l)
	}
	if !slices.Equal(s.Prims[0].Colors, []float32{1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0}) {
		t.Errorf("vertex colours %v", s.Prims[0].Colors)
	}
	if s.Prims[1].UVs == nil || s.Prims[0].UVs != nil {
		t.Errorf("UVs: untextured %v, textured %v", s.Prims[0].UVs, s.Prims[1].UVs)
	}
	if len(s.Textures) != 1 {
		t.Fatalf("%d textures", len(s.Textures))
	}
	img, err := s.Textures[0].Image()
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 4 || img.Rect.Dy() != 2 || img.NRGBAAt(1, 1) != (color.NRGBA{10, 200, 30, 255}) || img.NRGBAAt(0, 0) != (color.NRGBA{1, 2, 3, 128}) {
		t.Errorf("texture %v, pixels %v %v", img.Rect, img.NRGBAAt(1, 1), img.NRGBAAt(0, 0))
	}
	if s.Textures[0].Name != "leaf.png" || s.Textures[0].MIME != "image/png" {
		t.Errorf("texture %q %q", s.Textures[0].Name, s.Textures[0].MIME)
	}
}

// TestSmoothNormalsWeldAcrossSeams folds two triangles at a right angle
// along the X axis; the edge vertices are stored twice (as at a UV seam).
// Welded, both copies get the same averaged normal.
func TestSmoothNormalsWeldAcrossSeams(t *testing.T) {
	b := newBuilder()
	pos := b.floats(gltf.AccessorVec3,
		0, 0, 0, 1, 0, 0, 0, 1, 0, // triangle in XY (normal +Z)
		0, 0, 0, 1, 0, 0, 0, 0, -1, // triangle in XZ sharing the edge (normal +Y), separate copies
	)
	b.scene(b.node(&gltf.Node{Mesh: gltf.Index(b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos}}))}))
	s := b.decode(t)
	n := s.Prims[0].Normals
	d := float32(math.Sqrt2 / 2)
	for _, v := range []int{0, 1, 3, 4} {
		if !near3(n[v*3:v*3+3], 0, d, d) {
			t.Errorf("seam vertex %d normal %v, want (0,%.3f,%.3f)", v, n[v*3:v*3+3], d, d)
		}
	}
	if !near3(n[6:9], 0, 0, 1) || !near3(n[15:18], 0, 1, 0) {
		t.Errorf("corner normals %v %v", n[6:9], n[15:18])
	}
}

// TestSkinIgnoresNodeTransform: the skinned node's own translation must be
// ignored; the joint's rest transform (times the inverse bind) places it.
func TestSkinIgnoresNodeTransform(t *testing.T) {
	b := newBuilder()
	pos := b.floats(gltf.AccessorVec3, quadPositions...)
	idx := b.indices(gltf.ComponentUshort, 0, 1, 2, 0, 2, 3)
	joints := b.accessor(b.view(make([]byte, 16), 0), gltf.ComponentUbyte, gltf.AccessorVec4, 4, false)
	weights := b.floats(gltf.AccessorVec4, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0)
	ibm := b.floats(gltf.AccessorMat4, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, -1, 0, 1) // inverse bind: y −1
	m := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos, gltf.JOINTS_0: joints, gltf.WEIGHTS_0: weights}, Indices: gltf.Index(idx)})
	joint := b.node(&gltf.Node{Translation: [3]float64{0, 5, 0}})
	armature := b.node(&gltf.Node{Translation: [3]float64{0, 0, 3}, Children: []int{joint}})
	b.doc.Skins = []*gltf.Skin{{Joints: []int{joint}, InverseBindMatrices: gltf.Index(ibm)}}
	skinned := b.node(&gltf.Node{Mesh: gltf.Index(m), Skin: gltf.Index(0), Translation: [3]float64{100, 0, 0}})
	b.scene(armature, skinned)
	s := b.decode(t)
	// vertex 2 (1,1,0): IBM → (1,0,0), joint world (0,5,3) → (1,5,3).
	if !near3(s.Prims[0].Positions[6:9], 1, 5, 3) {
		t.Errorf("skinned vertex at %v, want (1,5,3)", s.Prims[0].Positions[6:9])
	}
}

func TestDamagedPartsAreSkippedWithNotes(t *testing.T) {
	b := newBuilder()
	pos := b.floats(gltf.AccessorVec3, quadPositions...)
	good := b.indices(gltf.ComponentUshort, 0, 1, 2)
	bad := b.indices(gltf.ComponentUshort, 0, 1, 9) // index past the 4 vertices
	mGood := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos}, Indices: gltf.Index(good)})
	mBad := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos}, Indices: gltf.Index(bad)})
	mDraco := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos}, Extensions: gltf.Extensions{extDraco: json.RawMessage(`{"bufferView":0,"attributes":{"POSITION":0}}`)}})
	mLines := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos}, Mode: gltf.PrimitiveLines})
	// A node cycle (3 → 4 → 3) and a node listed twice must not hang or duplicate.
	n3 := b.node(&gltf.Node{Mesh: gltf.Index(mGood)})
	n4 := b.node(&gltf.Node{Children: []int{n3}})
	b.doc.Nodes[n3].Children = []int{n4}
	b.doc.ExtensionsRequired = []string{extDraco, "EXT_made_up"}
	b.scene(b.node(&gltf.Node{Mesh: gltf.Index(mBad)}), b.node(&gltf.Node{Mesh: gltf.Index(mDraco)}), b.node(&gltf.Node{Mesh: gltf.Index(mLines)}), n3, n3)
	s := b.decode(t)
	if len(s.Prims) != 1 || s.Stats.Triangles != 1 {
		t.Fatalf("%d prims, %d triangles; want just the good one", len(s.Prims), s.Stats.Triangles)
	}
	if len(s.Notes) != 4 {
		t.Errorf("notes %q, want 4 (one for EXT_made_up)", s.Notes)
	}
	for _, n := range []string{NoteBadPrimitive, NoteDraco, NoteNotTriangles} {
		if !hasNote(s, n) {
			t.Errorf("missing note %q in %v", n, s.Notes)
		}
	}
}

func TestDefaultSceneIsDrawn(t *testing.T) {
	b := newBuilder()
	pos := b.floats(gltf.AccessorVec3, quadPositions...)
	m := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos}, Mode: gltf.PrimitiveTriangleFan})
	b.scene(b.node(&gltf.Node{Mesh: gltf.Index(m), Translation: [3]float64{50, 0, 0}}))
	b.scene(b.node(&gltf.Node{Mesh: gltf.Index(m)}))
	s := b.decode(t) // doc.Scene = 1
	if len(s.Prims) != 1 || s.Bounds.Min[0] != 0 {
		t.Fatalf("drew %d prims, bounds %v; want scene 1 only", len(s.Prims), s.Bounds)
	}
}

// TestGLTFWithDataAndFileBuffers loads .gltf JSON whose buffer is a data: URI
// (Decode) and a file next to it (Open, with an escaped name).
func TestGLTFWithDataAndFileBuffers(t *testing.T) {
	b := newBuilder()
	pos := b.floats(gltf.AccessorVec3, quadPositions...)
	idx := b.indices(gltf.ComponentUint, 0, 1, 2, 0, 2, 3)
	b.scene(b.node(&gltf.Node{Mesh: gltf.Index(b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos}, Indices: gltf.Index(idx)}))}))
	b.doc.Buffers[0].ByteLength = len(b.bin)

	b.doc.Buffers[0].URI = "data:application/octet-stream;base64," + base64.StdEncoding.EncodeToString(b.bin)
	js, err := json.Marshal(&b.doc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Decode(js)
	if err != nil {
		t.Fatal(err)
	}
	if s.Stats.Triangles != 2 {
		t.Errorf("data URI: %d triangles", s.Stats.Triangles)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mesh data.bin"), b.bin, 0o600); err != nil {
		t.Fatal(err)
	}
	b.doc.Buffers[0].URI = "mesh%20data.bin"
	js, _ = json.Marshal(&b.doc)
	path := filepath.Join(dir, "model.gltf")
	if err := os.WriteFile(path, js, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Stats.Triangles != 2 || s.Stats.FileBytes != int64(len(js)) {
		t.Errorf("file buffer: %d triangles, %d bytes", s.Stats.Triangles, s.Stats.FileBytes)
	}
	// A buffer naming a device (endless) is refused, not read.
	b.doc.Buffers[0].URI = "../../../../../../../../dev/zero"
	js2, _ := json.Marshal(&b.doc)
	if err := os.WriteFile(path, js2, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path); err != nil || len(s.Prims) != 0 || !hasNote(s, NoteExternal) {
		t.Errorf("device buffer: err %v, notes %v", err, s.Notes)
	}
	// From memory the external buffer cannot be read: a note, not a crash.
	s, err = Decode(js)
	if err != nil || len(s.Prims) != 0 || !hasNote(s, NoteExternal) {
		t.Errorf("external buffer from memory: err %v, prims %d, notes %v", err, len(s.Prims), s.Notes)
	}
}

func TestRejectsNonGLTF(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("hello"), []byte("glTF\x02\x00\x00\x00"), []byte("{}"), []byte(`{"asset":{"version":"1.0"}}`)} {
		if _, err := Decode(in); err == nil {
			t.Errorf("Decode(%q) succeeded", in)
		}
	}
}

// TestEmissiveTextureMean: an emissive texture (here the base colour image,
// as Meshy exports it) scales the factor by its mean linear colour instead
// of glowing at full strength, and the shared image is decoded once.
func TestEmissiveTextureMean(t *testing.T) {
	b := newBuilder()
	pos := b.floats(gltf.AccessorVec3, quadPositions...)
	uv := b.floats(gltf.AccessorVec2, 0, 0, 1, 0, 1, 1, 0, 1)
	b.doc.Materials = []*gltf.Material{{
		EmissiveFactor:       [3]float64{1, 1, 0.5},
		EmissiveTexture:      &gltf.TextureInfo{Index: 0},
		PBRMetallicRoughness: &gltf.PBRMetallicRoughness{BaseColorTexture: &gltf.TextureInfo{Index: 1}},
	}}
	b.doc.Textures = []*gltf.Texture{{Source: gltf.Index(0)}, {Source: gltf.Index(0)}}
	b.doc.Images = []*gltf.Image{{BufferView: gltf.Index(b.view(pngBytes(t, 4, 2, color.NRGBA{188, 0, 255, 255}), 0)), MimeType: "image/png"}}
	m := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos, gltf.TEXCOORD_0: uv}, Material: gltf.Index(0), Mode: gltf.PrimitiveTriangleFan})
	b.scene(b.node(&gltf.Node{Mesh: gltf.Index(m)}))
	s := b.decode(t)
	if len(s.Textures) != 1 {
		t.Fatalf("%d textures, want the shared image once", len(s.Textures))
	}
	// 7 pixels (188,0,255) and one (1,2,3): sRGB 188 is 0.5 linear.
	lin := func(v uint8) float64 { return float64(srgbToLinear[v]) }
	want := [3]float64{(7*0.5 + lin(1)) / 8, (7*0 + lin(2)) / 8, (7*1 + lin(3)) / 8 * 0.5}
	for c := range want {
		if math.Abs(float64(s.Materials[0].Emissive[c])-want[c]) > 0.01 {
			t.Fatalf("emissive %v, want about %v", s.Materials[0].Emissive, want)
		}
	}
}

func TestSpecGlossAndInstancing(t *testing.T) {
	b := newBuilder()
	pos := b.floats(gltf.AccessorVec3, quadPositions...)
	b.doc.Materials = []*gltf.Material{{Extensions: gltf.Extensions{extSpecGloss: json.RawMessage(`{"diffuseFactor":[0.2,0.4,0.6,1],"glossinessFactor":0.25}`)}}}
	m := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos}, Material: gltf.Index(0), Mode: gltf.PrimitiveTriangleFan})
	tr := b.floats(gltf.AccessorVec3, 0, 0, 0, 10, 0, 0, 0, 10, 0)
	n := b.node(&gltf.Node{Mesh: gltf.Index(m), Extensions: gltf.Extensions{extInstancing: json.RawMessage(`{"attributes":{"TRANSLATION":` + itoa(tr) + `}}`)}})
	b.scene(n)
	s := b.decode(t)
	mat := s.Materials[0]
	if mat.BaseColor != [4]float32{0.2, 0.4, 0.6, 1} || mat.Metallic != 0 || mat.Roughness != 0.75 {
		t.Errorf("spec-gloss material %+v", mat)
	}
	if len(s.Prims) != 3 || !near3(s.Bounds.Max[:], 11, 11, 0) {
		t.Errorf("instancing: %d prims, bounds %v", len(s.Prims), s.Bounds)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestBigSkinnedMeshWithoutNormals covers the concurrent weld on a mesh big
// enough to use it, skinned so positions move after reading (run with -race).
func TestBigSkinnedMeshWithoutNormals(t *testing.T) {
	const n = 130 // 16900 vertices, above parallelWeldMin
	b := newBuilder()
	var pos, weights []float32
	var idx []int
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			pos = append(pos, float32(x), float32(y), 0)
			weights = append(weights, 1, 0, 0, 0)
			if x+1 < n && y+1 < n {
				v := y*n + x
				idx = append(idx, v, v+1, v+n+1, v, v+n+1, v+n)
			}
		}
	}
	p := b.floats(gltf.AccessorVec3, pos...)
	w := b.floats(gltf.AccessorVec4, weights...)
	j := b.accessor(b.view(make([]byte, n*n*4), 0), gltf.ComponentUbyte, gltf.AccessorVec4, n*n, false)
	ix := b.indices(gltf.ComponentUint, idx...)
	m := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: p, gltf.JOINTS_0: j, gltf.WEIGHTS_0: w}, Indices: gltf.Index(ix)})
	joint := b.node(&gltf.Node{Translation: [3]float64{0, 0, 7}})
	b.doc.Skins = []*gltf.Skin{{Joints: []int{joint}}}
	b.scene(joint, b.node(&gltf.Node{Mesh: gltf.Index(m), Skin: gltf.Index(0)}))
	s := b.decode(t)
	pr := s.Prims[0]
	if !near3(pr.Positions[len(pr.Positions)-3:], n-1, n-1, 7) {
		t.Errorf("last vertex %v", pr.Positions[len(pr.Positions)-3:])
	}
	for v := 0; v < n*n; v += 977 {
		if !near3(pr.Normals[v*3:v*3+3], 0, 0, 1) {
			t.Fatalf("normal %d = %v", v, pr.Normals[v*3:v*3+3])
		}
	}
}
