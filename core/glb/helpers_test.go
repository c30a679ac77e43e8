package glb

import (
	"math"
	"testing"
)

// checkScene asserts the invariants the renderer relies on.
func checkScene(t testing.TB, s *Scene) {
	t.Helper()
	if len(s.Materials) == 0 {
		t.Fatal("no materials (the default material must be last)")
	}
	for i, p := range s.Prims {
		nv := len(p.Positions) / 3
		if len(p.Positions)%3 != 0 || nv == 0 {
			t.Fatalf("prim %d: %d position floats", i, len(p.Positions))
		}
		if len(p.Normals) != len(p.Positions) {
			t.Fatalf("prim %d: %d normal floats for %d positions", i, len(p.Normals), len(p.Positions))
		}
		for k := 0; k < len(p.Normals); k += 3 {
			l := math.Sqrt(float64(p.Normals[k]*p.Normals[k] + p.Normals[k+1]*p.Normals[k+1] + p.Normals[k+2]*p.Normals[k+2]))
			if math.Abs(l-1) > 1e-3 {
				t.Fatalf("prim %d: normal %d has length %v", i, k/3, l)
			}
		}
		if p.UVs != nil && len(p.UVs) != nv*2 {
			t.Fatalf("prim %d: %d UV floats for %d vertices", i, len(p.UVs), nv)
		}
		if p.Colors != nil && len(p.Colors) != nv*4 {
			t.Fatalf("prim %d: %d colour floats for %d vertices", i, len(p.Colors), nv)
		}
		if len(p.Indices)%3 != 0 {
			t.Fatalf("prim %d: %d indices", i, len(p.Indices))
		}
		for _, ix := range p.Indices {
			if int(ix) >= nv {
				t.Fatalf("prim %d: index %d outside %d vertices", i, ix, nv)
			}
		}
		if p.Material < 0 || p.Material >= len(s.Materials) {
			t.Fatalf("prim %d: material %d of %d", i, p.Material, len(s.Materials))
		}
		if bt := s.Materials[p.Material].BaseTexture; bt >= len(s.Textures) {
			t.Fatalf("prim %d: texture %d of %d", i, bt, len(s.Textures))
		}
	}
}
