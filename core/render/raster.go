package render

import (
	"math"

	"meshdrop/core/glb"
)

// Per-vertex attributes interpolated across a triangle.
const (
	attrU = iota
	attrV
	attrR
	attrG
	attrB
	attrA
	attrDiff
	attrSpec
	nAttr
)

// tvert is a triangle corner ready for rasterisation.
type tvert struct {
	x, y, iw float32 // screen position (pixels) and 1/w
	a        [nAttr]float32
}

// cvert is a corner in clip space, for triangles that cross the near plane
// or the guard band.
type cvert struct {
	cx, cy, cw float32
	a          [nAttr]float32
}

// attributes fills the per-vertex attributes of vertex i of ps.
func (r *Renderer) attributes(ps *primState, i uint32, v *vert, front bool, a *[nAttr]float32) {
	if ps.uvs != nil {
		a[attrU], a[attrV] = ps.uvs[i*2], ps.uvs[i*2+1]
	} else {
		a[attrU], a[attrV] = 0, 0
	}
	if ps.colors != nil {
		c := ps.colors[i*4 : i*4+4 : i*4+4]
		a[attrR], a[attrG], a[attrB], a[attrA] = ps.base[0]*c[0], ps.base[1]*c[1], ps.base[2]*c[2], ps.base[3]*c[3]
	} else {
		a[attrR], a[attrG], a[attrB], a[attrA] = ps.base[0], ps.base[1], ps.base[2], ps.base[3]
	}
	switch {
	case ps.unlit:
		a[attrDiff], a[attrSpec] = 1, 0
	case front || !ps.twoSided:
		a[attrDiff], a[attrSpec] = v.lf, v.sf
	default:
		a[attrDiff], a[attrSpec] = v.lb, v.sb
	}
}

// drawTri draws triangle t of ps into rows y0..y1 and reports whether it
// wrote a pixel.
func (r *Renderer) drawTri(ps *primState, t, y0, y1 int) bool {
	idx := ps.prim.Indices[t*3 : t*3+3 : t*3+3]
	verts := r.verts[ps.vbase:]
	v0, v1, v2 := &verts[idx[0]], &verts[idx[1]], &verts[idx[2]]
	if v0.out|v1.out|v2.out != 0 {
		return r.drawClipped(ps, idx, v0, v1, v2, y0, y1)
	}
	area := (v1.sx-v0.sx)*(v2.sy-v0.sy) - (v1.sy-v0.sy)*(v2.sx-v0.sx)
	front := (area < 0) != ps.flip
	var tv [3]tvert
	for k, v := range [3]*vert{v0, v1, v2} {
		tv[k].x, tv[k].y, tv[k].iw = v.sx, v.sy, v.iw
		r.attributes(ps, idx[k], v, front, &tv[k].a)
	}
	return r.rasterTri(ps, &tv[0], &tv[1], &tv[2], y0, y1)
}

// drawClipped clips a triangle against the near plane and the guard band
// in clip space and draws the resulting polygon as a fan.
func (r *Renderer) drawClipped(ps *primState, idx []uint32, v0, v1, v2 *vert, y0, y1 int) bool {
	// Orientation from the homogeneous determinant: valid even with a
	// corner behind the eye, and equal in sign to the screen area.
	d := v0.cx*(-v1.cy*v2.cw+v2.cy*v1.cw) - v1.cx*(-v0.cy*v2.cw+v2.cy*v0.cw) + v2.cx*(-v0.cy*v1.cw+v1.cy*v0.cw)
	front := (d < 0) != ps.flip
	if d == 0 || (ps.cull && !front) {
		return false
	}
	var poly, tmp [10]cvert
	for k, v := range [3]*vert{v0, v1, v2} {
		poly[k].cx, poly[k].cy, poly[k].cw = v.cx, v.cy, v.cw
		r.attributes(ps, idx[k], v, front, &poly[k].a)
	}
	n := 3
	g := r.vb.guardPixel
	near := r.vb.near
	for plane := 0; plane < 5 && n >= 3; plane++ {
		n = clipPolygon(&poly, &tmp, n, plane, g, near)
	}
	if n < 3 {
		return false
	}
	var tv [10]tvert
	for k := 0; k < n; k++ {
		c := &poly[k]
		iw := 1 / c.cw
		tv[k] = tvert{x: r.vb.cx + c.cx*iw, y: r.vb.cy - c.cy*iw, iw: iw, a: c.a}
	}
	drawn := false
	for k := 1; k+1 < n; k++ {
		if r.rasterTri(ps, &tv[0], &tv[k], &tv[k+1], y0, y1) {
			drawn = true
		}
	}
	return drawn
}

