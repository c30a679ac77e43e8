package glb

import (
	"math"

	"github.com/qmuntal/gltf"
)

// Matrices are 4×4, column-major (glTF's layout), in float64.
var identity = [16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}

func mul4(a, b [16]float64) [16]float64 {
	var m [16]float64
	for c := 0; c < 4; c++ {
		for r := 0; r < 4; r++ {
			m[c*4+r] = a[r]*b[c*4] + a[4+r]*b[c*4+1] + a[8+r]*b[c*4+2] + a[12+r]*b[c*4+3]
		}
	}
	return m
}

// localMatrix is the node's matrix, or T·R·S.
func localMatrix(n *gltf.Node) [16]float64 {
	if n == nil {
		return identity
	}
	if n.Matrix != gltf.DefaultMatrix && n.Matrix != ([16]float64{}) {
		return sanitize(n.Matrix)
	}
	t, q, s := n.Translation, n.Rotation, n.Scale
	if q == ([4]float64{}) {
		q = gltf.DefaultRotation
	}
	x, y, z, w := q[0], q[1], q[2], q[3]
	if l := math.Sqrt(x*x + y*y + z*z + w*w); l > 0 {
		x, y, z, w = x/l, y/l, z/l, w/l
	}
	m := [16]float64{
		(1 - 2*(y*y+z*z)) * s[0], (2 * (x*y + z*w)) * s[0], (2 * (x*z - y*w)) * s[0], 0,
		(2 * (x*y - z*w)) * s[1], (1 - 2*(x*x+z*z)) * s[1], (2 * (y*z + x*w)) * s[1], 0,
		(2 * (x*z + y*w)) * s[2], (2 * (y*z - x*w)) * s[2], (1 - 2*(x*x+y*y)) * s[2], 0,
		t[0], t[1], t[2], 1,
	}
	return sanitize(m)
}

// sanitize replaces a matrix with NaN or infinite entries by the identity.
func sanitize(m [16]float64) [16]float64 {
	for _, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return identity
		}
	}
	return m
}

func det3(m [16]float64) float64 {
	return m[0]*(m[5]*m[10]-m[9]*m[6]) - m[4]*(m[1]*m[10]-m[9]*m[2]) + m[8]*(m[1]*m[6]-m[5]*m[2])
}

// normalMatrix is the inverse transpose of m's upper 3×3 up to a positive
// scale (normals are renormalised afterwards): the cofactor matrix, with its
// sign fixed so mirrored nodes keep outward normals. Column-major 3×3:
// element (row r, column k) is at [k*3+r].
func normalMatrix(m [16]float64) [9]float64 {
	// Row-major view of the 3×3: [[a b c] [d e f] [g h i]].
	a, b, c := m[0], m[4], m[8]
	d, e, f := m[1], m[5], m[9]
	g, h, i := m[2], m[6], m[10]
	cof := [9]float64{
		e*i - f*h, -(b*i - c*h), b*f - c*e, // column 0
		-(d*i - f*g), a*i - c*g, -(a*f - c*d), // column 1
		d*h - e*g, -(a*h - b*g), a*e - b*d, // column 2
	}
	if det3(m) < 0 {
		for k := range cof {
			cof[k] = -cof[k]
		}
	}
	return cof
}

func isIdentity(m [16]float64) bool { return m == identity }

func transformPoints(p []float32, m [16]float64) {
	if isIdentity(m) {
		return
	}
	m0, m1, m2 := float32(m[0]), float32(m[1]), float32(m[2])
	m4, m5, m6 := float32(m[4]), float32(m[5]), float32(m[6])
	m8, m9, m10 := float32(m[8]), float32(m[9]), float32(m[10])
	m12, m13, m14 := float32(m[12]), float32(m[13]), float32(m[14])
	for i := 0; i+2 < len(p); i += 3 {
		x, y, z := p[i], p[i+1], p[i+2]
		p[i] = m0*x + m4*y + m8*z + m12
		p[i+1] = m1*x + m5*y + m9*z + m13
		p[i+2] = m2*x + m6*y + m10*z + m14
	}
}

func transformNormals(n []float32, m [16]float64) {
	if isIdentity(m) {
		return
	}
	c := normalMatrix(m)
	c00, c01, c02 := float32(c[0]), float32(c[3]), float32(c[6])
	c10, c11, c12 := float32(c[1]), float32(c[4]), float32(c[7])
	c20, c21, c22 := float32(c[2]), float32(c[5]), float32(c[8])
	for i := 0; i+2 < len(n); i += 3 {
		x, y, z := n[i], n[i+1], n[i+2]
		n[i] = c00*x + c01*y + c02*z
		n[i+1] = c10*x + c11*y + c12*z
		n[i+2] = c20*x + c21*y + c22*z
	}
}

// normalize3 makes every normal unit length; zero or invalid ones become +Y.
func normalize3(n []float32) {
	for i := 0; i+2 < len(n); i += 3 {
		x, y, z := n[i], n[i+1], n[i+2]
		if l := x*x + y*y + z*z; l > 0.999 && l < 1.001 {
			continue // already unit (the common case)
		}
		n[i], n[i+1], n[i+2] = unit3(x, y, z)
	}
}

// unit3 scales (x,y,z) to unit length in float64, so neither tiny
// (subnormal) nor huge components lose precision; a zero or invalid
// vector becomes +Y.
func unit3(x, y, z float32) (float32, float32, float32) {
	fx, fy, fz := float64(x), float64(y), float64(z)
	l := math.Sqrt(fx*fx + fy*fy + fz*fz)
	if !(l > 0) || math.IsInf(l, 0) {
		return 0, 1, 0
	}
	inv := 1 / l
	return float32(fx * inv), float32(fy * inv), float32(fz * inv)
}
