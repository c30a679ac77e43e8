package render

import (
	"image"
	"image/color"
	"math"
	"slices"

	"meshdrop/core/glb"
)

// Options say how one frame is drawn.
type Options struct {
	// Background fills the pixels the model does not cover; the zero value
	// is transparent.
	Background color.NRGBA
	// Supersample is the samples per pixel along each axis: 1 (or 0) for the
	// interactive preview, 2 for thumbnails (2×2 samples averaged).
	Supersample int
	// HalfResolution draws at half the size and scales up: the preview uses
	// it while the camera is being dragged.
	HalfResolution bool
	// Wireframe draws triangle edges over the shaded model.
	Wireframe bool
	// Normals draws short lines along (a sample of) the vertex normals.
	Normals bool
	// NoWait draws textures still being decoded as their material's base
	// colour instead of waiting for them; Pending then reports true and a
	// later frame shows them. The preview sets it so a model opens at once.
	NoWait bool
}

// Renderer draws one scene, frame after frame, reusing every buffer: once
// warmed up at a given size a frame allocates nothing. It is not safe for
// concurrent use; make one Renderer per view.
type Renderer struct {
	scene   *glb.Scene
	prims   []primState
	chunks  []triChunk  // triangle ranges binned and drawn as units
	vchunks []vertChunk // vertex ranges transformed as units
	order   []int32     // chunk draw order: opaque first, then blended far to near
	nOpaque int
	verts   []vert
	radius  float32
	texs    *textureCache

	// Per-frame state (reused).
	vb       viewBasis
	opt      Options
	w, h     int
	bandH    int
	nBands   int
	bins     [][]uint32 // chunk*nBands+band → triangle numbers within the chunk's primitive
	colour   []uint8    // premultiplied sRGB RGBA, w*h*4
	depth    []float32  // 1/w of the nearest surface, 0 = nothing
	bg       [4]uint8   // premultiplied background
	dst      *image.NRGBA
	drawn    bool // some triangle wrote a pixel in the last frame
	pending  bool // the last frame left out textures still being decoded
	drawnBnd []bool

	batch     batch
	vertexFn  func(int)
	binFn     func(int)
	rasterFn  func(int)
	resolveFn func(int)
}

// primState is what the renderer keeps per primitive.
type primState struct {
	prim     *glb.Prim
	normals  []float32
	uvs      []float32
	colors   []float32
	vbase    int
	tex      *glb.Texture
	mip      *mipTex
	mipReady bool // mip is final (nil then means the texture failed)
	cull     bool // single-sided: back faces are culled
	twoSided bool // double-sided: back faces lit with the flipped normal
	mode     glb.AlphaMode
	cutoff   float32
	base     [4]float32
	emissive [3]float32
	kd, ks   float32
	unlit    bool
	centroid [3]float32
	// flip is set for primitives that are inside out (clockwise winding,
	// as some generators export): their clockwise faces are the front.
	flip bool
	// nsign turns normals that point inwards, with such a winding, out.
	nsign float32
}

type triChunk struct {
	prim   int32
	t0, t1 int32
}

type vertChunk struct {
	prim   int32
	v0, v1 int32
}

// vert is one transformed vertex.
type vert struct {
	cx, cy, cw float32 // clip coordinates: pixels from the centre times w, and w
	sx, sy, iw float32 // screen position and 1/w (valid when out == 0)
	lf, sf     float32 // diffuse and specular light for the front face
	lb, sb     float32 // and for the back face (double-sided materials)
	out        uint8   // clip outcodes
}

const (
	outNear = 1 << iota
	outRight
	outLeft
	outTop
	outBottom
)

const (
	trisPerChunk  = 8192
	vertsPerChunk = 16384
)

// NewRenderer prepares a scene for drawing. The scene must not change while
// the renderer uses it.
func NewRenderer(s *glb.Scene) *Renderer { return newRenderer(s, &textureCache{}) }

