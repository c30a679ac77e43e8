package meshio

import (
	"errors"
	"fmt"
	"math"
)

// Mesh is one indexed triangle list. Normals and UVs, when present, have one
// entry per position.
type Mesh struct {
	Positions [][3]float32
	Normals   [][3]float32 // nil: computed by the writer (smooth, area-weighted)
	UVs       [][2]float32 // nil: no texture coordinates (the material's texture is dropped)
	Indices   []uint32     // three per triangle
}

// Triangles is the number of triangles in m.
func (m *Mesh) Triangles() int { return len(m.Indices) / 3 }

// Bounds is the axis-aligned box around m's positions; ok is false for an
// empty mesh.
func (m *Mesh) Bounds() (lo, hi [3]float32, ok bool) {
	if len(m.Positions) == 0 {
		return lo, hi, false
	}
	lo, hi = m.Positions[0], m.Positions[0]
	for _, p := range m.Positions[1:] {
		for i := range 3 {
			lo[i] = min(lo[i], p[i])
			hi[i] = max(hi[i], p[i])
		}
	}
	return lo, hi, true
}

// Check reports the first structural problem in m: index out of range,
// attribute lengths that disagree, non-finite numbers.
func (m *Mesh) Check() error {
	n := len(m.Positions)
	if n == 0 || len(m.Indices) == 0 {
		return errors.New("mesh has no triangles")
	}
	if len(m.Indices)%3 != 0 {
		return fmt.Errorf("mesh has %d indices, not a multiple of 3", len(m.Indices))
	}
	if m.Normals != nil && len(m.Normals) != n {
		return fmt.Errorf("mesh has %d normals for %d positions", len(m.Normals), n)
	}
	if m.UVs != nil && len(m.UVs) != n {
		return fmt.Errorf("mesh has %d UVs for %d positions", len(m.UVs), n)
	}
	for i, ix := range m.Indices {
		if int(ix) >= n {
			return fmt.Errorf("index %d is %d, past the %d positions", i, ix, n)
		}
	}
	for i, p := range m.Positions {
		if !finite3(p) {
			return fmt.Errorf("position %d is not a finite number", i)
		}
	}
	for i, uv := range m.UVs {
		if !finite(float64(uv[0])) || !finite(float64(uv[1])) {
			return fmt.Errorf("UV %d is not a finite number", i)
		}
	}
	return nil
}

// ComputeNormals sets m.Normals to smooth, area-weighted vertex normals.
// Vertices no triangle gives a direction to get +Y.
func (m *Mesh) ComputeNormals() {
	acc := make([][3]float64, len(m.Positions))
	for t := 0; t+2 < len(m.Indices); t += 3 {
		a, b, c := m.Indices[t], m.Indices[t+1], m.Indices[t+2]
		n := cross64(m.Positions[a], m.Positions[b], m.Positions[c])
		for _, ix := range [3]uint32{a, b, c} {
			acc[ix][0] += n[0]
			acc[ix][1] += n[1]
			acc[ix][2] += n[2]
		}
	}
	m.Normals = make([][3]float32, len(m.Positions))
	for i, n := range acc {
		m.Normals[i] = unit(n)
	}
}

// DropDegenerate removes triangles with repeated corners or no area; they
// carry nothing to draw and the validator reports them.
func (m *Mesh) DropDegenerate() {
	out := m.Indices[:0]
	for t := 0; t+2 < len(m.Indices); t += 3 {
		a, b, c := m.Indices[t], m.Indices[t+1], m.Indices[t+2]
		if a == b || b == c || a == c {
			continue
		}
		pa, pb, pc := m.Positions[a], m.Positions[b], m.Positions[c]
		if pa == pb || pb == pc || pa == pc {
			continue
		}
		n := cross64(pa, pb, pc)
		l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
		if !(l > 1e-30) || math.IsInf(l, 0) {
			continue
		}
		out = append(out, a, b, c)
	}
	m.Indices = out
}

// Transform moves every position by scale then offset (normals unchanged:
// the scale is uniform).
func (m *Mesh) Transform(scale float32, offset [3]float32) {
	for i, p := range m.Positions {
		m.Positions[i] = [3]float32{p[0]*scale + offset[0], p[1]*scale + offset[1], p[2]*scale + offset[2]}
	}
}

// Append adds o's triangles to m. Both must agree on having normals and UVs.
func (m *Mesh) Append(o *Mesh) {
	base := uint32(len(m.Positions))
	m.Positions = append(m.Positions, o.Positions...)
	if m.Normals != nil || base == 0 {
		m.Normals = append(m.Normals, o.Normals...)
	}
	if m.UVs != nil || base == 0 {
		m.UVs = append(m.UVs, o.UVs...)
	}
	for _, ix := range o.Indices {
		m.Indices = append(m.Indices, base+ix)
	}
}

// normalizeNormals makes every normal unit length; a zero or non-finite one
// becomes +Y so the validator's unit-length check holds.
func (m *Mesh) normalizeNormals() {
	for i, n := range m.Normals {
		m.Normals[i] = unit([3]float64{float64(n[0]), float64(n[1]), float64(n[2])})
	}
}

func cross64(a, b, c [3]float32) [3]float64 {
	ux, uy, uz := float64(b[0])-float64(a[0]), float64(b[1])-float64(a[1]), float64(b[2])-float64(a[2])
	vx, vy, vz := float64(c[0])-float64(a[0]), float64(c[1])-float64(a[1]), float64(c[2])-float64(a[2])
	return [3]float64{uy*vz - uz*vy, uz*vx - ux*vz, ux*vy - uy*vx}
}

func unit(n [3]float64) [3]float32 {
	l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
	if !(l > 0) || math.IsInf(l, 0) {
		// Scale down first when the squared length overflowed.
		m := max(math.Abs(n[0]), math.Abs(n[1]), math.Abs(n[2]))
		if m > 0 && !math.IsInf(m, 0) {
			return unit([3]float64{n[0] / m, n[1] / m, n[2] / m})
		}
		return [3]float32{0, 1, 0}
	}
	return [3]float32{float32(n[0] / l), float32(n[1] / l), float32(n[2] / l)}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func finite3(p [3]float32) bool {
	return finite(float64(p[0])) && finite(float64(p[1])) && finite(float64(p[2]))
}
