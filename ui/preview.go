package ui

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/glb"
	"meshdrop/core/render"
)

// Orbit limits and speeds.
const (
	orbitRadPerPixel = 0.01
	maxPitch         = 89 * math.Pi / 180
	zoomPerWheelUnit = 0.0015
	minZoom          = 0.05 // of the fitted distance
	maxZoom          = 20
)

// orbitView is the interactive preview: a software-rendered model that turns
// with the left button, pans with the middle or right button (or Shift+left),
// zooms with the wheel and fits on double-click. Frames are drawn by a worker
// into a back buffer and swapped in on the UI goroutine; while dragging they
// are drawn at half resolution. Views in a compare group share one orbit.
type orbitView struct {
	widget.BaseWidget

	raster *canvas.Raster
	scene  *glb.Scene
	rnd    *render.Renderer

	yaw, pitch float64
	target     [3]float32
	dist       float32
	fitDist    float32

	panning  bool
	dragging bool

	frame     *image.NRGBA // last finished frame (UI goroutine)
	rendering bool         // a worker is drawing
	again     bool         // the camera changed while it drew

	linked []*orbitView // views driven by this one's orbit (compare)
	bg     color.NRGBA
}

var (
	_ fyne.Draggable      = (*orbitView)(nil)
	_ fyne.Scrollable     = (*orbitView)(nil)
	_ fyne.DoubleTappable = (*orbitView)(nil)
	_ desktop.Mouseable   = (*orbitView)(nil)
)

func newOrbitView() *orbitView {
	v := &orbitView{}
	v.raster = canvas.NewRaster(v.generate)
	v.ExtendBaseWidget(v)
	return v
}

func (v *orbitView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(v.raster)
}

func (v *orbitView) MinSize() fyne.Size { return fyne.NewSize(240, 240) }

// SetScene shows a scene fitted to the view (UI goroutine). nil clears it.
func (v *orbitView) SetScene(s *glb.Scene) {
	v.scene = s
	v.rnd = nil
	v.frame = nil
	if s != nil {
		v.rnd = render.NewRenderer(s)
		v.fit()
	}
	v.redraw()
}

// fit frames the whole model from the thumbnail's three-quarter view.
func (v *orbitView) fit() {
	if v.scene == nil {
		return
	}
	sz := v.Size()
	aspect := float32(1)
	if sz.Height > 0 {
		aspect = sz.Width / sz.Height
	}
	cam := render.FitCamera(v.scene, render.ThumbYaw, render.ThumbPitch, aspect)
	v.yaw, v.pitch = render.ThumbYaw, render.ThumbPitch
	v.target = cam.Target
	v.dist = length3(sub3(cam.Eye, cam.Target))
	v.fitDist = v.dist
}

// camera is the orbit as a render camera.
func (v *orbitView) camera() render.Camera {
	cp := math.Cos(v.pitch)
	dir := [3]float32{float32(math.Sin(v.yaw) * cp), float32(math.Sin(v.pitch)), float32(math.Cos(v.yaw) * cp)}
	eye := [3]float32{v.target[0] + dir[0]*v.dist, v.target[1] + dir[1]*v.dist, v.target[2] + dir[2]*v.dist}
	return render.Camera{Eye: eye, Target: v.target, Up: [3]float32{0, 1, 0}, FovY: render.DefaultFovY, Near: v.dist * 1e-3}
}

// generate is the raster's pixel source: the last frame; a new one is asked
// for when the size changed.
func (v *orbitView) generate(w, h int) image.Image {
	if v.frame == nil || v.frame.Rect.Dx() != w || v.frame.Rect.Dy() != h {
		v.startFrame(w, h)
	}
	if v.frame == nil {
		return image.NewNRGBA(image.Rect(0, 0, 1, 1))
	}
	return v.frame
}

// redraw asks for a new frame at the current pixel size.
func (v *orbitView) redraw() {
	w, h := v.pixelSize()
	v.startFrame(w, h)
	for _, o := range v.linked {
		o.yaw, o.pitch = v.yaw, v.pitch
		o.dist = o.fitDist * v.dist / max(v.fitDist, 1e-6)
		ow, oh := o.pixelSize()
		o.startFrame(ow, oh)
	}
}