// newRenderer is NewRenderer with a texture cache shared with another
// renderer of the same textures.
func newRenderer(s *glb.Scene, texs *textureCache) *Renderer {
	r := &Renderer{scene: s, texs: texs}
	r.vertexFn = r.vertexStage
	r.binFn = r.binStage
	r.rasterFn = r.rasterStage
	r.resolveFn = r.resolveStage
	b := sceneBounds(s)
	r.radius = len3(sub3(b.Max, b.Min)) / 2
	nv := 0
	for i := range s.Prims {
		p := &s.Prims[i]
		n := len(p.Positions) / 3
		ps := primState{prim: p, vbase: nv, normals: p.Normals, kd: 1, ks: 0.2}
		if len(ps.normals) < n*3 {
			ps.normals = smoothNormals(p)
		}
		if len(p.UVs) >= n*2 {
			ps.uvs = p.UVs
		}
		if len(p.Colors) >= n*4 {
			ps.colors = p.Colors
		}
		mat := defaultMaterial
		if p.Material >= 0 && p.Material < len(s.Materials) {
			mat = s.Materials[p.Material]
		} else if len(s.Materials) > 0 {
			mat = s.Materials[len(s.Materials)-1]
		}
		ps.base = mat.BaseColor
		if mat.BaseTexture >= 0 && mat.BaseTexture < len(s.Textures) {
			ps.tex = s.Textures[mat.BaseTexture]
		}
		ps.cull = !mat.DoubleSided
		ps.twoSided = mat.DoubleSided
		ps.mode = mat.AlphaMode
		ps.cutoff = mat.AlphaCutoff
		if ps.mode == glb.AlphaMask && ps.cutoff <= 0 {
			ps.cutoff = 0.5
		}
		ps.unlit = mat.Unlit
		ps.kd, ps.ks = surfaceResponse(mat)
		ps.emissive = emissiveShare(mat)
		ps.centroid = primCentroid(p)
		ps.flip, ps.nsign = insideOut(p, ps.normals, ps.centroid)
		r.prims = append(r.prims, ps)
		// Only whole triangles whose indices are in range are drawn.
		nt := len(p.Indices) / 3
		for t := 0; t < nt; t += trisPerChunk {
			r.chunks = append(r.chunks, triChunk{prim: int32(i), t0: int32(t), t1: int32(min(nt, t+trisPerChunk))})
		}
		for v := 0; v < n; v += vertsPerChunk {
			r.vchunks = append(r.vchunks, vertChunk{prim: int32(i), v0: int32(v), v1: int32(min(n, v+vertsPerChunk))})
		}
		nv += n
	}
	var used []*glb.Texture
	for i := range r.prims {
		if t := r.prims[i].tex; t != nil && !slices.Contains(used, t) {
			used = append(used, t)
		}
	}
	r.texs.prefetch(used)
	r.verts = make([]vert, nv)
	r.order = make([]int32, 0, len(r.chunks))
	for ci, c := range r.chunks {
		if r.prims[c.prim].mode != glb.AlphaBlend {
			r.order = append(r.order, int32(ci))
		}
	}
	r.nOpaque = len(r.order)
	for ci, c := range r.chunks {
		if r.prims[c.prim].mode == glb.AlphaBlend {
			r.order = append(r.order, int32(ci))
		}
	}
	return r
}

// defaultMaterial is glTF's default material (white, metallic 1, rough 1).
var defaultMaterial = glb.Material{BaseColor: [4]float32{1, 1, 1, 1}, BaseTexture: -1, Metallic: 1, Roughness: 1, AlphaCutoff: 0.5}

// Scene is the scene being drawn.
func (r *Renderer) Scene() *glb.Scene { return r.scene }

// Stats are the scene's statistics for the preview's overlay.
func (r *Renderer) Stats() glb.Stats { return r.scene.Stats }

// Pending reports whether the last frame (drawn with NoWait) left out
// textures that are still being decoded: draw another frame soon.
func (r *Renderer) Pending() bool { return r.pending }

