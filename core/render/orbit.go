package render

import (
	"math"

	"meshdrop/core/glb"
)

// Orbit is the preview's camera: it turns around a target point at a
// distance, pans the target in the view plane and zooms by changing the
// distance. Angles are in radians; yaw 0 looks at the model's front (+Z).
type Orbit struct {
	Target   [3]float32
	Yaw      float64
	Pitch    float64
	Distance float32
	FovY     float32

	home   orbitPose // what Reset returns to
	radius float32   // the model's size, bounding zoom and pan
}

type orbitPose struct {
	target     [3]float32
	yaw, pitch float64
	distance   float32
}

// maxPitch keeps the camera off the poles, where "up" is undefined.
const maxPitch = 89 * math.Pi / 180

// Zoom limits relative to the model's radius.
const (
	minZoomDistance = 0.05
	maxZoomDistance = 50
)

// NewOrbit returns an orbit camera on the three-quarter view, fitted to s
// for a view of the given aspect (width/height).
func NewOrbit(s *glb.Scene, aspect float32) *Orbit {
	o := &Orbit{Yaw: ThumbYaw, Pitch: ThumbPitch, FovY: DefaultFovY}
	o.Fit(s, aspect)
	o.home = o.pose()
	return o
}

func (o *Orbit) pose() orbitPose {
	return orbitPose{target: o.Target, yaw: o.Yaw, pitch: o.Pitch, distance: o.Distance}
}

// Camera is the orbit's current camera.
func (o *Orbit) Camera() Camera {
	dir := directionFrom(o.Yaw, o.Pitch)
	return Camera{
		Eye: add3(o.Target, scale3(dir, o.Distance)), Target: o.Target,
		Up: [3]float32{0, 1, 0}, FovY: o.FovY, Near: o.Distance * 1e-3,
	}
}

// Rotate turns the camera around the target by dYaw and dPitch radians.
func (o *Orbit) Rotate(dYaw, dPitch float64) {
	o.Yaw = math.Mod(o.Yaw+dYaw, 2*math.Pi)
	o.Pitch = max(-maxPitch, min(maxPitch, o.Pitch+dPitch))
}

// Drag turns the camera for a mouse drag of (dx, dy) pixels in a view
// viewHeight pixels tall: dragging across the whole height turns half a
// circle; dragging right turns the model right, dragging down tilts the
// camera up over it.
func (o *Orbit) Drag(dx, dy float32, viewHeight int) {
	if viewHeight <= 0 {
		return
	}
	k := math.Pi / float64(viewHeight)
	o.Rotate(-float64(dx)*k, float64(dy)*k)
}

// Pan moves the target so the model follows the pointer by (dx, dy)
// pixels in a view viewHeight pixels tall (right and down positive).
func (o *Orbit) Pan(dx, dy float32, viewHeight int) {
	if viewHeight <= 0 {
		return
	}
	vb := o.Camera().basis(viewHeight, viewHeight)
	perPixel := o.Distance / vb.focal
	move := add3(scale3(vb.right, -dx*perPixel), scale3(vb.up, dy*perPixel))
	o.Target = add3(o.Target, move)
	// Keep the target near the model so it can always be panned back.
	if o.radius > 0 {
		off := sub3(o.Target, o.home.target)
		if l := len3(off); l > 4*o.radius {
			o.Target = add3(o.home.target, scale3(off, 4*o.radius/l))
		}
	}
}

// Zoom moves the camera towards the target by factor (> 1 closer, < 1
// farther; a mouse wheel notch is about 1.1).
func (o *Orbit) Zoom(factor float32) {
	if !(factor > 0) {
		return
	}
	d := o.Distance / factor
	if o.radius > 0 {
		d = max(o.radius*minZoomDistance, min(o.radius*maxZoomDistance, d))
	}
	o.Distance = d
}

// Reset returns to the view the orbit was made with.
func (o *Orbit) Reset() {
	o.Target, o.Yaw, o.Pitch, o.Distance = o.home.target, o.home.yaw, o.home.pitch, o.home.distance
}

// Fit keeps the viewing direction and moves the camera so the model fills
// and is centred in a view of the given aspect.
func (o *Orbit) Fit(s *glb.Scene, aspect float32) {
	c := FitCamera(s, o.Yaw, o.Pitch, aspect)
	o.Target = c.Target
	o.Distance = len3(sub3(c.Eye, c.Target))
	b := sceneBounds(s)
	o.radius = len3(sub3(b.Max, b.Min)) / 2
	if o.FovY == 0 {
		o.FovY = DefaultFovY
	}
}