// planeDist is the signed distance of c to clip plane p (inside ≥ 0).
func planeDist(c *cvert, p int, g, near float32) float32 {
	switch p {
	case 0:
		return c.cw - near
	case 1:
		return g*c.cw - c.cx
	case 2:
		return g*c.cw + c.cx
	case 3:
		return g*c.cw - c.cy
	default:
		return g*c.cw + c.cy
	}
}

// clipPolygon clips poly[:n] against one plane (Sutherland–Hodgman) and
// leaves the result in poly.
func clipPolygon(poly, tmp *[10]cvert, n, plane int, g, near float32) int {
	m := 0
	for i := 0; i < n; i++ {
		a, b := &poly[i], &poly[(i+1)%n]
		da, db := planeDist(a, plane, g, near), planeDist(b, plane, g, near)
		if da >= 0 && m < len(tmp) {
			tmp[m] = *a
			m++
		}
		if (da >= 0) != (db >= 0) && m < len(tmp) {
			t := da / (da - db)
			o := &tmp[m]
			o.cx = a.cx + (b.cx-a.cx)*t
			o.cy = a.cy + (b.cy-a.cy)*t
			o.cw = a.cw + (b.cw-a.cw)*t
			for k := range o.a {
				o.a[k] = a.a[k] + (b.a[k]-a.a[k])*t
			}
			m++
		}
	}
	copy(poly[:m], tmp[:m])
	return m
}

// subpixel is the fixed-point precision of screen positions (1/16 pixel).
const subpixel = 16

func toFixed(v float32) int64 { return int64(math.Floor(float64(v)*subpixel + 0.5)) }

