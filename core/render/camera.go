package render

import (
	"math"

	"meshdrop/core/glb"
)

// Camera is a perspective pinhole camera in world space (glTF: +Y up).
type Camera struct {
	Eye, Target, Up [3]float32
	FovY            float32 // vertical field of view in radians
	// Near is the distance in front of the eye below which geometry is
	// clipped. Zero picks a small fraction of the eye–target distance.
	Near float32
}

// DefaultFovY is the vertical field of view of fitted cameras (about 35°,
// a "normal" lens, so models are not distorted).
const DefaultFovY = 35 * math.Pi / 180

// Three-quarter view angles for thumbnails: the front of a glTF model faces
// +Z, so the camera sits a little to the right of the front and above it.
const (
	ThumbYaw   = 35 * math.Pi / 180
	ThumbPitch = 22 * math.Pi / 180
)

// fitMargin is the share of the image the model's larger side fills.
const fitMargin = 0.86

// viewBasis is a camera turned into the numbers the vertex stage needs.
type viewBasis struct {
	eye        [3]float32
	right      [3]float32
	up         [3]float32
	fwd        [3]float32
	focal      float32 // pixels per unit of x/w or y/w
	near       float32
	cx, cy     float32 // image centre in pixels
	width      int
	height     int
	guardPixel float32
}