// Drawn reports whether the last frame drew any of the model.
func (r *Renderer) Drawn() bool { return r.drawn }

// Draw renders the scene seen by cam into dst (its whole rectangle).
func (r *Renderer) Draw(dst *image.NRGBA, cam Camera, opt Options) {
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	if dw <= 0 || dh <= 0 {
		return
	}
	if opt.Supersample < 1 {
		opt.Supersample = 1
	}
	if opt.Supersample > 4 {
		opt.Supersample = 4
	}
	w, h := dw*opt.Supersample, dh*opt.Supersample
	if opt.HalfResolution {
		opt.Supersample = 1
		w, h = max(1, (dw+1)/2), max(1, (dh+1)/2)
	}
	r.opt, r.dst = opt, dst
	r.ensureBuffers(w, h)
	a := float32(opt.Background.A) / 255
	r.bg = [4]uint8{uint8(float32(opt.Background.R)*a + 0.5), uint8(float32(opt.Background.G)*a + 0.5), uint8(float32(opt.Background.B)*a + 0.5), opt.Background.A}
	r.vb = cam.basis(w, h)

	r.batch.run(len(r.vchunks), r.vertexFn)
	r.pending = false
	for i := range r.prims { // decoded in the background while geometry was transformed
		ps := &r.prims[i]
		if ps.tex == nil || ps.mipReady {
			continue
		}
		if opt.NoWait {
			ps.mip, ps.mipReady = r.texs.peek(ps.tex)
			r.pending = r.pending || !ps.mipReady
		} else {
			ps.mip, ps.mipReady = r.texs.get(ps.tex), true
		}
	}
	r.sortBlended()
	for i := range r.bins {
		r.bins[i] = r.bins[i][:0]
	}
	r.batch.run(len(r.chunks), r.binFn)
	r.batch.run(r.nBands, r.rasterFn)
	r.drawn = false
	for _, d := range r.drawnBnd {
		r.drawn = r.drawn || d
	}
	if opt.Normals {
		r.drawNormals()
	}
	r.batch.run((dh+15)/16, r.resolveFn)
	r.dst = nil
}

func (r *Renderer) ensureBuffers(w, h int) {
	if w != r.w || h != r.h {
		r.w, r.h = w, h
		r.colour = make([]uint8, w*h*4)
		r.depth = make([]float32, w*h)
		r.bandH = 8
		if h > 256 {
			r.bandH = 16
		}
		if h > 1024 {
			r.bandH = 32
		}
		r.nBands = (h + r.bandH - 1) / r.bandH
		r.drawnBnd = make([]bool, r.nBands)
	}
	if len(r.bins) != len(r.chunks)*r.nBands {
		r.bins = make([][]uint32, len(r.chunks)*r.nBands)
	}
}

// sortBlended orders blended chunks far to near by their primitive's
// centroid (insertion sort: few, and allocation free).
func (r *Renderer) sortBlended() {
	bl := r.order[r.nOpaque:]
	key := func(ci int32) float32 {
		c := r.prims[r.chunks[ci].prim].centroid
		return dot3(sub3(c, r.vb.eye), r.vb.fwd)
	}
	for i := 1; i < len(bl); i++ {
		for j := i; j > 0 && key(bl[j]) > key(bl[j-1]); j-- {
			bl[j], bl[j-1] = bl[j-1], bl[j]
		}
	}
}

// Lights, in view space (x right, y up, z towards the viewer): a warm key
// from the upper left front, a fill from the right, a rim from behind.
var (
	keyDir  = norm3([3]float32{-0.45, 0.65, 0.62})
	fillDir = norm3([3]float32{0.8, 0.05, 0.45})
	halfKey = norm3(add3(keyDir, [3]float32{0, 0, 1}))
)

