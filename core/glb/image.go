package glb

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"sync"

	"golang.org/x/image/webp"
)

// imageFormat is an encoded image's format, sniffed from its bytes (the
// declared MIME type is often wrong).
type imageFormat uint8

const (
	formatUnknown imageFormat = iota
	formatPNG
	formatJPEG
	formatWebP
	formatKTX2
)

func (f imageFormat) mime() string {
	switch f {
	case formatPNG:
		return "image/png"
	case formatJPEG:
		return "image/jpeg"
	case formatWebP:
		return "image/webp"
	case formatKTX2:
		return "image/ktx2"
	}
	return ""
}

// maxTexturePixels bounds a texture's decoded size; the header is checked
// before decoding. maxTextureRatio bounds decoded bytes per encoded byte
// (deflate cannot exceed ~1032:1), so a tiny file cannot declare a giant
// image and make us allocate for it.
const (
	maxTexturePixels = 8192 * 8192
	maxTextureRatio  = 1100
)

func sniffImage(b []byte) imageFormat {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return formatJPEG
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return formatWebP
	case bytes.HasPrefix(b, []byte("\xabKTX 20\xbb\r\n\x1a\n")):
		return formatKTX2
	}
	return formatUnknown
}

// decodeImage decodes PNG, JPEG or WebP into sRGB, non-premultiplied NRGBA.
func decodeImage(data []byte, f imageFormat) (*image.NRGBA, error) {
	var cfg image.Config
	var err error
	switch f {
	case formatPNG:
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	case formatJPEG:
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case formatWebP:
		cfg, err = webp.DecodeConfig(bytes.NewReader(data))
	default:
		return nil, errors.New("unsupported image format")
	}
	if err != nil {
		return nil, fmt.Errorf("texture header: %w", err)
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 || pixels > maxTexturePixels || pixels*4 > int64(len(data))*maxTextureRatio+1<<16 {
		return nil, fmt.Errorf("texture size %d×%d is not supported", cfg.Width, cfg.Height)
	}
	var img image.Image
	switch f {
	case formatPNG:
		img, err = png.Decode(bytes.NewReader(data))
	case formatJPEG:
		img, err = jpeg.Decode(bytes.NewReader(data))
	default:
		img, err = webp.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("texture: %w", err)
	}
	return toNRGBA(img), nil
}

// toNRGBA converts without a per-pixel interface call for the common types.
func toNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.NRGBA:
		return m
	case *image.RGBA:
		if opaque(m.Pix) {
			// Opaque premultiplied and straight alpha are the same bytes.
			return &image.NRGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
		}
	case *image.YCbCr, *image.Gray, *image.CMYK:
		// draw's fast paths convert these into RGBA; they are opaque. Two
		// halves converted at once: a 2048² JPEG's colour conversion is a
		// quarter of its decode time.
		dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		mid := b.Dy() / 2
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			draw.Draw(dst, image.Rect(0, 0, b.Dx(), mid), img, b.Min, draw.Src)
		}()
		draw.Draw(dst, image.Rect(0, mid, b.Dx(), b.Dy()), img, image.Pt(b.Min.X, b.Min.Y+mid), draw.Src)
		wg.Wait()
		return &image.NRGBA{Pix: dst.Pix, Stride: dst.Stride, Rect: dst.Rect}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	return dst
}

func opaque(pix []byte) bool {
	for i := 3; i < len(pix); i += 4 {
		if pix[i] != 0xFF {
			return false
		}
	}
	return true
}

// srgbToLinear maps an 8-bit sRGB value to linear.
var srgbToLinear = func() (t [256]float32) {
	for i := range t {
		c := float64(i) / 255
		if c <= 0.04045 {
			t[i] = float32(c / 12.92)
		} else {
			t[i] = float32(math.Pow((c+0.055)/1.055, 2.4))
		}
	}
	return t
}()

// meanLinear is the mean linear RGB of a sample of the image's pixels.
func meanLinear(m *image.NRGBA) [3]float32 {
	b := m.Rect
	step := max(1, b.Dx()/256, b.Dy()/256)
	var sum [3]float64
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y += step {
		row := m.Pix[(y-b.Min.Y)*m.Stride:]
		for x := 0; x < b.Dx(); x += step {
			p := row[x*4:]
			sum[0] += float64(srgbToLinear[p[0]])
			sum[1] += float64(srgbToLinear[p[1]])
			sum[2] += float64(srgbToLinear[p[2]])
			n++
		}
	}
	if n == 0 {
		return [3]float32{}
	}
	return [3]float32{float32(sum[0] / float64(n)), float32(sum[1] / float64(n)), float32(sum[2] / float64(n))}
}
