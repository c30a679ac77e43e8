package meshio_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qmuntal/gltf"

	"meshdrop/core/meshio"
	"meshdrop/core/meshio/meshiotest"
)

// cubeSTL is a 20 mm cube as an exporter writes it: 12 facets, zero normals.
func cubeTris() [][3][3]float32 {
	c := [8][3]float32{{0, 0, 0}, {20, 0, 0}, {20, 20, 0}, {0, 20, 0}, {0, 0, 20}, {20, 0, 20}, {20, 20, 20}, {0, 20, 20}}
	quads := [6][4]int{{0, 3, 2, 1}, {4, 5, 6, 7}, {0, 1, 5, 4}, {2, 3, 7, 6}, {1, 2, 6, 5}, {0, 4, 7, 3}}
	var tris [][3][3]float32
	for _, q := range quads {
		tris = append(tris, [3][3]float32{c[q[0]], c[q[1]], c[q[2]]}, [3][3]float32{c[q[0]], c[q[2]], c[q[3]]})
	}
	return tris
}

func asciiSTL(tris [][3][3]float32) []byte {
	var b strings.Builder
	b.WriteString("solid cube\n")
	for _, t := range tris {
		b.WriteString("  facet normal 0 0 0\n    outer loop\n")
		for _, v := range t {
			fmt.Fprintf(&b, "      vertex %g %g %g\n", v[0], v[1], v[2])
		}
		b.WriteString("    endloop\n  endfacet\n")
	}
	b.WriteString("endsolid cube\n")
	return []byte(b.String())
}

func binarySTL(tris [][3][3]float32) []byte {
	var b bytes.Buffer
	hdr := make([]byte, 80)
	copy(hdr, "solid but actually binary") // binary files may start with "solid"
	b.Write(hdr)
	binary.Write(&b, binary.LittleEndian, uint32(len(tris)))
	for _, t := range tris {
		binary.Write(&b, binary.LittleEndian, [3]float32{})
		binary.Write(&b, binary.LittleEndian, t)
		binary.Write(&b, binary.LittleEndian, uint16(0))
	}
	return b.Bytes()
}

const cubeOBJ = `# cube with shared vertices, UVs and normals on some faces only
o cube
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
v 0 0 1
v 1 0 1
v 1 1 1
v 0 1 1
vt 0 0
vt 1 0
vt 1 1
vt 0 1
f 1/1 4/4 3/3 2/2
f 5/1 6/2 7/3 8/4
f 1/1 2/2 6/3 5/4
f 3/1 4/2 8/3 7/4
f -7/1 -6/2 -2/3 -3/4
f 1/1 5/2 8/3 4/4
`

const normalsOBJ = `v 0 0 0
v 2 0 0
v 2 0 2
v 0 0 2
vn 0 5 0
f 1//1 4//1 3//1 2//1
`

func TestSTLToGLB(t *testing.T) {
	tris := cubeTris()
	for _, tc := range []struct {
		name string
		data []byte
	}{{"ascii", asciiSTL(tris)}, {"binary", binarySTL(tris)}} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			n, err := meshio.ConvertToGLB(bytes.NewReader(tc.data), "stl", "cube", &out)
			if err != nil {
				t.Fatal(err)
			}
			if n != 12 {
				t.Fatalf("converted %d triangles, want 12", n)
			}
			s, err := meshiotest.Inspect(out.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if s.Triangles != 12 || s.Min != [3]float32{0, 0, 0} || s.Max != [3]float32{20, 20, 20} {
				t.Fatalf("read back %d triangles, bounds %v–%v; want 12, 0–20", s.Triangles, s.Min, s.Max)
			}
			validate(t, out.Bytes())
		})
	}
}

func TestSTLFacetNormalsAreComputed(t *testing.T) {
	m, err := meshio.ParseSTL(asciiSTL(cubeTris()[:1])) // bottom face, wound to face -Z
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Normals {
		if n != [3]float32{0, 0, -1} {
			t.Fatalf("normal %v, want (0,0,-1)", n)
		}
	}
}