// rasterTri fills the pixels of one triangle whose centres it covers
// (top-left rule, so shared edges are drawn once) within rows y0..y1.
func (r *Renderer) rasterTri(ps *primState, p0, p1, p2 *tvert, y0, y1 int) bool {
	X0, Y0 := toFixed(p0.x), toFixed(p0.y)
	X1, Y1 := toFixed(p1.x), toFixed(p1.y)
	X2, Y2 := toFixed(p2.x), toFixed(p2.y)
	area := (X1-X0)*(Y2-Y0) - (Y1-Y0)*(X2-X0)
	if area == 0 {
		return false
	}
	if area < 0 { // make the edge functions positive inside
		p1, p2 = p2, p1
		X1, Y1, X2, Y2 = X2, Y2, X1, Y1
		area = -area
	}
	minX := max(0, int((min(X0, X1, X2)-subpixel/2+subpixel-1)>>4))
	maxX := min(r.w-1, int((max(X0, X1, X2)-subpixel/2)>>4))
	minY := max(y0, int((min(Y0, Y1, Y2)-subpixel/2+subpixel-1)>>4))
	maxY := min(y1-1, int((max(Y0, Y1, Y2)-subpixel/2)>>4))
	if minX > maxX || minY > maxY {
		return false
	}
	// Edge k is opposite corner k: E(p) = dx*(py-ay) - dy*(px-ax).
	ax := [3]int64{X1, X2, X0}
	ay := [3]int64{Y1, Y2, Y0}
	bx := [3]int64{X2, X0, X1}
	by := [3]int64{Y2, Y0, Y1}
	var row, stepX, stepY [3]int64
	var invLen [3]float32
	px := int64(minX)*subpixel + subpixel/2
	py := int64(minY)*subpixel + subpixel/2
	for k := 0; k < 3; k++ {
		dx, dy := bx[k]-ax[k], by[k]-ay[k]
		row[k] = dx*(py-ay[k]) - dy*(px-ax[k])
		if !(dy < 0 || (dy == 0 && dx > 0)) { // not a top-left edge: exclude exact hits
			row[k]--
		}
		stepX[k] = -dy * subpixel
		stepY[k] = dx * subpixel
		invLen[k] = float32(1 / (math.Sqrt(float64(dx*dx+dy*dy)) * subpixel))
	}
	invArea := 1 / float32(area)

	// Attribute deltas against corner 2.
	var a2, d0, d1 [nAttr]float32
	a2 = p2.a
	for k := range a2 {
		d0[k] = p0.a[k] - a2[k]
		d1[k] = p1.a[k] - a2[k]
	}
	iw0, iw1, iw2 := p0.iw, p1.iw, p2.iw
	diw0, diw1 := iw0-iw2, iw1-iw2

	var lvl *mipLevel
	if ps.mip != nil {
		lvl = ps.mip.level(p0, p1, p2, float32(area)/(subpixel*subpixel))
	}
	wire := r.opt.Wireframe
	wireWidth := float32(r.opt.Supersample) * 0.5
	mode := ps.mode
	cutoff := ps.cutoff
	kd, ks := ps.kd, ps.ks
	em := ps.emissive
	w := r.w
	colour, depth := r.colour, r.depth
	drawn := false

	for y := minY; y <= maxY; y++ {
		e0, e1, e2 := row[0], row[1], row[2]
		row[0] += stepY[0]
		row[1] += stepY[1]
		row[2] += stepY[2]
		inside := false
		base := y * w
		for x := minX; x <= maxX; x, e0, e1, e2 = x+1, e0+stepX[0], e1+stepX[1], e2+stepX[2] {
			if e0|e1|e2 < 0 {
				if inside {
					break // convex: the span on this row is over
				}
				continue
			}
			inside = true
			b0 := float32(e0) * invArea
			b1 := float32(e1) * invArea
			iw := iw2 + b0*diw0 + b1*diw1
			i := base + x
			if iw <= depth[i] {
				continue
			}
			rw := 1 / iw
			q0 := b0 * iw0 * rw
			q1 := b1 * iw1 * rw
			cr := a2[attrR] + q0*d0[attrR] + q1*d1[attrR]
			cg := a2[attrG] + q0*d0[attrG] + q1*d1[attrG]
			cb := a2[attrB] + q0*d0[attrB] + q1*d1[attrB]
			ca := a2[attrA] + q0*d0[attrA] + q1*d1[attrA]
			if lvl != nil {
				u := a2[attrU] + q0*d0[attrU] + q1*d1[attrU]
				v := a2[attrV] + q0*d0[attrV] + q1*d1[attrV]
				tr, tg, tb, ta := lvl.sample(u, v)
				cr, cg, cb, ca = cr*tr, cg*tg, cb*tb, ca*ta
			}
			switch mode {
			case glb.AlphaOpaque:
				ca = 1
			case glb.AlphaMask:
				if ca < cutoff {
					continue
				}
				ca = 1
			default:
				if ca <= 0.002 {
					continue
				}
				ca = min(ca, 1)
			}
			diff := (a2[attrDiff] + q0*d0[attrDiff] + q1*d1[attrDiff]) * kd
			spec := (a2[attrSpec] + q0*d0[attrSpec] + q1*d1[attrSpec]) * ks
			cr = cr*diff + spec + em[0]
			cg = cg*diff + spec + em[1]
			cb = cb*diff + spec + em[2]
			if wire {
				dist := min(float32(e0)*invLen[0], float32(e1)*invLen[1], float32(e2)*invLen[2])
				if dist < wireWidth {
					cr, cg, cb = cr*0.3+0.02, cg*0.3+0.25, cb*0.3+0.6
				}
			}
			o := colour[i*4 : i*4+4 : i*4+4]
			sr, sg, sb := toSRGB(cr), toSRGB(cg), toSRGB(cb)
			if ca >= 1 {
				o[0], o[1], o[2], o[3] = sr, sg, sb, 255
				depth[i] = iw
			} else {
				// Blended surfaces are tested against depth but do not
				// write it, so what is behind them still shows.
				k := 1 - ca
				o[0] = uint8(float32(sr)*ca + float32(o[0])*k + 0.5)
				o[1] = uint8(float32(sg)*ca + float32(o[1])*k + 0.5)
				o[2] = uint8(float32(sb)*ca + float32(o[2])*k + 0.5)
				o[3] = uint8(255*ca + float32(o[3])*k + 0.5)
			}
			drawn = true
		}
	}
	return drawn
}

// level picks the mip level whose texel size matches the triangle's pixel
// size (chosen per triangle, from the ratio of texture to screen area).
func (mt *mipTex) level(p0, p1, p2 *tvert, pixelArea float32) *mipLevel {
	l0 := &mt.levels[0]
	du1, dv1 := p1.a[attrU]-p0.a[attrU], p1.a[attrV]-p0.a[attrV]
	du2, dv2 := p2.a[attrU]-p0.a[attrU], p2.a[attrV]-p0.a[attrV]
	texArea := float32(math.Abs(float64(du1*dv2-du2*dv1))) * float32(l0.w) * float32(l0.h)
	if pixelArea <= 0 || texArea <= pixelArea || texArea != texArea {
		return l0
	}
	n := int(0.5*fastLog2(texArea/pixelArea) + 0.5)
	if n >= len(mt.levels) {
		n = len(mt.levels) - 1
	}
	return &mt.levels[n]
}

