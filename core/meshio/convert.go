package meshio

import (
	"fmt"
	"io"
	"strings"
)

// Mesh formats ConvertToGLB reads.
const (
	FormatSTL = "stl"
	FormatOBJ = "obj"
)

// DefaultMaterial is the neutral grey given to meshes that come without one.
var DefaultMaterial = Material{Name: "default", BaseColor: [4]float32{0.7, 0.7, 0.72, 1}, Metallic: 0, Roughness: 0.6}

// ReadMesh reads a mesh in the given format (stl or obj).
func ReadMesh(r io.Reader, format string) (*Mesh, error) {
	switch strings.ToLower(format) {
	case FormatSTL:
		return ReadSTL(r)
	case FormatOBJ:
		return ReadOBJ(r)
	}
	return nil, fmt.Errorf("read mesh: format %q is not supported (stl or obj)", format)
}

// ConvertToGLB reads an STL or OBJ mesh from r and writes it to w as a GLB
// with the default material, named name. It returns the triangle count.
func ConvertToGLB(r io.Reader, format, name string, w io.Writer) (int, error) {
	m, err := ReadMesh(r, format)
	if err != nil {
		return 0, err
	}
	if err := WriteGLB(w, &Model{Name: name, Parts: []Part{{Name: name, Mesh: m, Material: DefaultMaterial}}}); err != nil {
		return 0, err
	}
	return m.Triangles(), nil
}