func TestSTLRejects(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":        nil,
		"garbage":      []byte("hello world, not a mesh"),
		"truncated":    binarySTL(cubeTris())[:84+50*5+7],
		"bad number":   []byte("solid x\nfacet normal 0 0 0\nouter loop\nvertex 1 2 x\n"),
		"four corners": []byte("solid x\nfacet normal 0 0 0\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nvertex 1 1 0\nendloop\nendfacet\n"),
		"nan":          []byte("solid x\nfacet normal 0 0 0\nouter loop\nvertex 0 0 nan\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\n"),
		"degenerate":   []byte("solid x\nfacet normal 0 0 0\nouter loop\nvertex 0 0 0\nvertex 1 1 1\nvertex 2 2 2\nendloop\nendfacet\nendsolid\n"),
		"no facets":    []byte("solid x\nendsolid x\n"),
	} {
		if _, err := meshio.ParseSTL(data); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestOBJToGLB(t *testing.T) {
	var out bytes.Buffer
	n, err := meshio.ConvertToGLB(strings.NewReader(cubeOBJ), "obj", "cube", &out)
	if err != nil {
		t.Fatal(err)
	}
	if n != 12 {
		t.Fatalf("converted %d triangles, want 12 (6 quads as fans)", n)
	}
	s, err := meshiotest.Inspect(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if s.Triangles != 12 || s.Min != [3]float32{0, 0, 0} || s.Max != [3]float32{1, 1, 1} || !s.HasUVs {
		t.Fatalf("read back %+v", s)
	}
	validate(t, out.Bytes())
}

func TestOBJSharedNormalsAreNormalised(t *testing.T) {
	m, err := meshio.ParseOBJ([]byte(normalsOBJ))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Positions) != 4 || m.Triangles() != 2 {
		t.Fatalf("%d vertices, %d triangles; want 4 shared, 2", len(m.Positions), m.Triangles())
	}
	if m.Normals[0] != [3]float32{0, 1, 0} {
		t.Fatalf("normal %v, want unit +Y", m.Normals[0])
	}
}

func TestOBJRejects(t *testing.T) {
	for name, src := range map[string]string{
		"no faces":       "v 0 0 0\nv 1 0 0\nv 0 1 0\n",
		"index too high": "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n",
		"index zero":     "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n",
		"two corners":    "v 0 0 0\nv 1 0 0\nf 1 2\n",
		"bad vertex":     "v 0 zero 0\n",
		"bad uv index":   "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/2 2/1 3/1\n",
		"degenerate":     "v 0 0 0\nv 1 1 1\nv 2 2 2\nf 1 2 3\n",
		"infinite":       "v 0 0 0\nv 1 0 0\nv 0 1e39 0\nf 1 2 3\n",
	} {
		if _, err := meshio.ParseOBJ([]byte(src)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

// texturedModel is a quad with a checker PNG and a big grid part that needs
// 32-bit indices.
func texturedModel(t testing.TB) *meshio.Model {
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			v := uint8(40 + 180*((x/4+y/4)%2))
			img.Set(x, y, color.NRGBA{v, v / 2, 200, 255})
		}
	}
	var pngb bytes.Buffer
	if err := png.Encode(&pngb, img); err != nil {
		t.Fatal(err)
	}
	quad := &meshio.Mesh{
		Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}},
		UVs:       [][2]float32{{0, 1}, {1, 1}, {1, 0}, {0, 0}},
		Indices:   []uint32{0, 1, 2, 0, 2, 3, 0, 0, 1}, // the last triangle is degenerate: dropped
	}
	const n = 300 // 90 000 vertices > 65 535
	grid := &meshio.Mesh{}
	for y := range n {
		for x := range n {
			grid.Positions = append(grid.Positions, [3]float32{float32(x) / n, float32(math.Sin(float64(x*y))) * 0.01, float32(y) / n})
			grid.UVs = append(grid.UVs, [2]float32{float32(x) / n, float32(y) / n})
		}
	}
	for y := range n - 1 {
		for x := range n - 1 {
			i := uint32(y*n + x)
			grid.Indices = append(grid.Indices, i, i+n, i+1, i+1, i+n, i+n+1)
		}
	}
	mat := meshio.Material{Name: "checker", BaseColor: [4]float32{1, 1, 1, 1}, Roughness: 0.5, TexturePNG: pngb.Bytes()}
	return &meshio.Model{Name: "test", Parts: []meshio.Part{
		{Name: "quad", Mesh: quad, Material: mat, Translation: [3]float32{2, 0, 0}},
		{Name: "grid", Mesh: grid, Material: mat},
	}}
}