// fastLog2 approximates log2 of a positive normal float32 from its bits
// (exponent plus linear mantissa: within 0.09), enough to pick a mip level.
func fastLog2(v float32) float32 {
	b := math.Float32bits(v)
	e := float32(int32(b>>23&0xff) - 127)
	m := math.Float32frombits(b&0x007fffff | 0x3f800000) // in [1, 2)
	return e + m - 1
}

// resolveStage turns 16 rows of the frame buffer into the destination:
// averaging 2×2 samples, scaling half resolution up, and undoing the
// premultiplied alpha.
func (r *Renderer) resolveStage(item int) {
	dst := r.dst
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	y0, y1 := item*16, min(item*16+16, dh)
	ss := r.opt.Supersample
	half := r.opt.HalfResolution
	for y := y0; y < y1; y++ {
		out := dst.Pix[dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+y):]
		for x := 0; x < dw; x++ {
			var cr, cg, cb, ca uint32
			switch {
			case half:
				s := ((y/2)*r.w + x/2) * 4
				c := r.colour[s : s+4 : s+4]
				cr, cg, cb, ca = uint32(c[0]), uint32(c[1]), uint32(c[2]), uint32(c[3])
			case ss == 1:
				s := (y*r.w + x) * 4
				c := r.colour[s : s+4 : s+4]
				cr, cg, cb, ca = uint32(c[0]), uint32(c[1]), uint32(c[2]), uint32(c[3])
			default:
				for sy := 0; sy < ss; sy++ {
					s := ((y*ss+sy)*r.w + x*ss) * 4
					c := r.colour[s : s+ss*4 : s+ss*4]
					for k := 0; k < len(c); k += 4 {
						cr += uint32(c[k])
						cg += uint32(c[k+1])
						cb += uint32(c[k+2])
						ca += uint32(c[k+3])
					}
				}
				n := uint32(ss * ss)
				cr, cg, cb, ca = (cr+n/2)/n, (cg+n/2)/n, (cb+n/2)/n, (ca+n/2)/n
			}
			o := out[x*4 : x*4+4 : x*4+4]
			switch ca {
			case 255:
				o[0], o[1], o[2], o[3] = uint8(cr), uint8(cg), uint8(cb), 255
			case 0:
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0
			default:
				o[0] = uint8(min(255, (cr*255+ca/2)/ca))
				o[1] = uint8(min(255, (cg*255+ca/2)/ca))
				o[2] = uint8(min(255, (cb*255+ca/2)/ca))
				o[3] = uint8(ca)
			}
		}
	}
}

// smoothNormals computes area-weighted vertex normals for a primitive the
// loader left without them (the loader normally provides them).
func smoothNormals(p *glb.Prim) []float32 {
	n := make([]float32, len(p.Positions)/3*3)
	nv := uint32(len(p.Positions) / 3)
	pos := p.Positions
	for t := 0; t+2 < len(p.Indices); t += 3 {
		i0, i1, i2 := p.Indices[t], p.Indices[t+1], p.Indices[t+2]
		if i0 >= nv || i1 >= nv || i2 >= nv {
			continue
		}
		a := [3]float32{pos[i0*3], pos[i0*3+1], pos[i0*3+2]}
		b := [3]float32{pos[i1*3], pos[i1*3+1], pos[i1*3+2]}
		c := [3]float32{pos[i2*3], pos[i2*3+1], pos[i2*3+2]}
		f := cross3(sub3(b, a), sub3(c, a))
		for _, i := range [3]uint32{i0, i1, i2} {
			n[i*3] += f[0]
			n[i*3+1] += f[1]
			n[i*3+2] += f[2]
		}
	}
	for i := 0; i+2 < len(n); i += 3 {
		v := norm3([3]float32{n[i], n[i+1], n[i+2]})
		n[i], n[i+1], n[i+2] = v[0], v[1], v[2]
	}
	return n
}

// insideOut reports whether a primitive's winding is clockwise seen from
// outside (its signed volume is clearly negative: TRELLIS outputs exported
// by trimesh are like that, and Blender hides it by not culling), and the
// sign that makes its normals point out. Open sheets have a signed volume
// near zero and are left alone.
// insideOutSamples is how many triangles insideOut looks at, at most.
const insideOutSamples = 100_000

