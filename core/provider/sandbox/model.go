package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	_ "image/jpeg" // input images
	"image/png"
	"math"
	"strings"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // input images

	"meshdrop/core/meshio"
)

// Detail levels (the "detail" option).
const (
	DetailLow    = "low"
	DetailMedium = "medium"
	DetailHigh   = "high"
)

// seedFor is the seed a prompt uses when the request names none: derived
// from the prompt, so the same words always give the same model.
func seedFor(prompt string) uint64 {
	h := sha256.Sum256([]byte(prompt))
	return binary.LittleEndian.Uint64(h[:8]) & 0xffffffff
}

// TextModel builds the model a prompt describes.
func TextModel(prompt string, seed uint64, detail string) (*meshio.Model, error) {
	rnd := newRNG(seed ^ seedFor(prompt)<<32)
	p := parsePrompt(prompt, rnd.intn)
	n := segments(detail)
	size := textureSize(detail)
	m := &meshio.Model{Name: modelName(prompt)}
	// Items stand side by side along X, 1.2 units apart, centred on the origin.
	const gap = 1.2
	x0 := -gap * float64(len(p.Items)-1) / 2
	for i, it := range p.Items {
		mesh := buildShape(it.Shape, n, rnd)
		tex, err := texturePNG(it.Material, it.Colour, rnd.next(), size)
		if err != nil {
			return nil, fmt.Errorf("sandbox texture: %w", err)
		}
		s := surfaces[it.Material]
		name := strings.TrimSpace(fmt.Sprintf("%s %s %s", it.ColourName, it.Material, it.Shape))
		m.Parts = append(m.Parts, meshio.Part{
			Name: name,
			Mesh: mesh,
			Material: meshio.Material{
				Name:       name,
				BaseColor:  [4]float32{1, 1, 1, s.alpha},
				Metallic:   s.metallic,
				Roughness:  s.roughness,
				TexturePNG: tex,
				Blend:      s.alpha < 1,
			},
			Translation: [3]float32{float32(x0 + gap*float64(i)), 0, 0},
		})
	}
	return m, nil
}

// modelName is a short name for the scene from the prompt.
func modelName(prompt string) string {
	r := []rune(prompt)
	if len(r) > 60 {
		r = append(r[:59], '…')
	}
	if len(r) == 0 {
		return "sandbox model"
	}
	return string(r)
}

// Relief limits.
const (
	reliefTexMax   = 512 // longest side of the texture taken from the image
	reliefDepth    = 0.12
	reliefBase     = 0.03
	maxImagePixels = 40 << 20 // refuse decoding bombs
)

// decodeImage reads a PNG, JPEG or WebP, refusing absurd sizes before the
// pixels are decoded.
func decodeImage(data []byte) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("the image is not a PNG, JPEG or WebP file: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxImagePixels {
		return nil, fmt.Errorf("the %s image is %d×%d pixels: too large", format, cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("the %s image could not be read: %w", format, err)
	}
	return img, nil
}

// ReliefModel turns an image into a plate whose top is raised by the image's
// brightness and textured with the image itself.
func ReliefModel(data []byte, name, detail string) (*meshio.Model, error) {
	img, err := decodeImage(data)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	// The texture: the image, at most reliefTexMax on its longest side.
	tw, th := fit(w, h, reliefTexMax)
	// RGBA is draw's fast destination; transparent parts end up over black.
	tex := image.NewRGBA(image.Rect(0, 0, tw, th))
	if tw == w && th == h {
		draw.Draw(tex, tex.Bounds(), img, b.Min, draw.Src)
	} else {
		draw.ApproxBiLinear.Scale(tex, tex.Bounds(), img, b, draw.Src, nil)
	}
	for i := 3; i < len(tex.Pix); i += 4 {
		tex.Pix[i] = 255 // the plate is opaque
	}
	var pb bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&pb, tex); err != nil {
		return nil, fmt.Errorf("sandbox relief texture: %w", err)
	}
	// The height field: brightness on a grid of at most n cells a side.
	gw, gh := fit(w, h, segments(detail)*2)
	gw, gh = max(gw, 2), max(gh, 2)
	// Scaled from the texture, then
	// brightness by the Rec. 601 weights.
	hf := image.NewRGBA(image.Rect(0, 0, gw+1, gh+1))
	draw.ApproxBiLinear.Scale(hf, hf.Bounds(), tex, tex.Bounds(), draw.Src, nil)
	lum := func(x, y int) float64 {
		c := hf.RGBAAt(x, y)
		return (0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)) / 255
	}
	// One unit across the longest side, standing upright facing +Z.
	sx, sy := float64(w)/float64(max(w, h)), float64(h)/float64(max(w, h))
	height := func(u, v float64) float64 {
		x, y := int(math.Round(u*float64(gw))), int(math.Round(v*float64(gh)))
		return reliefBase + reliefDepth*lum(x, y)
	}
	at := func(u, v, z float64) [3]float64 { return [3]float64{(u - 0.5) * sx, (1 - v) * sy, z} }
	top := grid(gw, gh, func(u, v float64) [3]float64 { return at(u, v, height(u, v)) })
	back := grid(1, 1, func(u, v float64) [3]float64 { return at(u, v, 0) })
	// Walls round the edge, from the back (z = 0) up to the relief.
	wall := func(cells int, edge func(t float64) (u, v float64)) *meshio.Mesh {
		m := grid(cells, 1, func(t, k float64) [3]float64 {
			u, v := edge(t)
			return at(u, v, k*height(u, v))
		})
		return m
	}
	centre := [3]float64{0, sy / 2, reliefBase / 2}
	orient(top, [3]float64{0, sy / 2, -10}) // the top faces +Z
	smooth(top)
	mesh := &meshio.Mesh{}
	mesh.Append(top)
	for _, p := range []*meshio.Mesh{
		back,
		wall(gw, func(t float64) (float64, float64) { return t, 0 }),
		wall(gw, func(t float64) (float64, float64) { return t, 1 }),
		wall(gh, func(t float64) (float64, float64) { return 0, t }),
		wall(gh, func(t float64) (float64, float64) { return 1, t }),
	} {
		orient(p, centre)
		p.ComputeNormals()
		mesh.Append(p)
	}
	return &meshio.Model{Name: name, Parts: []meshio.Part{{
		Name: name,
		Mesh: mesh,
		Material: meshio.Material{
			Name: name, BaseColor: [4]float32{1, 1, 1, 1}, Roughness: 0.6, TexturePNG: pb.Bytes(),
		},
	}}}, nil
}

// fit scales w×h so its longest side is at most n, keeping at least 1.
func fit(w, h, n int) (int, int) {
	if w <= n && h <= n {
		return w, h
	}
	if w >= h {
		return n, max(1, h*n/w)
	}
	return max(1, w*n/h), n
}
