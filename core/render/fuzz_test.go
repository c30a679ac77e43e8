package render

import (
	"encoding/binary"
	"image"
	"math"
	"testing"

	"meshdrop/core/glb"
)

// FuzzDraw draws scenes made of arbitrary numbers (NaN, infinities, huge
// and tiny values, indices out of range, mismatched attribute lengths, any
// material): the renderer must never panic or hang, whatever a loader lets
// through.
func FuzzDraw(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, 63}, uint8(3), uint8(0))
	f.Add(make([]byte, 200), uint8(0xff), uint8(7))
	nan := math.Float32bits(float32(math.NaN()))
	seed := make([]byte, 72)
	for i := 0; i < 18; i++ {
		binary.LittleEndian.PutUint32(seed[i*4:], nan*uint32(i%2)+uint32(i)*0x3f000000)
	}
	f.Add(seed, uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, flags, mode uint8) {
		fl := make([]float32, len(data)/4)
		for i := range fl {
			fl[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[i*4:]))
		}
		p := glb.Prim{Positions: fl, Material: int(mode%4) - 1}
		if flags&1 != 0 {
			p.Normals = fl[len(fl)/2:]
		}
		if flags&2 != 0 {
			p.UVs = fl
		}
		if flags&4 != 0 {
			p.Colors = fl
		}
		for i := range data {
			p.Indices = append(p.Indices, uint32(data[i])%uint32(len(fl)/3+2))
		}
		tex := glb.NewTexture("t", "image/png", func() (*image.NRGBA, error) {
			return image.NewNRGBA(image.Rect(0, 0, 3, 5)), nil
		})
		m := glb.Material{BaseColor: [4]float32{1, 0.5, 0.2, 0.7}, BaseTexture: int(flags>>3) % 3, AlphaMode: glb.AlphaMode(mode % 3),
			DoubleSided: flags&32 != 0, Metallic: 1, Emissive: [3]float32{float32(flags), 0, -1}}
		s := &glb.Scene{Prims: []glb.Prim{p}, Materials: []glb.Material{m, defaultMaterial}, Textures: []*glb.Texture{tex}}
		if flags&64 != 0 && len(fl) >= 6 {
			s.Bounds = glb.Box{Min: [3]float32{fl[0], fl[1], fl[2]}, Max: [3]float32{fl[3], fl[4], fl[5]}}
		}
		Thumbnail(s, 24)
		pv := NewPreview(s, 1.5)
		pv.Wireframe, pv.Normals = true, true
		pv.Orbit.Zoom(float32(mode) + 0.5)
		pv.Orbit.Pan(float32(flags), -3, 20)
		pv.SetDragging(flags&128 != 0)
		pv.Frame(20, 13)
	})
}