func (v *orbitView) pixelSize() (int, int) {
	sz := v.Size()
	scale := float32(1)
	if c := fyne.CurrentApp(); c != nil {
		if d := c.Driver(); d != nil {
			if cv := d.CanvasForObject(v); cv != nil {
				scale = cv.Scale()
			}
		}
	}
	return int(sz.Width * scale), int(sz.Height * scale)
}

// startFrame draws a frame in a worker; one at a time per view.
func (v *orbitView) startFrame(w, h int) {
	if v.rnd == nil || w <= 0 || h <= 0 {
		return
	}
	if v.rendering {
		v.again = true
		return
	}
	v.rendering = true
	rnd, cam := v.rnd, v.camera()
	opt := render.Options{Background: v.bg, HalfResolution: v.dragging}
	go func() {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		rnd.Draw(img, cam, opt)
		fyne.Do(func() {
			v.rendering = false
			if rnd != v.rnd {
				// The scene changed meanwhile: this frame is stale, and
				// the new scene's redraw waited for this worker.
				if v.again {
					v.again = false
					v.redraw()
				}
				return
			}
			v.frame = img
			v.raster.Refresh()
			if v.again {
				v.again = false
				v.redraw()
			}
		})
	}()
}

// MouseDown picks orbit or pan from the button and Shift.
func (v *orbitView) MouseDown(ev *desktop.MouseEvent) {
	v.panning = ev.Button == desktop.MouseButtonSecondary || ev.Button == desktop.MouseButtonTertiary ||
		ev.Modifier&fyne.KeyModifierShift != 0
}

func (v *orbitView) MouseUp(*desktop.MouseEvent) {}

// Dragged orbits or pans.
func (v *orbitView) Dragged(ev *fyne.DragEvent) {
	if v.scene == nil {
		return
	}
	v.dragging = true
	if v.panning {
		v.pan(ev.Dragged.DX, ev.Dragged.DY)
	} else {
		v.orbit(ev.Dragged.DX, ev.Dragged.DY)
	}
	v.redraw()
}

// DragEnd draws the full-resolution frame.
func (v *orbitView) DragEnd() {
	v.dragging = false
	v.panning = false
	v.redraw()
}

func (v *orbitView) orbit(dx, dy float32) {
	v.yaw -= float64(dx) * orbitRadPerPixel
	v.pitch = math.Max(-maxPitch, math.Min(maxPitch, v.pitch+float64(dy)*orbitRadPerPixel))
}

// pan moves the target in the view plane so the model follows the pointer.
func (v *orbitView) pan(dx, dy float32) {
	sz := v.Size()
	if sz.Height <= 0 {
		return
	}
	cam := v.camera()
	fwd := norm3(sub3(cam.Target, cam.Eye))
	right := norm3(cross3(fwd, [3]float32{0, 1, 0}))
	up := cross3(right, fwd)
	perPixel := 2 * v.dist * float32(math.Tan(render.DefaultFovY/2)) / sz.Height
	for i := 0; i < 3; i++ {
		v.target[i] += -right[i]*dx*perPixel + up[i]*dy*perPixel
	}
}

// Scrolled zooms.
func (v *orbitView) Scrolled(ev *fyne.ScrollEvent) {
	if v.scene == nil {
		return
	}
	f := float32(math.Exp(-float64(ev.Scrolled.DY) * zoomPerWheelUnit * 10))
	v.dist = min(max(v.dist*f, v.fitDist*minZoom), v.fitDist*maxZoom)
	v.redraw()
}

// DoubleTapped fits the model again.
func (v *orbitView) DoubleTapped(*fyne.PointEvent) {
	v.fit()
	v.redraw()
}

// Resize redraws at the new size.
func (v *orbitView) Resize(s fyne.Size) {
	v.BaseWidget.Resize(s)
	v.raster.Resize(s)
}

func sub3(a, b [3]float32) [3]float32 { return [3]float32{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func cross3(a, b [3]float32) [3]float32 {
	return [3]float32{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func length3(a [3]float32) float32 {
	return float32(math.Sqrt(float64(a[0]*a[0] + a[1]*a[1] + a[2]*a[2])))
}
func norm3(a [3]float32) [3]float32 {
	l := length3(a)
	if l == 0 {
		return a
	}
	return [3]float32{a[0] / l, a[1] / l, a[2] / l}
}
