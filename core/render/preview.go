package render

import (
	"image"
	"image/color"
	"sync/atomic"
	"time"

	"meshdrop/core/glb"
)

// Quality is how much work a preview frame gets.
type Quality uint8

const (
	// QualityDraft draws at half resolution: used while dragging, so the
	// view follows the pointer.
	QualityDraft Quality = iota
	// QualityFull draws one sample per pixel.
	QualityFull
	// QualityBest draws 2×2 samples per pixel: the still frame after release.
	QualityBest
)

// Preview is the data side of the interactive 3D preview: a renderer, an
// orbit camera, the overlays and two reused frames. The widget (in ui/)
// feeds it pointer events and shows the frames.
type Preview struct {
	Orbit      *Orbit
	Wireframe  bool
	Normals    bool
	Background color.NRGBA

	r        *Renderer
	reduced  atomic.Pointer[Renderer] // big meshes: a simplified copy for drafts, built in the background
	dragging bool
	frames   [2]*image.NRGBA
	next     int
	last     time.Duration
	lastQ    Quality
	drawn    bool
	pending  bool
	// lastReduced is set when the last frame drew the simplified mesh.
	lastReduced bool
}

// NewPreview prepares s for an interactive view of the given aspect.
func NewPreview(s *glb.Scene, aspect float32) *Preview {
	p := &Preview{Orbit: NewOrbit(s, aspect), r: NewRenderer(s)}
	if s.Stats.Triangles > reduceAbove || countTriangles(s) > reduceAbove {
		go func() {
			p.reduced.Store(newRenderer(reduceScene(s), p.r.texs)) // one mip chain per texture
		}()
	}
	return p
}

func countTriangles(s *glb.Scene) int {
	n := 0
	for i := range s.Prims {
		n += len(s.Prims[i].Indices) / 3
	}
	return n
}

// SetDragging says whether the pointer is dragging the camera: frames are
// drafts while it is, and the next frame after release is the best one.
func (p *Preview) SetDragging(d bool) { p.dragging = d }

// Dragging reports what SetDragging last set.
func (p *Preview) Dragging() bool { return p.dragging }

// Quality is the quality the next frame will be drawn at.
func (p *Preview) Quality() Quality {
	if p.dragging {
		return QualityDraft
	}
	return QualityBest
}

// Frame draws the current view at w×h pixels into one of two reused images
// and returns it; the image stays untouched until the call after next, so
// the widget can show one frame while the following one is drawn.
func (p *Preview) Frame(w, h int) *image.NRGBA {
	w, h = max(1, w), max(1, h)
	img := p.frames[p.next]
	if img == nil || img.Rect.Dx() != w || img.Rect.Dy() != h {
		img = image.NewNRGBA(image.Rect(0, 0, w, h))
		p.frames[p.next] = img
	}
	p.next ^= 1
	q := p.Quality()
	opt := Options{Background: p.Background, Wireframe: p.Wireframe, Normals: p.Normals, NoWait: true}
	switch q {
	case QualityDraft:
		opt.HalfResolution = true
	case QualityBest:
		opt.Supersample = 2
	}
	r := p.r
	if q == QualityDraft {
		if rr := p.reduced.Load(); rr != nil {
			r = rr
		}
	}
	start := time.Now()
	r.Draw(img, p.Orbit.Camera(), opt)
	p.last, p.lastQ, p.lastReduced = time.Since(start), q, r != p.r
	p.drawn, p.pending = r.Drawn(), r.Pending()
	return img
}

// FrameStats describe the model and the last frame for the stats overlay.
type FrameStats struct {
	glb.Stats
	Notes     []string
	FrameTime time.Duration // time to draw the last frame
	Quality   Quality       // the last frame's quality
	Drawn     bool          // the last frame showed some of the model
	Reduced   bool          // the last frame drew a simplified mesh (a draft of a big model)
	// Pending is set while textures are still being decoded: the frame
	// showed base colours; ask for another frame shortly.
	Pending bool
}

// Stats is the scene's statistics passed through, with the last frame's.
func (p *Preview) Stats() FrameStats {
	s := p.r.Scene()
	return FrameStats{Stats: s.Stats, Notes: s.Notes, FrameTime: p.last, Quality: p.lastQ, Drawn: p.drawn, Reduced: p.lastReduced, Pending: p.pending}
}

// Fit refits the camera to the model for a view of the given aspect.
func (p *Preview) Fit(aspect float32) { p.Orbit.Fit(p.r.Scene(), aspect) }
