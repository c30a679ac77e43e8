package glb

import (
	"fmt"
	"image"
	"math"

	"github.com/qmuntal/gltf"
)

// uvInfo says which UV set the base colour texture reads and how
// KHR_texture_transform maps it.
type uvInfo struct {
	textured  bool
	texCoord  int
	transform bool
	m         [6]float32 // u' = m0·u + m2·v + m4; v' = m1·u + m3·v + m5
}

type textureTransform struct {
	Offset   *[2]float64 `json:"offset"`
	Rotation float64     `json:"rotation"`
	Scale    *[2]float64 `json:"scale"`
	TexCoord *int        `json:"texCoord"`
}

func materialUV(m *gltf.Material) uvInfo {
	if m == nil || m.PBRMetallicRoughness == nil || m.PBRMetallicRoughness.BaseColorTexture == nil {
		return uvInfo{}
	}
	ti := m.PBRMetallicRoughness.BaseColorTexture
	u := uvInfo{textured: true, texCoord: ti.TexCoord}
	var tt textureTransform
	if rawJSON(ti.Extensions, extTexTransform, &tt) {
		off, sc := [2]float64{}, [2]float64{1, 1}
		if tt.Offset != nil {
			off = *tt.Offset
		}
		if tt.Scale != nil {
			sc = *tt.Scale
		}
		if tt.TexCoord != nil {
			u.texCoord = *tt.TexCoord
		}
		c, s := math.Cos(tt.Rotation), math.Sin(tt.Rotation)
		// KHR_texture_transform: T · R · S with R's rows [c, s], [−s, c]
		// (the convention of three.js and the Khronos sample viewer, which
		// pass TextureTransformTest; the README's older GLSL snippet reads
		// as the transpose).
		u.m = [6]float32{float32(c * sc[0]), float32(-s * sc[0]), float32(s * sc[1]), float32(c * sc[1]), float32(off[0]), float32(off[1])}
		u.transform = true
		for _, v := range u.m {
			if !finite32(v) {
				u.transform = false
			}
		}
	}
	if u.texCoord < 0 || u.texCoord > 7 {
		u.texCoord = 0
	}
	return u
}

func (u uvInfo) apply(uv []float32) {
	if !u.transform {
		return
	}
	m := u.m
	for i := 0; i+1 < len(uv); i += 2 {
		x, y := uv[i], uv[i+1]
		uv[i] = m[0]*x + m[2]*y + m[4]
		uv[i+1] = m[1]*x + m[3]*y + m[5]
	}
}

// defaultMaterial is glTF's default: white, metallic 1, roughness 1. The
// renderer shades for people, so the metallic value is informational.
var defaultMaterial = Material{
	Name: "default", BaseColor: [4]float32{1, 1, 1, 1}, BaseTexture: -1,
	Metallic: 1, Roughness: 1, AlphaCutoff: 0.5,
}

// buildMaterials converts every document material (textures only for those
// drawn) and appends the default material.
func (l *loader) buildMaterials() {
	doc := l.doc
	s := l.scene
	s.Materials = make([]Material, len(doc.Materials)+1)
	l.emissive = make([]chan [3]float32, len(doc.Materials)+1)
	images := map[int]int{} // document image → Scene.Textures index
	for i, m := range doc.Materials {
		if m == nil {
			s.Materials[i] = defaultMaterial
			continue
		}
		mat := Material{
			Name: m.Name, BaseColor: [4]float32{1, 1, 1, 1}, BaseTexture: -1,
			Metallic: 1, Roughness: 1, AlphaCutoff: float32(m.AlphaCutoffOrDefault()),
			DoubleSided: m.DoubleSided,
		}
		switch m.AlphaMode {
		case gltf.AlphaMask:
			mat.AlphaMode = AlphaMask
		case gltf.AlphaBlend:
			mat.AlphaMode = AlphaBlend
		}
		if pbr := m.PBRMetallicRoughness; pbr != nil {
			bc := pbr.BaseColorFactorOrDefault()
			for k := range bc {
				mat.BaseColor[k] = clamp01(bc[k])
			}
			mat.Metallic = clamp01(pbr.MetallicFactorOrDefault())
			mat.Roughness = clamp01(pbr.RoughnessFactorOrDefault())
			if pbr.BaseColorTexture != nil && l.usedMats[i] {
				mat.BaseTexture = l.texture(pbr.BaseColorTexture.Index, images)
			}
		}
		strength := 1.0
		var es struct {
			EmissiveStrength *float64 `json:"emissiveStrength"`
		}
		if rawJSON(m.Extensions, extEmissiveStrength, &es) && es.EmissiveStrength != nil {
			strength = *es.EmissiveStrength
		}
		for k := range mat.Emissive {
			v := m.EmissiveFactor[k] * strength
			if !(v >= 0) || math.IsInf(v, 0) {
				v = 0
			}
			mat.Emissive[k] = float32(v)
		}
		if m.EmissiveTexture != nil && l.usedMats[i] && mat.Emissive != ([3]float32{}) {
			l.emissive[i] = l.emissiveMean(m.EmissiveTexture.Index, mat.Emissive)
		}
		_, mat.Unlit = extension(m.Extensions, extUnlit)
		s.Materials[i] = mat
	}
	s.Materials[len(doc.Materials)] = defaultMaterial
}

func clamp01(v float64) float32 {
	if !(v >= 0) {
		return 0
	}
	if v > 1 {
		return 1
	}
	return float32(v)
}

