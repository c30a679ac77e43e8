package meshio_test

import (
	"testing"

	"meshdrop/core/meshio"
)

// checkParsed asserts what every successful parse promises: a mesh the GLB
// writer accepts.
func checkParsed(t *testing.T, m *meshio.Mesh) {
	if err := m.Check(); err != nil {
		t.Fatalf("parser returned a broken mesh: %v", err)
	}
	if _, err := meshio.EncodeGLB(&meshio.Model{Parts: []meshio.Part{{Mesh: m, Material: meshio.DefaultMaterial}}}); err != nil {
		t.Fatalf("parsed mesh does not encode: %v", err)
	}
}

func FuzzParseSTL(f *testing.F) {
	f.Add(asciiSTL(cubeTris()))
	f.Add(binarySTL(cubeTris()[:3]))
	f.Add([]byte("solid x\nfacet normal 0 0 0\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := meshio.ParseSTL(data)
		if err != nil {
			return
		}
		checkParsed(t, m)
	})
}

func FuzzParseOBJ(f *testing.F) {
	f.Add([]byte(cubeOBJ))
	f.Add([]byte(normalsOBJ))
	f.Add([]byte("v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\nf 1/1/1 2/1/1 3/1/1\nf -3 -2 -1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := meshio.ParseOBJ(data)
		if err != nil {
			return
		}
		checkParsed(t, m)
	})
}
