package sandbox

import (
	"math"

	"meshdrop/core/meshio"
)

// Every shape is built about one unit tall, centred on the Y axis and
// standing on y = 0, with UVs for its procedural texture and smooth normals
// across texture seams but hard edges where faces meet at a corner.

// segments is how finely curved surfaces are cut at a detail level.
func segments(detail string) int {
	switch detail {
	case DetailLow:
		return 16
	case DetailHigh:
		return 64
	}
	return 32
}

// grid builds a (nu+1)×(nv+1) vertex sheet from f, with UV (u, v), and two
// triangles per cell. Its winding is fixed later by orient.
func grid(nu, nv int, f func(u, v float64) [3]float64) *meshio.Mesh {
	m := &meshio.Mesh{}
	for j := 0; j <= nv; j++ {
		v := float64(j) / float64(nv)
		for i := 0; i <= nu; i++ {
			u := float64(i) / float64(nu)
			p := f(u, v)
			m.Positions = append(m.Positions, [3]float32{float32(p[0]), float32(p[1]), float32(p[2])})
			m.UVs = append(m.UVs, [2]float32{float32(u), float32(v)})
		}
	}
	row := uint32(nu + 1)
	for j := 0; j < nv; j++ {
		for i := 0; i < nu; i++ {
			a := uint32(j)*row + uint32(i)
			b, c, d := a+1, a+1+row, a+row
			m.Indices = append(m.Indices, a, b, c, a, c, d)
		}
	}
	return m
}

// lathe turns a profile of (radius, y) points around the Y axis; v runs
// along the profile, u around.
func lathe(n int, profile [][2]float64) *meshio.Mesh {
	return grid(n, len(profile)-1, func(u, v float64) [3]float64 {
		k := int(math.Round(v * float64(len(profile)-1)))
		r, y := profile[k][0], profile[k][1]
		a := 2 * math.Pi * u
		return [3]float64{r * math.Cos(a), y, r * math.Sin(a)}
	})
}

// disc is a flat cap of radius r at height y (a fan around a centre vertex).
func disc(n int, r, y float64) *meshio.Mesh {
	m := &meshio.Mesh{
		Positions: [][3]float32{{0, float32(y), 0}},
		UVs:       [][2]float32{{0.5, 0.5}},
	}
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		m.Positions = append(m.Positions, [3]float32{float32(r * math.Cos(a)), float32(y), float32(r * math.Sin(a))})
		m.UVs = append(m.UVs, [2]float32{float32(0.5 + 0.5*math.Cos(a)), float32(0.5 + 0.5*math.Sin(a))})
	}
	for i := 1; i <= n; i++ {
		m.Indices = append(m.Indices, 0, uint32(i), uint32(i+1))
	}
	return m
}

// quad is a flat four-cornered face with the full texture on it.
func quad(a, b, c, d [3]float64) *meshio.Mesh {
	return grid(1, 1, func(u, v float64) [3]float64 {
		var out [3]float64
		for i := range 3 {
			top := a[i] + (b[i]-a[i])*u
			bot := d[i] + (c[i]-d[i])*u
			out[i] = top + (bot-top)*v
		}
		return out
	})
}

// triangle is a flat face with the texture's lower half on it.
func triangle(a, b, c [3]float64) *meshio.Mesh {
	f := func(p [3]float64) [3]float32 { return [3]float32{float32(p[0]), float32(p[1]), float32(p[2])} }
	return &meshio.Mesh{
		Positions: [][3]float32{f(a), f(b), f(c)},
		UVs:       [][2]float32{{0, 1}, {1, 1}, {0.5, 0}},
		Indices:   []uint32{0, 1, 2},
	}
}

// orient flips m's triangles when they face, on the whole, towards centre
// rather than away from it: the sum of each face's area-weighted normal
// dotted with its offset from centre is positive for an outward surface.
func orient(m *meshio.Mesh, centre [3]float64) {
	var s float64
	for t := 0; t+2 < len(m.Indices); t += 3 {
		a, b, c := p64(m.Positions[m.Indices[t]]), p64(m.Positions[m.Indices[t+1]]), p64(m.Positions[m.Indices[t+2]])
		n := cross(sub(b, a), sub(c, a))
		g := [3]float64{(a[0]+b[0]+c[0])/3 - centre[0], (a[1]+b[1]+c[1])/3 - centre[1], (a[2]+b[2]+c[2])/3 - centre[2]}
		s += n[0]*g[0] + n[1]*g[1] + n[2]*g[2]
	}
	if s < 0 {
		for t := 0; t+2 < len(m.Indices); t += 3 {
			m.Indices[t+1], m.Indices[t+2] = m.Indices[t+2], m.Indices[t+1]
		}
	}
}

// smooth computes m's normals and then averages them over vertices at the
// same place (texture seams, poles), so a seam does not show in the shading.
func smooth(m *meshio.Mesh) {
	m.ComputeNormals()
	sum := map[[3]float32][3]float64{}
	for i, p := range m.Positions {
		s := sum[p]
		n := m.Normals[i]
		sum[p] = [3]float64{s[0] + float64(n[0]), s[1] + float64(n[1]), s[2] + float64(n[2])}
	}
	for i, p := range m.Positions {
		s := sum[p]
		l := math.Sqrt(s[0]*s[0] + s[1]*s[1] + s[2]*s[2])
		if l > 1e-9 {
			m.Normals[i] = [3]float32{float32(s[0] / l), float32(s[1] / l), float32(s[2] / l)}
		}
	}
}

// assemble orients and smooths each piece on its own (so pieces meet at hard
// edges) and joins them into one mesh.
func assemble(centre [3]float64, pieces ...*meshio.Mesh) *meshio.Mesh {
	out := &meshio.Mesh{}
	for _, p := range pieces {
		orient(p, centre)
		smooth(p)
		out.Append(p)
	}
	return out
}