// imageSource picks the image a texture shows: its source, or the WebP or
// KTX2 extension's source. ktx2 reports a Basis texture we cannot decode.
func (l *loader) imageSource(ti int) (img int, ktx2 bool, ok bool) {
	if ti < 0 || ti >= len(l.doc.Textures) || l.doc.Textures[ti] == nil {
		return 0, false, false
	}
	t := l.doc.Textures[ti]
	var src struct {
		Source *int `json:"source"`
	}
	if rawJSON(t.Extensions, extWebP, &src) && src.Source != nil {
		return *src.Source, false, true
	}
	if t.Source != nil {
		return *t.Source, false, true
	}
	if rawJSON(t.Extensions, extBasisu, &src) && src.Source != nil {
		return *src.Source, true, true
	}
	return 0, false, false
}

// imageBytes returns an image's encoded bytes and declared MIME type.
func (l *loader) imageBytes(i int) ([]byte, string, error) {
	if i < 0 || i >= len(l.doc.Images) || l.doc.Images[i] == nil {
		return nil, "", fmt.Errorf("image %d does not exist", i)
	}
	im := l.doc.Images[i]
	if im.BufferView != nil {
		b, _, err := l.bufferView(*im.BufferView)
		return b, im.MimeType, err
	}
	if im.URI == "" {
		return nil, "", fmt.Errorf("image %d has no data", i)
	}
	b, err := resolveURI(im.URI, l.dir, 0)
	return b, im.MimeType, err
}

// decodedImage returns the background decode of document image img,
// starting it on first use, so an image shared by several textures (base
// colour and emissive often are the same picture) is decoded once. ktx2
// reports a KTX2/Basis image, which cannot be decoded.
func (l *loader) decodedImage(img int) (t *Texture, ktx2 bool, err error) {
	if t, ok := l.decoded[img]; ok {
		return t, false, nil
	}
	data, mime, err := l.imageBytes(img)
	if err != nil {
		return nil, false, err
	}
	format := sniffImage(data)
	switch format {
	case formatKTX2:
		return nil, true, nil
	case formatUnknown:
		return nil, false, fmt.Errorf("image %d is not PNG, JPEG or WebP", img)
	}
	name := l.doc.Images[img].Name
	if name == "" {
		name = fmt.Sprintf("image %d", img)
	}
	if mime == "" || mime != format.mime() {
		mime = format.mime()
	}
	t = NewTexture(name, mime, func() (*image.NRGBA, error) { return decodeImage(data, format) })
	l.decoded[img] = t
	return t, false, nil
}

// texture starts decoding texture ti's image in the background and returns
// its Scene.Textures index, or -1 (with a note) when it cannot be shown.
func (l *loader) texture(ti int, images map[int]int) int {
	img, _, ok := l.imageSource(ti)
	if !ok {
		return -1
	}
	if k, ok := images[img]; ok {
		return k
	}
	t, ktx2, err := l.decodedImage(img)
	switch {
	case ktx2:
		l.note(NoteKTX2)
	case err != nil:
		l.note(NoteBadTexture)
	}
	if t == nil {
		images[img] = -1
		return -1
	}
	l.scene.Textures = append(l.scene.Textures, t)
	k := len(l.scene.Textures) - 1
	images[img] = k
	return k
}

// emissiveMean sends factor × the emissive texture's mean linear colour once
// it is decoded (in the background), or a dim factor when it cannot be.
func (l *loader) emissiveMean(ti int, factor [3]float32) chan [3]float32 {
	ch := make(chan [3]float32, 1)
	var t *Texture
	if img, _, ok := l.imageSource(ti); ok {
		t, _, _ = l.decodedImage(img)
	}
	if t == nil {
		// Unknown emission: a dim glow rather than a white-out.
		ch <- [3]float32{factor[0] * unknownEmissiveMean, factor[1] * unknownEmissiveMean, factor[2] * unknownEmissiveMean}
		return ch
	}
	go func() {
		m, err := t.Image()
		if err != nil {
			ch <- [3]float32{}
			return
		}
		mean := meanLinear(m)
		ch <- [3]float32{factor[0] * mean[0], factor[1] * mean[1], factor[2] * mean[2]}
	}()
	return ch
}

// unknownEmissiveMean stands in for the mean of an emissive texture that
// cannot be decoded (KTX2): emissive maps are mostly black with small
// lights, so a small value is closer than the bare factor.
const unknownEmissiveMean = 0.05

// specGloss is KHR_materials_pbrSpecularGlossiness, still found in older
// exports (Sketchfab, early converters).
type specGloss struct {
	DiffuseFactor    *[4]float64       `json:"diffuseFactor"`
	DiffuseTexture   *gltf.TextureInfo `json:"diffuseTexture"`
	GlossinessFactor *float64          `json:"glossinessFactor"`
}

// applySpecGloss rewrites a specular-glossiness material as the metallic-
// roughness one it looks like: diffuse becomes the base colour, not metallic.
func applySpecGloss(m *gltf.Material) {
	var sg specGloss
	if m == nil || !rawJSON(m.Extensions, extSpecGloss, &sg) {
		return
	}
	gloss := 1.0
	if sg.GlossinessFactor != nil {
		gloss = *sg.GlossinessFactor
	}
	m.PBRMetallicRoughness = &gltf.PBRMetallicRoughness{
		BaseColorFactor:  sg.DiffuseFactor,
		BaseColorTexture: sg.DiffuseTexture,
		MetallicFactor:   gltf.Float(0),
		RoughnessFactor:  gltf.Float(1 - gloss),
	}
}
