package render

import (
	"image"
	"math"
	"sync"
	"sync/atomic"

	"meshdrop/core/glb"
)

// mipLevel is one level of a texture: sRGB RGBA bytes, not premultiplied.
type mipLevel struct {
	pix    []uint8
	stride int
	w, h   int
}

// mipTex is a texture with its mip chain, built once when first drawn.
type mipTex struct {
	levels []mipLevel
}

// textureCache holds the mip chains of the textures a renderer has drawn,
// so a texture is decoded and downsampled once, not once per frame.
type textureCache struct {
	mu sync.Mutex
	m  map[*glb.Texture]*cachedTex
}

type cachedTex struct {
	once sync.Once
	mt   *mipTex
	done atomic.Bool // mt is final
}

// get returns the mip chain of t, waiting for its decode and building the
// chain on first use (once, however many goroutines ask); nil when the
// texture could not be decoded (the material's base colour factor is drawn
// instead).
func (c *textureCache) get(t *glb.Texture) *mipTex {
	if t == nil {
		return nil
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[*glb.Texture]*cachedTex)
	}
	e := c.m[t]
	if e == nil {
		e = &cachedTex{}
		c.m[t] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		img, err := t.Image()
		if err == nil && img != nil && img.Rect.Dx() > 0 && img.Rect.Dy() > 0 {
			e.mt = buildMips(img)
		}
		e.done.Store(true)
	})
	return e.mt
}

// peek returns the mip chain of t if it is ready, without waiting.
func (c *textureCache) peek(t *glb.Texture) (mt *mipTex, ready bool) {
	c.mu.Lock()
	e := c.m[t]
	c.mu.Unlock()
	if e == nil || !e.done.Load() {
		if e == nil {
			go c.get(t)
		}
		return nil, false
	}
	return e.mt, true
}

// prefetch builds the mip chains of textures in the background, so that
// decoding and downsampling overlap the geometry work of the first frame.
func (c *textureCache) prefetch(ts []*glb.Texture) {
	for _, t := range ts {
		go c.get(t)
	}
}

// srgbToLinear8 maps an sRGB byte to linear light.
var srgbToLinear8 [256]float32

// linearToSRGB maps linear light in [0, lutRange] (lutSize steps) to an sRGB
// byte, with a soft shoulder above lutKnee so bright highlights and strong
// emissive roll off instead of clipping flat.
var linearToSRGB [lutSize + 1]uint8

const (
	lutSize  = 4096
	lutRange = 2.0
	lutKnee  = 0.8
)

func init() {
	for i := range srgbToLinear8 {
		srgbToLinear8[i] = float32(srgbDecode(float64(i) / 255))
	}
	for i := range linearToSRGB {
		c := float64(i) / lutSize * lutRange
		if c > lutKnee {
			c = lutKnee + (1-lutKnee)*(1-math.Exp(-(c-lutKnee)/(1-lutKnee)))
		}
		linearToSRGB[i] = uint8(math.Round(srgbEncode(c) * 255))
		plainSRGB[i] = uint8(math.Round(srgbEncode(float64(i)/lutSize) * 255))
	}
}

func srgbDecode(c float64) float64 {
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

func srgbEncode(c float64) float64 {
	if c <= 0 {
		return 0
	}
	if c >= 1 {
		return 1
	}
	if c <= 0.0031308 {
		return c * 12.92
	}
	return 1.055*math.Pow(c, 1/2.4) - 0.055
}

// plainSRGB is linearToSRGB without the shoulder, for texture filtering.
var plainSRGB [lutSize + 1]uint8

// encodeSRGB converts linear light in [0, 1] to an sRGB byte.
func encodeSRGB(c float32) uint8 {
	if !(c > 0) { // also NaN
		return 0
	}
	if c >= 1 {
		return plainSRGB[lutSize]
	}
	return plainSRGB[int(c*lutSize)]
}

// toSRGB converts linear light to an sRGB byte through the table.
func toSRGB(c float32) uint8 {
	if !(c > 0) { // also NaN
		return 0
	}
	if c >= lutRange {
		return linearToSRGB[lutSize]
	}
	return linearToSRGB[int(c*(lutSize/lutRange))]
}

// buildMips makes the mip chain of img: level 0 shares img's pixels, every
// next level halves each side with a 2×2 box filter in linear light, down
// to 1×1. Levels after the first are built in parallel bands of rows.
func buildMips(img *image.NRGBA) *mipTex {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	l0 := mipLevel{pix: img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y):], stride: img.Stride, w: w, h: h}
	mt := &mipTex{levels: []mipLevel{l0}}
	for w > 1 || h > 1 {
		src := mt.levels[len(mt.levels)-1]
		nw, nh := max(1, w/2), max(1, h/2)
		dst := mipLevel{pix: make([]uint8, nw*nh*4), stride: nw * 4, w: nw, h: nh}
		parallelRows(nh, func(y0, y1 int) { downsample(src, dst, y0, y1) })
		mt.levels = append(mt.levels, dst)
		w, h = nw, nh
	}
	return mt
}