func TestWriteGLBTexturedRoundTrip(t *testing.T) {
	m := texturedModel(t)
	glb, err := meshio.EncodeGLB(m)
	if err != nil {
		t.Fatal(err)
	}
	s, err := meshiotest.Inspect(glb)
	if err != nil {
		t.Fatal(err)
	}
	want := 2 + 2*299*299
	if s.Triangles != want {
		t.Fatalf("%d triangles, want %d", s.Triangles, want)
	}
	if len(s.Images) != 1 || s.Images[0].Bounds().Dx() != 16 {
		t.Fatalf("%d images; want the shared checker once", len(s.Images))
	}
	if s.Max[0] != 3 || s.Min[0] != 0 {
		t.Fatalf("x bounds %v–%v, want 0–3 (quad translated by 2)", s.Min[0], s.Max[0])
	}
	if len(m.Parts[0].Mesh.Indices) != 9 {
		t.Fatal("WriteGLB changed the caller's indices")
	}
	validate(t, glb)
}

func TestWriteGLBRejectsBadInput(t *testing.T) {
	good := func() *meshio.Mesh {
		return &meshio.Mesh{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}, Indices: []uint32{0, 1, 2}}
	}
	cases := map[string]func(*meshio.Model){
		"no parts":    func(m *meshio.Model) { m.Parts = nil },
		"index range": func(m *meshio.Model) { m.Parts[0].Mesh.Indices[2] = 3 },
		"nan":         func(m *meshio.Model) { m.Parts[0].Mesh.Positions[1][0] = float32(math.NaN()) },
		"uv count":    func(m *meshio.Model) { m.Parts[0].Mesh.UVs = [][2]float32{{0, 0}} },
		"colour > 1":  func(m *meshio.Model) { m.Parts[0].Material.BaseColor[0] = 2 },
		"not png": func(m *meshio.Model) {
			m.Parts[0].Material.TexturePNG = []byte("GIF89a")
			m.Parts[0].Mesh.UVs = make([][2]float32, 3)
		},
		"degenerate":   func(m *meshio.Model) { m.Parts[0].Mesh.Positions[2] = [3]float32{2, 0, 0} },
		"partial tris": func(m *meshio.Model) { m.Parts[0].Mesh.Indices = m.Parts[0].Mesh.Indices[:2] },
	}
	for name, breakIt := range cases {
		m := &meshio.Model{Parts: []meshio.Part{{Name: "p", Mesh: good(), Material: meshio.DefaultMaterial}}}
		breakIt(m)
		if _, err := meshio.EncodeGLB(m); err == nil {
			t.Errorf("%s: encoded without error", name)
		}
	}
}

func validate(t *testing.T, glb []byte) {
	t.Helper()
	check := meshiotest.Validator(t)
	p := filepath.Join(t.TempDir(), "out.glb")
	if err := os.WriteFile(p, glb, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, r := range check(p) {
		if r.NumErrors != 0 {
			t.Errorf("glTF validator: %s", r)
		}
	}
}

// TestValidatorCatchesErrors proves the validator harness can fail: a GLB
// whose position bounds lie must come back with errors.
func TestValidatorCatchesErrors(t *testing.T) {
	check := meshiotest.Validator(t)
	doc, err := meshio.Build(texturedModel(t))
	if err != nil {
		t.Fatal(err)
	}
	doc.Accessors[0].Max = []float64{9, 9, 9}
	var b bytes.Buffer
	if err := gltf.NewEncoder(&b).Encode(doc); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "bad.glb")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	r := check(p)[0]
	if r.NumErrors == 0 {
		t.Fatalf("validator found no error in a GLB with wrong bounds: %s", r)
	}
}
