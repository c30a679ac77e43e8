package glb

import "testing"

// TestNormalsUnderNonUniformScale: normals use the inverse transpose, so a
// surface stretched along Y tilts its normal towards X; a mirror keeps it
// pointing out of the (flipped) surface.
func TestNormalsUnderNonUniformScale(t *testing.T) {
	n := []float32{0.70710677, 0.70710677, 0}
	scaleY2 := [16]float64{1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
	transformNormals(n, scaleY2)
	normalize3(n)
	// (1,1,0)·diag(1,½,1) = (1,½,0), normalised.
	if !near3(n, 0.8944272, 0.4472136, 0) {
		t.Errorf("stretched normal %v", n)
	}
	m := []float32{0, 0, 1}
	mirrorX := [16]float64{-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
	transformNormals(m, mirrorX)
	if !near3(m, 0, 0, 1) {
		t.Errorf("mirrored +Z normal %v, want +Z", m)
	}
	x := []float32{1, 0, 0}
	transformNormals(x, mirrorX)
	if !near3(x, -1, 0, 0) {
		t.Errorf("mirrored +X normal %v, want −X", x)
	}
}