// downsample fills rows y0..y1 of dst from src (twice the size, or the
// same along an axis that is already 1).
func downsample(src, dst mipLevel, y0, y1 int) {
	for y := y0; y < y1; y++ {
		sy0 := min(2*y, src.h-1)
		sy1 := min(2*y+1, src.h-1)
		r0 := src.pix[sy0*src.stride:]
		r1 := src.pix[sy1*src.stride:]
		out := dst.pix[y*dst.stride:]
		for x := 0; x < dst.w; x++ {
			sx0 := min(2*x, src.w-1) * 4
			sx1 := min(2*x+1, src.w-1) * 4
			// Colour is averaged in linear light weighted by alpha so that
			// transparent texels do not bleed their (often black) colour.
			a0, a1, a2, a3 := float32(r0[sx0+3]), float32(r0[sx1+3]), float32(r1[sx0+3]), float32(r1[sx1+3])
			asum := a0 + a1 + a2 + a3
			o := out[x*4 : x*4+4 : x*4+4]
			if asum == 0 {
				o[0], o[1], o[2], o[3] = r0[sx0], r0[sx0+1], r0[sx0+2], 0
				continue
			}
			for c := 0; c < 3; c++ {
				v := srgbToLinear8[r0[sx0+c]]*a0 + srgbToLinear8[r0[sx1+c]]*a1 +
					srgbToLinear8[r1[sx0+c]]*a2 + srgbToLinear8[r1[sx1+c]]*a3
				o[c] = encodeSRGB(v / asum)
			}
			o[3] = uint8(asum/4 + 0.5)
		}
	}
}

// sample reads level l at (u, v) with bilinear filtering and repeat
// wrapping (glTF's default sampler) and returns linear RGB and alpha.
func (l *mipLevel) sample(u, v float32) (r, g, b, a float32) {
	x := u*float32(l.w) - 0.5
	y := v*float32(l.h) - 0.5
	if x != x || y != y || x > 1e7 || x < -1e7 || y > 1e7 || y < -1e7 {
		x, y = 0, 0
	}
	fx0 := float32(math.Floor(float64(x)))
	fy0 := float32(math.Floor(float64(y)))
	fx, fy := x-fx0, y-fy0
	x0 := wrap(int(fx0), l.w)
	y0 := wrap(int(fy0), l.h)
	x1 := x0 + 1
	if x1 == l.w {
		x1 = 0
	}
	y1 := y0 + 1
	if y1 == l.h {
		y1 = 0
	}
	p00 := l.pix[y0*l.stride+x0*4:]
	p10 := l.pix[y0*l.stride+x1*4:]
	p01 := l.pix[y1*l.stride+x0*4:]
	p11 := l.pix[y1*l.stride+x1*4:]
	w00 := (1 - fx) * (1 - fy)
	w10 := fx * (1 - fy)
	w01 := (1 - fx) * fy
	w11 := fx * fy
	r = srgbToLinear8[p00[0]]*w00 + srgbToLinear8[p10[0]]*w10 + srgbToLinear8[p01[0]]*w01 + srgbToLinear8[p11[0]]*w11
	g = srgbToLinear8[p00[1]]*w00 + srgbToLinear8[p10[1]]*w10 + srgbToLinear8[p01[1]]*w01 + srgbToLinear8[p11[1]]*w11
	b = srgbToLinear8[p00[2]]*w00 + srgbToLinear8[p10[2]]*w10 + srgbToLinear8[p01[2]]*w01 + srgbToLinear8[p11[2]]*w11
	a = (float32(p00[3])*w00 + float32(p10[3])*w10 + float32(p01[3])*w01 + float32(p11[3])*w11) * (1.0 / 255)
	return
}

func wrap(i, n int) int {
	if i >= 0 && i < n {
		return i
	}
	i %= n
	if i < 0 {
		i += n
	}
	return i
}

// parallelRows splits rows 0..n over all cores (used off the per-frame path).
func parallelRows(n int, fn func(y0, y1 int)) {
	w := workers()
	if w <= 1 || n < 64 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + w - 1) / w
	for y := 0; y < n; y += step {
		wg.Add(1)
		go func(y0, y1 int) {
			defer wg.Done()
			fn(y0, y1)
		}(y, min(n, y+step))
	}
	wg.Wait()
}