// buildShape makes the named shape. rnd perturbs the organic blob only.
func buildShape(shape string, n int, rnd *rng) *meshio.Mesh {
	half := n / 2
	centre := [3]float64{0, 0.5, 0}
	switch shape {
	case ShapeBox:
		return box(0.9, 0.9, 0.9)
	case ShapeSphere:
		return assemble(centre, grid(n, half, func(u, v float64) [3]float64 {
			return spherePoint(0.5, u, v, 0.5)
		}))
	case ShapeCylinder:
		return assemble(centre,
			lathe(n, [][2]float64{{0.4, 0}, {0.4, 1}}),
			disc(n, 0.4, 1), disc(n, 0.4, 0))
	case ShapeCone:
		return assemble([3]float64{0, 0.3, 0},
			lathe(n, [][2]float64{{0.45, 0}, {0.3, 1.0 / 3}, {0.15, 2.0 / 3}, {0, 1}}),
			disc(n, 0.45, 0))
	case ShapeTorus:
		const R, r = 0.36, 0.14
		return assemble([3]float64{0, r, 0}, grid(n, half, func(u, v float64) [3]float64 {
			a, b := 2*math.Pi*u, 2*math.Pi*v
			return [3]float64{(R + r*math.Cos(b)) * math.Cos(a), r + r*math.Sin(b), (R + r*math.Cos(b)) * math.Sin(a)}
		}))
	case ShapeCapsule:
		// A lathe profile: the top hemisphere, the straight middle, the bottom hemisphere.
		const r = 0.25
		var prof [][2]float64
		q := max(half/2, 4)
		for i := 0; i <= q; i++ {
			a := math.Pi / 2 * float64(i) / float64(q)
			prof = append(prof, [2]float64{r * math.Sin(a), 1 - r + r*math.Cos(a)})
		}
		for i := 0; i <= q; i++ {
			a := math.Pi/2 + math.Pi/2*float64(i)/float64(q)
			prof = append(prof, [2]float64{r * math.Sin(a), r + r*math.Cos(a)})
		}
		return assemble(centre, lathe(n, prof))
	case ShapePyramid:
		const h, s = 0.9, 0.5
		apex := [3]float64{0, h, 0}
		c := [4][3]float64{{-s, 0, -s}, {s, 0, -s}, {s, 0, s}, {-s, 0, s}}
		return assemble([3]float64{0, 0.3, 0},
			triangle(c[0], c[1], apex), triangle(c[1], c[2], apex), triangle(c[2], c[3], apex), triangle(c[3], c[0], apex),
			quad(c[0], c[1], c[2], c[3]))
	}
	m := blob(n, rnd)
	// The waves may push the bottom below the ground: stand it on y = 0.
	lo, _, _ := m.Bounds()
	m.Transform(1, [3]float32{0, -lo[1], 0})
	return m
}

// box is six faces, each with its own corners so the edges stay sharp.
func box(w, h, d float64) *meshio.Mesh {
	x, z := w/2, d/2
	v := func(sx, y, sz float64) [3]float64 { return [3]float64{sx * x, y, sz * z} }
	return assemble([3]float64{0, h / 2, 0},
		quad(v(-1, h, -1), v(1, h, -1), v(1, h, 1), v(-1, h, 1)), // top
		quad(v(-1, 0, 1), v(1, 0, 1), v(1, 0, -1), v(-1, 0, -1)), // bottom
		quad(v(-1, h, 1), v(1, h, 1), v(1, 0, 1), v(-1, 0, 1)),   // front
		quad(v(1, h, -1), v(-1, h, -1), v(-1, 0, -1), v(1, 0, -1)),
		quad(v(1, h, 1), v(1, h, -1), v(1, 0, -1), v(1, 0, 1)),
		quad(v(-1, h, -1), v(-1, h, 1), v(-1, 0, 1), v(-1, 0, -1)),
	)
}

// spherePoint is a point of a sphere of radius r centred at height cy;
// u runs around, v from the top pole to the bottom.
func spherePoint(r, u, v, cy float64) [3]float64 {
	a, b := 2*math.Pi*u, math.Pi*v
	return [3]float64{r * math.Sin(b) * math.Cos(a), cy + r*math.Cos(b), r * math.Sin(b) * math.Sin(a)}
}

// blob is a sphere pushed in and out by a few smooth waves picked from the
// seed: an organic lump for prompts that name no shape.
func blob(n int, rnd *rng) *meshio.Mesh {
	type wave struct{ k, l, phase, amp float64 }
	waves := make([]wave, 4)
	for i := range waves {
		waves[i] = wave{k: float64(1 + rnd.intn(4)), l: float64(1 + rnd.intn(3)), phase: rnd.float() * 2 * math.Pi, amp: 0.04 + 0.06*rnd.float()}
	}
	stretch := 0.85 + 0.3*rnd.float()
	return assemble([3]float64{0, 0.5, 0}, grid(n, n/2, func(u, v float64) [3]float64 {
		a, b := 2*math.Pi*u, math.Pi*v
		r := 0.42
		for _, w := range waves {
			// sin(b) keeps the poles still, so the surface closes there.
			r += w.amp * math.Sin(w.k*a+w.phase) * math.Sin(b) * math.Cos(w.l*b)
		}
		return [3]float64{r * math.Sin(b) * math.Cos(a), 0.5 + stretch*r*math.Cos(b), r * math.Sin(b) * math.Sin(a)}
	}))
}

func p64(p [3]float32) [3]float64 { return [3]float64{float64(p[0]), float64(p[1]), float64(p[2])} }

func sub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
