package meshiotest

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png" // embedded textures

	"github.com/qmuntal/gltf"
	"github.com/qmuntal/gltf/modeler"
)

// Summary is what a GLB holds, read back with qmuntal/gltf.
type Summary struct {
	Triangles int
	Vertices  int
	Min, Max  [3]float32 // world-space bounds (node translations applied)
	Images    []image.Image
	Materials []*gltf.Material
	HasUVs    bool
}

// Inspect decodes a GLB and summarises it. It reads every accessor, so a
// malformed file gives an error rather than a wrong summary.
func Inspect(glb []byte) (Summary, error) {
	var s Summary
	doc := new(gltf.Document)
	if err := gltf.NewDecoder(bytes.NewReader(glb)).Decode(doc); err != nil {
		return s, fmt.Errorf("decode GLB: %w", err)
	}
	s.Materials = doc.Materials
	first := true
	for _, n := range doc.Nodes {
		if n.Mesh == nil {
			continue
		}
		t := n.TranslationOrDefault()
		for _, p := range doc.Meshes[*n.Mesh].Primitives {
			pos, err := modeler.ReadPosition(doc, doc.Accessors[p.Attributes[gltf.POSITION]], nil)
			if err != nil {
				return s, err
			}
			s.Vertices += len(pos)
			for _, v := range pos {
				for i := range 3 {
					w := v[i] + float32(t[i])
					if first || w < s.Min[i] {
						s.Min[i] = w
					}
					if first || w > s.Max[i] {
						s.Max[i] = w
					}
				}
				first = false
			}
			if p.Indices == nil {
				return s, fmt.Errorf("primitive without indices")
			}
			idx, err := modeler.ReadIndices(doc, doc.Accessors[*p.Indices], nil)
			if err != nil {
				return s, err
			}
			for _, i := range idx {
				if int(i) >= len(pos) {
					return s, fmt.Errorf("index %d past %d vertices", i, len(pos))
				}
			}
			s.Triangles += len(idx) / 3
			if uv, ok := p.Attributes[gltf.TEXCOORD_0]; ok {
				if _, err := modeler.ReadTextureCoord(doc, doc.Accessors[uv], nil); err != nil {
					return s, err
				}
				s.HasUVs = true
			}
		}
	}
	for i, im := range doc.Images {
		if im.BufferView == nil {
			return s, fmt.Errorf("image %d is not embedded", i)
		}
		data, err := modeler.ReadBufferView(doc, doc.BufferViews[*im.BufferView])
		if err != nil {
			return s, err
		}
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return s, fmt.Errorf("image %d: %w", i, err)
		}
		s.Images = append(s.Images, img)
	}
	return s, nil
}
