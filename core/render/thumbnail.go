package render

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"meshdrop/core/fsutil"
	"meshdrop/core/glb"
)

// DefaultThumbSize is the gallery's thumbnail size in pixels.
const DefaultThumbSize = 256

// MaxThumbSize bounds thumbnail sizes (the frame buffer is 4× the pixels).
const MaxThumbSize = 4096

// Thumbnail draws the scene from a three-quarter view, fitted and centred,
// 2×2 supersampled, on a transparent background. When nothing could be
// drawn, the scene's notes (e.g. "Draco geometry is not supported") are
// written on it instead so the gallery says why.
func Thumbnail(s *glb.Scene, size int) *image.NRGBA {
	return ThumbnailOn(s, size, color.NRGBA{})
}

// ThumbnailOn is Thumbnail on a background colour (a theme's), for places
// that cannot composite a transparent image.
func ThumbnailOn(s *glb.Scene, size int, bg color.NRGBA) *image.NRGBA {
	size = clampSize(size)
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	r := NewRenderer(s)
	cam := FitCamera(s, ThumbYaw, ThumbPitch, 1)
	r.Draw(img, cam, Options{Supersample: 2, Background: bg})
	if !r.Drawn() {
		drawNotes(img, notesOrDefault(s))
	}
	return img
}

// Turntable draws frames views of the scene turning once around its
// vertical axis, for the gallery's hover animation. The camera distance is
// the largest any frame needs, so the model does not zoom while turning.
func Turntable(s *glb.Scene, size, frames int) []*image.NRGBA {
	size = clampSize(size)
	frames = max(1, min(frames, 360))
	r := NewRenderer(s)
	cams := make([]Camera, frames)
	var dist float32
	centre := sceneCentre(s)
	for i := range cams {
		yaw := ThumbYaw + 2*math.Pi*float64(i)/float64(frames)
		cams[i] = FitCamera(s, yaw, ThumbPitch, 1)
		dist = max(dist, len3(sub3(cams[i].Eye, cams[i].Target)))
	}
	out := make([]*image.NRGBA, frames)
	for i := range cams {
		yaw := ThumbYaw + 2*math.Pi*float64(i)/float64(frames)
		c := Camera{Target: centre, Up: [3]float32{0, 1, 0}, FovY: DefaultFovY, Near: dist * 1e-3}
		c.Eye = add3(centre, scale3(directionFrom(yaw, ThumbPitch), dist))
		img := image.NewNRGBA(image.Rect(0, 0, size, size))
		r.Draw(img, c, Options{Supersample: 2})
		if !r.Drawn() {
			drawNotes(img, notesOrDefault(s))
		}
		out[i] = img
	}
	return out
}

// ThumbnailFile loads glbPath, draws a size×size thumbnail and writes it
// to pngPath atomically (readers never see a partial PNG).
func ThumbnailFile(glbPath, pngPath string, size int) error {
	s, err := glb.Open(glbPath)
	if err != nil {
		return fmt.Errorf("cannot make a thumbnail of %s: %w", glbPath, err)
	}
	img := Thumbnail(s, size)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return fmt.Errorf("cannot encode the thumbnail of %s: %w", glbPath, err)
	}
	if err := fsutil.WriteFileAtomic(pngPath, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("cannot write the thumbnail %s: %w", pngPath, err)
	}
	return nil
}

func clampSize(size int) int {
	if size <= 0 {
		return DefaultThumbSize
	}
	return min(size, MaxThumbSize)
}

func sceneCentre(s *glb.Scene) [3]float32 {
	b := sceneBounds(s)
	return scale3(add3(b.Min, b.Max), 0.5)
}

// noGeometryNote is written on a thumbnail when nothing could be drawn and
// the loader left no note saying why.
const noGeometryNote = "Nothing to draw: the model has no visible triangles"

func notesOrDefault(s *glb.Scene) []string {
	if len(s.Notes) > 0 {
		return s.Notes
	}
	return []string{noGeometryNote}
}

// drawNotes writes notes, word-wrapped, in the middle of img on a dark
// panel, in basicfont (7×13 pixels).
func drawNotes(img *image.NRGBA, notes []string) {
	face := basicfont.Face7x13
	b := img.Bounds()
	maxChars := max(4, (b.Dx()-12)/7)
	var lines []string
	for _, n := range notes {
		lines = append(lines, wrapText(n, maxChars)...)
	}
	lineH := 15
	maxLines := max(1, (b.Dy()-8)/lineH)
	if len(lines) > maxLines {
		lines = lines[:maxLines]
	}
	panelH := len(lines)*lineH + 10
	top := b.Min.Y + (b.Dy()-panelH)/2
	panel := color.NRGBA{R: 40, G: 40, B: 44, A: 220}
	for y := max(b.Min.Y, top); y < min(b.Max.Y, top+panelH); y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			img.SetNRGBA(x, y, panel)
		}
	}
	d := font.Drawer{Dst: img, Src: image.NewUniform(color.NRGBA{R: 240, G: 240, B: 240, A: 255}), Face: face}
	for i, l := range lines {
		w := len(l) * 7
		d.Dot = fixed.P(b.Min.X+(b.Dx()-w)/2, top+5+11+i*lineH)
		d.DrawString(l)
	}
}

func wrapText(s string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(s) {
		for len(w) > width { // a word longer than the line is cut
			if cur.Len() > 0 {
				lines = append(lines, cur.String())
				cur.Reset()
			}
			lines = append(lines, w[:width])
			w = w[width:]
		}
		if cur.Len() > 0 && cur.Len()+1+len(w) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