const (
	ambientLight = 0.18
	skyLight     = 0.07
	keyLight     = 0.68
	fillLight    = 0.2
	rimLight     = 0.26
	specPower    = 24
)

// light is the diffuse (multiplies the base colour) and specular (added)
// light reaching a view-space normal.
func light(nx, ny, nz float32) (diff, spec float32) {
	diff = ambientLight + skyLight*ny
	if d := nx*keyDir[0] + ny*keyDir[1] + nz*keyDir[2]; d > 0 {
		diff += keyLight * d
	}
	if d := nx*fillDir[0] + ny*fillDir[1] + nz*fillDir[2]; d > 0 {
		diff += fillLight * d
	}
	// The rim brightens silhouettes so dark models stand out from the
	// background.
	if e := 1 - max(nz, 0); e > 0 {
		diff += rimLight * e * e * e
	}
	if h := nx*halfKey[0] + ny*halfKey[1] + nz*halfKey[2]; h > 0 {
		h2 := h * h
		h4 := h2 * h2
		h8 := h4 * h4
		spec = h8 * h8 * h8 // h^24
	}
	return diff, spec
}

// surfaceResponse turns glTF's metallic/roughness into the diffuse and
// specular weights used here. Metals have no diffuse term in physics, which
// draws the many AI models that leave glTF's default metallic of 1.0 black
// without an environment; here metallic only dims the diffuse a little.
func surfaceResponse(m glb.Material) (kd, ks float32) {
	metal := clamp01(m.Metallic)
	rough := clamp01(m.Roughness)
	kd = 1 - 0.2*metal
	ks = 0.04 + 0.3*(1-rough)*(1-rough) + 0.1*metal*(1-rough)
	return kd, ks
}

// emissiveShare is the emissive light added to a material. The renderer
// has only the emissive factor (times the emissive texture's mean), not the
// texture itself, so emissive is added uniformly, at a fraction and capped:
// exports commonly carry a full-white factor with a mostly black texture,
// and adding it whole turns the model flat grey.
func emissiveShare(m glb.Material) [3]float32 {
	const share, most = 0.3, 0.12
	return [3]float32{min(most, clamp01(m.Emissive[0])*share), min(most, clamp01(m.Emissive[1])*share), min(most, clamp01(m.Emissive[2])*share)}
}

