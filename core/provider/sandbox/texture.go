package sandbox

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
)

// rng is a small deterministic generator (splitmix64), so the same prompt
// and seed give the same model on every machine and Go version (math/rand's
// streams are not promised to stay the same).
type rng struct{ s uint64 }

func newRNG(seed uint64) *rng { return &rng{s: seed} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns 0 ≤ x < n (n > 0).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// float returns 0 ≤ x < 1.
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// noise is seeded value noise, periodic in x with period px cells (so a
// texture wraps round a lathe's seam without a line).
type noise struct{ seed uint64 }

func (n noise) lattice(x, y int) float64 {
	h := uint64(int64(x))*0x9e3779b97f4a7c15 ^ uint64(int64(y))*0xc2b2ae3d27d4eb4f ^ n.seed
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return float64(h>>11) / (1 << 53)
}

// at samples the noise at (x, y) in cells; x wraps every px cells.
func (n noise) at(x, y float64, px int) float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	ix, iy := int(x0), int(y0)
	wrap := func(i int) int { return ((i % px) + px) % px }
	sx, sy := fx*fx*(3-2*fx), fy*fy*(3-2*fy)
	a := n.lattice(wrap(ix), iy)
	b := n.lattice(wrap(ix+1), iy)
	c := n.lattice(wrap(ix), iy+1)
	d := n.lattice(wrap(ix+1), iy+1)
	return a + (b-a)*sx + (c-a)*sy + (a-b-c+d)*sx*sy
}

// fbm sums octaves of noise, 0–1, periodic in u over [0,1).
func (n noise) fbm(u, v float64, freq, octaves int) float64 {
	sum, amp, norm := 0.0, 0.5, 0.0
	f := freq
	for range octaves {
		sum += amp * n.at(u*float64(f), v*float64(f), f)
		norm += amp
		amp /= 2
		f *= 2
	}
	return sum / norm
}

// TextureSize is the side of the square procedural textures in pixels.
func textureSize(detail string) int {
	switch detail {
	case DetailLow:
		return 64
	case DetailHigh:
		return 256
	}
	return 128
}

// shade is the brightness pattern of a material at texture point (u, v),
// around 1, which scales the item's colour.
func shade(material string, nz noise, u, v float64) float64 {
	switch material {
	case MatWood:
		// Rings across the grain, warped by noise, with fine streaks.
		d := v*6 + 1.2*nz.fbm(u, v, 4, 3)
		ring := 0.5 + 0.5*math.Sin(2*math.Pi*d)
		streak := nz.fbm(u, v*0.05, 32, 2)
		return 0.72 + 0.22*math.Pow(ring, 3) + 0.12*streak
	case MatMetal:
		// Brushed: noise stretched along u.
		return 0.82 + 0.22*nz.fbm(u, v*16, 2, 3)
	case MatStone:
		s := nz.fbm(u, v, 8, 4)
		speck := nz.at(u*64, v*64, 64)
		return 0.6 + 0.5*s + 0.12*(speck-0.5)
	case MatMarble:
		// Dark veins where a turbulent sine crosses zero.
		t := math.Sin(2 * math.Pi * (u*2 + v*1.5 + 1.8*nz.fbm(u, v, 4, 4)))
		return 1.02 - 0.45*math.Pow(1-math.Abs(t), 10)
	case MatPlastic:
		return 0.97 + 0.04*nz.fbm(u, v, 8, 2)
	case MatGlass:
		return 1
	case MatRubber:
		return 0.9 + 0.15*nz.at(u*96, v*96, 96)
	case MatClay:
		return 0.82 + 0.2*nz.fbm(u, v, 6, 3)
	}
	return 0.9 + 0.1*nz.fbm(u, v, 8, 3)
}

// texturePNG draws the material's pattern in the colour as a PNG.
func texturePNG(material string, c rgb, seed uint64, size int) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	nz := noise{seed: seed}
	for y := range size {
		v := (float64(y) + 0.5) / float64(size)
		for x := range size {
			u := (float64(x) + 0.5) / float64(size)
			s := shade(material, nz, u, v)
			img.SetNRGBA(x, y, color.NRGBA{scale(c[0], s), scale(c[1], s), scale(c[2], s), 255})
		}
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func scale(c uint8, s float64) uint8 {
	v := float64(c) * s
	if v > 255 {
		return 255
	}
	if v < 0 {
		return 0
	}
	return uint8(v + 0.5)
}

// surface is how a material reflects, as glTF metallic-roughness factors.
type surface struct {
	metallic, roughness, alpha float32
}

var surfaces = map[string]surface{
	MatMatte:   {0, 0.75, 1},
	MatWood:    {0, 0.7, 1},
	MatMetal:   {1, 0.3, 1},
	MatStone:   {0, 0.9, 1},
	MatMarble:  {0, 0.2, 1},
	MatPlastic: {0, 0.35, 1},
	MatGlass:   {0, 0.05, 0.4},
	MatRubber:  {0, 0.95, 1},
	MatClay:    {0, 0.8, 1},
}
