package glb

import (
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/qmuntal/gltf"
)

// maxFuzzSeedBytes keeps the corpus seeds the fuzzer mutates small enough
// for it to run many executions per second.
const maxFuzzSeedBytes = 4 << 20

func addCorpusSeeds(f *testing.F) {
	dir, err := os.Getwd()
	if err != nil {
		return
	}
	c := filepath.Join(dir, "..", "..", "..", "shared", "glb")
	files, _ := filepath.Glob(filepath.Join(c, "*.glb"))
	for _, name := range files {
		if fi, err := os.Stat(name); err == nil && fi.Size() <= maxFuzzSeedBytes {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
}

func addGeneratedSeeds(f *testing.F) {
	for _, ct := range []gltf.ComponentType{gltf.ComponentUbyte, gltf.ComponentUshort, gltf.ComponentUint} {
		b := newBuilder()
		pos := b.floats(gltf.AccessorVec3, quadPositions...)
		idx := b.indices(ct, 0, 1, 2, 0, 2, 3)
		uv := b.floats(gltf.AccessorVec2, 0, 0, 1, 0, 1, 1, 0, 1)
		b.doc.Materials = []*gltf.Material{{PBRMetallicRoughness: &gltf.PBRMetallicRoughness{BaseColorTexture: &gltf.TextureInfo{Index: 0}}}}
		b.doc.Textures = []*gltf.Texture{{Source: gltf.Index(0)}}
		b.doc.Images = []*gltf.Image{{BufferView: gltf.Index(b.view(pngBytes(f, 2, 2, color.NRGBA{1, 2, 3, 4}), 0)), MimeType: "image/png"}}
		m := b.mesh(&gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: pos, gltf.TEXCOORD_0: uv}, Indices: gltf.Index(idx), Material: gltf.Index(0), Mode: gltf.PrimitiveMode(ct)})
		b.scene(b.node(&gltf.Node{Mesh: gltf.Index(m), Translation: [3]float64{1, 2, 3}}))
		f.Add(b.encode(f))
	}
}

// FuzzDecode: any bytes either fail with an error or give a scene the
// renderer can draw; never a panic, a hang or an oversized allocation.
func FuzzDecode(f *testing.F) {
	addGeneratedSeeds(f)
	addCorpusSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		checkScene(t, s)
		var bytes int64
		for _, p := range s.Prims {
			bytes += int64(len(p.Positions)+len(p.Normals)+len(p.UVs)+len(p.Colors)+len(p.Indices)) * 4
		}
		if limit := budgetFactor*int64(len(data)) + budgetBase; bytes > limit {
			t.Fatalf("%d bytes of geometry from a %d-byte file (limit %d)", bytes, len(data), limit)
		}
		for _, tex := range s.Textures {
			tex.Image() // decode errors are fine; waiting checks it finishes
		}
	})
}

// FuzzMeshopt drives the three meshopt codecs and the filters directly,
// seeded with the compressed streams of the corpus's meshopt files.
func FuzzMeshopt(f *testing.F) {
	dir, _ := os.Getwd()
	for _, name := range []string{"meshopt_pirate_gltfpack.glb", "web_ferrari_gltftransform_meshopt_webp.glb"} {
		data, err := os.ReadFile(filepath.Join(dir, "..", "..", "..", "shared", "glb", name))
		if err != nil {
			continue
		}
		l := testLoader(f, data)
		for _, bv := range l.doc.BufferViews {
			var e meshoptExt
			if !rawJSON(bv.Extensions, extMeshopt, &e) {
				continue
			}
			buf, err := l.buffer(e.Buffer)
			if err != nil {
				continue
			}
			src, err := slice(buf, e.ByteOffset, e.ByteLength)
			if err != nil || len(src) > 1<<16 {
				continue
			}
			mode := map[string]byte{"ATTRIBUTES": 0, "TRIANGLES": 1, "INDICES": 2}[e.Mode]
			filter := map[string]byte{"OCTAHEDRAL": 1, "QUATERNION": 2, "EXPONENTIAL": 3}[e.Filter]
			f.Add(mode, filter, uint32(e.Count), uint16(e.ByteStride), src)
		}
	}
	f.Add(byte(2), byte(0), uint32(3), uint16(2), []byte{0xd1, 0, 2, 2, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, mode, filter byte, count uint32, stride uint16, src []byte) {
		if count == 0 || stride == 0 || stride > 256 || int64(count) > (int64(len(src))*meshoptMaxRatio+4096)/int64(stride) {
			return // meshoptView rejects these before decoding
		}
		dst := make([]byte, int(count)*int(stride))
		var err error
		switch mode % 3 {
		case 0:
			if stride%4 != 0 {
				return
			}
			err = decodeMeshoptVertices(dst, int(count), int(stride), src)
		case 1:
			if count%3 != 0 {
				return
			}
			err = decodeMeshoptTriangles(dst, int(count), int(stride), src)
		default:
			err = decodeMeshoptIndices(dst, int(count), int(stride), src)
		}
		if err != nil {
			return
		}
		switch filter % 4 {
		case 1:
			filterOctahedral(dst, int(stride))
		case 2:
			filterQuaternion(dst, int(stride))
		case 3:
			filterExponential(dst, int(stride))
		}
	})
}