func clamp01(v float32) float32 {
	if v != v || v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

// vertexStage transforms one range of vertices and lights them.
func (r *Renderer) vertexStage(item int) {
	vc := r.vchunks[item]
	ps := &r.prims[vc.prim]
	pos, nrm := ps.prim.Positions, ps.normals
	vb := &r.vb
	g := vb.guardPixel
	out := r.verts[ps.vbase:]
	for v := int(vc.v0); v < int(vc.v1); v++ {
		p := pos[v*3 : v*3+3 : v*3+3]
		dx, dy, dz := p[0]-vb.eye[0], p[1]-vb.eye[1], p[2]-vb.eye[2]
		x := dx*vb.right[0] + dy*vb.right[1] + dz*vb.right[2]
		y := dx*vb.up[0] + dy*vb.up[1] + dz*vb.up[2]
		w := dx*vb.fwd[0] + dy*vb.fwd[1] + dz*vb.fwd[2]
		o := &out[v]
		o.cx, o.cy, o.cw = x*vb.focal, y*vb.focal, w
		var oc uint8
		if w < vb.near || w != w {
			oc |= outNear
		}
		if o.cx > g*w {
			oc |= outRight
		}
		if o.cx < -g*w {
			oc |= outLeft
		}
		if o.cy > g*w {
			oc |= outTop
		}
		if o.cy < -g*w {
			oc |= outBottom
		}
		o.out = oc
		if oc == 0 {
			o.iw = 1 / w
			o.sx = vb.cx + o.cx*o.iw
			o.sy = vb.cy - o.cy*o.iw
		}
		n := nrm[v*3 : v*3+3 : v*3+3]
		ns := ps.nsign
		nx := (n[0]*vb.right[0] + n[1]*vb.right[1] + n[2]*vb.right[2]) * ns
		ny := (n[0]*vb.up[0] + n[1]*vb.up[1] + n[2]*vb.up[2]) * ns
		nz := -(n[0]*vb.fwd[0] + n[1]*vb.fwd[1] + n[2]*vb.fwd[2]) * ns
		o.lf, o.sf = light(nx, ny, nz)
		if ps.twoSided {
			o.lb, o.sb = light(-nx, -ny, -nz)
		}
	}
}

// binStage culls one chunk's triangles and files the rest under the bands
// of rows they touch.
func (r *Renderer) binStage(item int) {
	c := r.chunks[item]
	ps := &r.prims[c.prim]
	idx := ps.prim.Indices
	verts := r.verts[ps.vbase : ps.vbase+len(ps.prim.Positions)/3]
	nv := uint32(len(verts))
	bins := r.bins[item*r.nBands : (item+1)*r.nBands]
	fw, fh := float32(r.w), float32(r.h)
	bandH := r.bandH
	for t := c.t0; t < c.t1; t++ {
		i0, i1, i2 := idx[t*3], idx[t*3+1], idx[t*3+2]
		if i0 >= nv || i1 >= nv || i2 >= nv {
			continue
		}
		v0, v1, v2 := &verts[i0], &verts[i1], &verts[i2]
		if o := v0.out | v1.out | v2.out; o != 0 {
			if v0.out&v1.out&v2.out != 0 {
				continue
			}
			for b := range bins { // rare: clipped at draw time
				bins[b] = append(bins[b], uint32(t))
			}
			continue
		}
		area := (v1.sx-v0.sx)*(v2.sy-v0.sy) - (v1.sy-v0.sy)*(v2.sx-v0.sx)
		if area == 0 || (ps.cull && (area > 0) != ps.flip) { // glTF front faces are counter-clockwise: negative here (y down)
			continue
		}
		minX, maxX := min(v0.sx, v1.sx, v2.sx), max(v0.sx, v1.sx, v2.sx)
		minY, maxY := min(v0.sy, v1.sy, v2.sy), max(v0.sy, v1.sy, v2.sy)
		// Skip triangles that cover no pixel centre (most of a dense mesh
		// seen small): conservative by a fixed-point step.
		const eps = 1.0 / 16
		xa := float32(math.Ceil(float64(minX - 0.5 - eps)))
		xb := float32(math.Floor(float64(maxX - 0.5 + eps)))
		ya := float32(math.Ceil(float64(minY - 0.5 - eps)))
		yb := float32(math.Floor(float64(maxY - 0.5 + eps)))
		if xa > xb || ya > yb || xb < 0 || yb < 0 || xa >= fw || ya >= fh {
			continue
		}
		b0 := max(0, int(ya)) / bandH
		b1 := min(r.h-1, int(yb)) / bandH
		for b := b0; b <= b1; b++ {
			bins[b] = append(bins[b], uint32(t))
		}
	}
}

// rasterStage clears one band of rows and draws every triangle filed
// under it, chunk by chunk in draw order.
func (r *Renderer) rasterStage(band int) {
	y0 := band * r.bandH
	y1 := min(y0+r.bandH, r.h)
	col := r.colour[y0*r.w*4 : y1*r.w*4]
	bg := r.bg
	for i := 0; i < len(col); i += 4 {
		col[i], col[i+1], col[i+2], col[i+3] = bg[0], bg[1], bg[2], bg[3]
	}
	clear(r.depth[y0*r.w : y1*r.w])
	drawn := false
	for _, ci := range r.order {
		c := r.chunks[ci]
		ps := &r.prims[c.prim]
		for _, t := range r.bins[int(ci)*r.nBands+band] {
			if r.drawTri(ps, int(t), y0, y1) {
				drawn = true
			}
		}
	}
	r.drawnBnd[band] = drawn
}