func insideOut(p *glb.Prim, normals []float32, c [3]float32) (flip bool, nsign float32) {
	var vol, absVol, agree float64
	pos := p.Positions
	nv := uint32(len(pos) / 3)
	at := func(i uint32) [3]float32 {
		return [3]float32{pos[i*3] - c[0], pos[i*3+1] - c[1], pos[i*3+2] - c[2]}
	}
	// Big meshes are judged on an even sample of their triangles: the sign
	// of the volume is what matters, and inside-out meshes are far from the
	// threshold.
	step := 3 * max(1, len(p.Indices)/3/insideOutSamples)
	for t := 0; t+2 < len(p.Indices); t += step {
		i0, i1, i2 := p.Indices[t], p.Indices[t+1], p.Indices[t+2]
		if i0 >= nv || i1 >= nv || i2 >= nv {
			continue
		}
		a, b, d := at(i0), at(i1), at(i2)
		f := cross3(sub3(b, a), sub3(d, a))
		v := float64(dot3(a, cross3(b, d)))
		vol += v
		absVol += math.Abs(v)
		if len(normals) >= int(nv)*3 {
			agree += float64(f[0]*normals[i0*3] + f[1]*normals[i0*3+1] + f[2]*normals[i0*3+2])
		}
	}
	if absVol == 0 || vol > -0.25*absVol {
		return false, 1
	}
	// Normals that follow the (inverted) winding point inwards too.
	if agree > 0 {
		return true, -1
	}
	return true, 1
}

func primCentroid(p *glb.Prim) [3]float32 {
	var c [3]float64
	nv := len(p.Positions) / 3
	if nv == 0 {
		return [3]float32{}
	}
	for i := 0; i < nv; i++ {
		c[0] += float64(p.Positions[i*3])
		c[1] += float64(p.Positions[i*3+1])
		c[2] += float64(p.Positions[i*3+2])
	}
	return [3]float32{float32(c[0] / float64(nv)), float32(c[1] / float64(nv)), float32(c[2] / float64(nv))}
}

// maxNormalLines caps the normals overlay so it stays readable and cheap.
const maxNormalLines = 4000

// drawNormals draws short lines along a sample of vertex normals, for
// vertices not hidden behind the surface.
func (r *Renderer) drawNormals() {
	total := len(r.verts)
	if total == 0 {
		return
	}
	stride := max(1, total/maxNormalLines)
	length := r.radius * 0.04
	vb := &r.vb
	for pi := range r.prims {
		ps := &r.prims[pi]
		pos, nrm := ps.prim.Positions, ps.normals
		nv := len(pos) / 3
		for v := (ps.vbase % stride); v < nv; v += stride {
			tv := &r.verts[ps.vbase+v]
			if tv.out != 0 {
				continue
			}
			xi, yi := int(tv.sx), int(tv.sy)
			if xi < 0 || yi < 0 || xi >= r.w || yi >= r.h || tv.iw < r.depth[yi*r.w+xi]*0.995 {
				continue
			}
			e := [3]float32{pos[v*3] + nrm[v*3]*length, pos[v*3+1] + nrm[v*3+1]*length, pos[v*3+2] + nrm[v*3+2]*length}
			d := sub3(e, vb.eye)
			w := dot3(d, vb.fwd)
			if w < vb.near {
				continue
			}
			ex := vb.cx + dot3(d, vb.right)*vb.focal/w
			ey := vb.cy - dot3(d, vb.up)*vb.focal/w
			r.line(tv.sx, tv.sy, ex, ey, [4]uint8{255, 200, 40, 255})
		}
	}
}

// line draws a one-pixel line (DDA) into the frame buffer.
func (r *Renderer) line(x0, y0, x1, y1 float32, c [4]uint8) {
	dx, dy := x1-x0, y1-y0
	n := int(max(abs32(dx), abs32(dy))) + 1
	if n > 4*max(r.w, r.h) {
		return
	}
	sx, sy := dx/float32(n), dy/float32(n)
	for i := 0; i <= n; i++ {
		x, y := int(x0), int(y0)
		if x >= 0 && y >= 0 && x < r.w && y < r.h {
			o := r.colour[(y*r.w+x)*4:]
			o[0], o[1], o[2], o[3] = c[0], c[1], c[2], c[3]
		}
		x0 += sx
		y0 += sy
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