func sub3(a, b [3]float32) [3]float32 { return [3]float32{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func add3(a, b [3]float32) [3]float32 { return [3]float32{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func scale3(a [3]float32, s float32) [3]float32 {
	return [3]float32{a[0] * s, a[1] * s, a[2] * s}
}
func dot3(a, b [3]float32) float32 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func cross3(a, b [3]float32) [3]float32 {
	return [3]float32{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func len3(a [3]float32) float32 { return float32(math.Sqrt(float64(dot3(a, a)))) }
func norm3(a [3]float32) [3]float32 {
	l := len3(a)
	if l == 0 || l != l {
		return [3]float32{0, 0, 1}
	}
	return scale3(a, 1/l)
}

// basis prepares the camera for an image of w×h pixels.
func (c Camera) basis(w, h int) viewBasis {
	fwd := norm3(sub3(c.Target, c.Eye))
	up := c.Up
	if up == ([3]float32{}) {
		up = [3]float32{0, 1, 0}
	}
	right := cross3(fwd, up)
	if len3(right) < 1e-6 { // looking straight along up: pick any right
		right = cross3(fwd, [3]float32{0, 0, 1})
		if len3(right) < 1e-6 {
			right = cross3(fwd, [3]float32{1, 0, 0})
		}
	}
	right = norm3(right)
	up = cross3(right, fwd)
	fov := c.FovY
	if fov <= 0 || fov >= math.Pi {
		fov = DefaultFovY
	}
	near := c.Near
	if near <= 0 {
		near = len3(sub3(c.Target, c.Eye)) * 1e-3
		if near <= 0 {
			near = 1e-4
		}
	}
	focal := float32(float64(h) / 2 / math.Tan(float64(fov)/2))
	return viewBasis{
		eye: c.Eye, right: right, up: up, fwd: fwd, focal: focal, near: near,
		cx: float32(w) / 2, cy: float32(h) / 2, width: w, height: h,
		guardPixel: float32(max(w, h)) * 4,
	}
}

// directionFrom is the unit vector from the target to the eye for a yaw
// (around +Y, 0 = looking at the model's front from +Z) and a pitch (up).
func directionFrom(yaw, pitch float64) [3]float32 {
	cp := math.Cos(pitch)
	return [3]float32{float32(math.Sin(yaw) * cp), float32(math.Sin(pitch)), float32(math.Cos(yaw) * cp)}
}

// FitCamera returns a camera looking at the scene from yaw/pitch, placed so
// the drawn geometry fills fitMargin of an image with the given aspect
// (width/height) and is centred in it. It measures the projected extent of
// the vertices themselves (sampled on big meshes), not of the bounding box,
// so a rotated view is framed tightly.
func FitCamera(s *glb.Scene, yaw, pitch float64, aspect float32) Camera {
	b := sceneBounds(s)
	centre := scale3(add3(b.Min, b.Max), 0.5)
	radius := len3(sub3(b.Max, b.Min)) / 2
	if radius <= 0 || radius != radius {
		radius = 1
	}
	dir := directionFrom(yaw, pitch)
	cam := Camera{Target: centre, Up: [3]float32{0, 1, 0}, FovY: DefaultFovY}
	tanHalf := float32(math.Tan(DefaultFovY / 2))
	dist := radius / tanHalf / fitMargin
	if aspect <= 0 {
		aspect = 1
	}
	// Two refinements: project, then re-centre the target and scale the
	// distance so the projected extent fills the margin.
	for iter := 0; iter < 3; iter++ {
		cam.Eye = add3(cam.Target, scale3(dir, dist))
		vb := cam.basis(1000, 1000)
		minX, maxX, minY, maxY, ok := projectedExtent(s, vb)
		if !ok {
			break
		}
		// Extents are in tangent units (x/w). Centre them.
		midX, midY := (minX+maxX)/2, (minY+maxY)/2
		halfW, halfH := (maxX-minX)/2/aspect, (maxY-minY)/2
		half := max(halfW, halfH)
		if half <= 0 {
			break
		}
		// Move the target so the centre of the extent is on the axis.
		shift := add3(scale3(vb.right, midX*dist), scale3(vb.up, midY*dist))
		cam.Target = add3(cam.Target, shift)
		dist *= half / (tanHalf * fitMargin)
	}
	cam.Eye = add3(cam.Target, scale3(dir, dist))
	cam.Near = dist * 1e-3
	return cam
}

// projectedExtent is the extent of x/w and y/w over (a sample of) the scene's
// vertices seen by vb; vertices behind the eye are ignored.
func projectedExtent(s *glb.Scene, vb viewBasis) (minX, maxX, minY, maxY float32, ok bool) {
	const maxSamples = 60000
	total := 0
	for i := range s.Prims {
		total += len(s.Prims[i].Positions) / 3
	}
	stride := 1
	if total > maxSamples {
		stride = total / maxSamples
	}
	minX, minY = float32(math.Inf(1)), float32(math.Inf(1))
	maxX, maxY = float32(math.Inf(-1)), float32(math.Inf(-1))
	for i := range s.Prims {
		p := s.Prims[i].Positions
		for v := 0; v+2 < len(p); v += 3 * stride {
			d := [3]float32{p[v] - vb.eye[0], p[v+1] - vb.eye[1], p[v+2] - vb.eye[2]}
			w := dot3(d, vb.fwd)
			if w <= vb.near {
				continue
			}
			x, y := dot3(d, vb.right)/w, dot3(d, vb.up)/w
			if !finite(x) || !finite(y) {
				continue
			}
			minX, maxX = min(minX, x), max(maxX, x)
			minY, maxY = min(minY, y), max(maxY, y)
			ok = true
		}
	}
	return
}

func finite(v float32) bool { return v == v && v < math.MaxFloat32 && v > -math.MaxFloat32 }

// sceneBounds is the scene's bounds, measured from the vertices when the
// loader left them empty.
func sceneBounds(s *glb.Scene) glb.Box {
	b := s.Bounds
	if b.Min[0] <= b.Max[0] && b.Min[1] <= b.Max[1] && b.Min[2] <= b.Max[2] && b != (glb.Box{}) &&
		finite(b.Min[0]+b.Min[1]+b.Min[2]+b.Max[0]+b.Max[1]+b.Max[2]) {
		return b
	}
	inf := float32(math.Inf(1))
	b = glb.Box{Min: [3]float32{inf, inf, inf}, Max: [3]float32{-inf, -inf, -inf}}
	any := false
	for i := range s.Prims {
		p := s.Prims[i].Positions
		for v := 0; v+2 < len(p); v += 3 {
			if !finite(p[v]) || !finite(p[v+1]) || !finite(p[v+2]) {
				continue
			}
			for k := 0; k < 3; k++ {
				b.Min[k] = min(b.Min[k], p[v+k])
				b.Max[k] = max(b.Max[k], p[v+k])
			}
			any = true
		}
	}
	if !any {
		return glb.Box{Min: [3]float32{-1, -1, -1}, Max: [3]float32{1, 1, 1}}
	}
	return b
}