// FuzzAccessors builds documents whose accessors, views, sparse sections,
// modes and nodes take fuzzed values (valid JSON, hostile numbers), which
// byte-level mutation of GLB files rarely reaches.
func FuzzAccessors(f *testing.F) {
	f.Add(byte(0), byte(2), int32(4), int32(0), int32(0), int32(0), int32(48), false, byte(0), byte(4), int32(6), int32(0), int32(0), make([]byte, 64))
	f.Add(byte(2), byte(2), int32(4), int32(2), int32(8), int32(4), int32(40), true, byte(5), byte(2), int32(4), int32(2), int32(3), make([]byte, 64))
	f.Add(byte(1), byte(3), int32(3), int32(0), int32(0), int32(-1), int32(0), true, byte(6), byte(0), int32(0), int32(3), int32(1), make([]byte, 32))
	f.Fuzz(func(t *testing.T, ct, typ byte, count, offset, stride, viewOff, viewLen int32, norm bool, mode, idxCT byte, idxCount, sparseCount, nodes int32, bin []byte) {
		doc := &gltf.Document{Asset: gltf.Asset{Version: "2.0"}}
		doc.Buffers = []*gltf.Buffer{{ByteLength: len(bin)}}
		doc.BufferViews = []*gltf.BufferView{
			{ByteOffset: int(viewOff), ByteLength: int(viewLen), ByteStride: int(stride)},
			{ByteOffset: 0, ByteLength: len(bin)},
		}
		pos := &gltf.Accessor{ComponentType: gltf.ComponentType(ct % 6), Type: gltf.AccessorType(typ % 7), Count: int(count), ByteOffset: int(offset), Normalized: norm}
		if viewOff >= 0 {
			pos.BufferView = gltf.Index(0)
		}
		if sparseCount != 0 {
			pos.Sparse = &gltf.Sparse{Count: int(sparseCount), Indices: gltf.SparseIndices{BufferView: 1, ComponentType: gltf.ComponentType(idxCT % 6)}, Values: gltf.SparseValues{BufferView: 1, ByteOffset: int(offset)}}
		}
		idx := &gltf.Accessor{ComponentType: gltf.ComponentType(idxCT % 6), Type: gltf.AccessorScalar, Count: int(idxCount), BufferView: gltf.Index(1)}
		doc.Accessors = []*gltf.Accessor{pos, idx}
		prim := &gltf.Primitive{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: 0, gltf.NORMAL: 0, gltf.TEXCOORD_0: 0, gltf.COLOR_0: 0, gltf.JOINTS_0: 0, gltf.WEIGHTS_0: 0}, Mode: gltf.PrimitiveMode(mode % 7), Material: gltf.Index(0)}
		if idxCount != 0 {
			prim.Indices = gltf.Index(1)
		}
		doc.Meshes = []*gltf.Mesh{{Primitives: []*gltf.Primitive{prim}}}
		doc.Materials = []*gltf.Material{{PBRMetallicRoughness: &gltf.PBRMetallicRoughness{BaseColorTexture: &gltf.TextureInfo{Index: 0}}}}
		doc.Skins = []*gltf.Skin{{Joints: []int{0, 1, int(nodes)}, InverseBindMatrices: gltf.Index(0)}}
		// A chain of nodes, each instancing the mesh, with a loop back.
		nn := int(nodes%64+64) % 64
		for i := 0; i <= nn; i++ {
			n := &gltf.Node{Mesh: gltf.Index(0), Matrix: gltf.DefaultMatrix, Rotation: gltf.DefaultRotation, Scale: [3]float64{1, float64(i%3) - 1, 1}}
			n.Children = []int{(i + 1) % (nn + 1)}
			if i%2 == 1 {
				n.Skin = gltf.Index(0)
			}
			doc.Nodes = append(doc.Nodes, n)
		}
		s, err := newLoader(doc, bin, "", int64(len(bin))).load()
		if err != nil {
			return
		}
		checkScene(t, s)
	})
}
