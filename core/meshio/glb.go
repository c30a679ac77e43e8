package meshio

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/qmuntal/gltf"
	"github.com/qmuntal/gltf/modeler"

	"meshdrop/core/version"
)

// MIMEPNG is the only texture type the writer embeds.
const MIMEPNG = "image/png"

// Material is a glTF metallic-roughness material.
type Material struct {
	Name        string
	BaseColor   [4]float32 // linear RGBA factor, each 0–1
	Metallic    float32    // 0–1
	Roughness   float32    // 0–1
	TexturePNG  []byte     // base-colour texture (sRGB PNG), or nil
	DoubleSided bool
	Blend       bool // alpha blending (glass); otherwise opaque
}

// Part is one mesh with its material, placed at Translation.
type Part struct {
	Name        string
	Mesh        *Mesh
	Material    Material
	Translation [3]float32
}

// Model is what WriteGLB writes: one scene, one node per part.
type Model struct {
	Name  string
	Parts []Part
}

// WriteGLB writes m as a binary glTF 2.0 file. Meshes are checked first
// (Mesh.Check); missing normals are computed, degenerate triangles dropped,
// and identical textures are stored once.
func WriteGLB(w io.Writer, m *Model) error {
	doc, err := Build(m)
	if err != nil {
		return err
	}
	enc := gltf.NewEncoder(w)
	enc.AsBinary = true
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write GLB: %w", err)
	}
	return nil
}

// EncodeGLB is WriteGLB into memory.
func EncodeGLB(m *Model) ([]byte, error) {
	var b bytes.Buffer
	if err := WriteGLB(&b, m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Build makes the glTF document for m without encoding it.
func Build(m *Model) (*gltf.Document, error) {
	if len(m.Parts) == 0 {
		return nil, errors.New("build GLB: the model has no parts")
	}
	doc := gltf.NewDocument()
	doc.Asset.Generator = version.UserAgent()
	scene := doc.Scenes[0]
	scene.Name = m.Name
	textures := map[[32]byte]int{}
	for pi, p := range m.Parts {
		if p.Mesh == nil {
			return nil, fmt.Errorf("build GLB: part %d has no mesh", pi)
		}
		mesh := *p.Mesh // shallow copy: the caller's slices are not reordered
		mesh.Indices = append([]uint32(nil), p.Mesh.Indices...)
		if err := mesh.Check(); err != nil {
			return nil, fmt.Errorf("build GLB: part %d (%s): %w", pi, p.Name, err)
		}
		mesh.DropDegenerate()
		if len(mesh.Indices) == 0 {
			return nil, fmt.Errorf("build GLB: part %d (%s) has only degenerate triangles", pi, p.Name)
		}
		if mesh.Normals == nil {
			mesh.ComputeNormals()
		} else {
			mesh.Normals = append([][3]float32(nil), mesh.Normals...)
			mesh.normalizeNormals()
		}
		mat, err := addMaterial(doc, p.Material, mesh.UVs != nil, textures)
		if err != nil {
			return nil, fmt.Errorf("build GLB: part %d (%s): %w", pi, p.Name, err)
		}
		attrs := map[string]int{
			gltf.POSITION: modeler.WritePosition(doc, mesh.Positions),
			gltf.NORMAL:   modeler.WriteNormal(doc, mesh.Normals),
		}
		if mesh.UVs != nil {
			attrs[gltf.TEXCOORD_0] = modeler.WriteTextureCoord(doc, mesh.UVs)
		}
		var indices int
		if len(mesh.Positions) < math.MaxUint16 { // 65535 is the primitive restart value
			idx := make([]uint16, len(mesh.Indices))
			for i, v := range mesh.Indices {
				idx[i] = uint16(v)
			}
			indices = modeler.WriteIndices(doc, idx)
		} else {
			indices = modeler.WriteIndices(doc, mesh.Indices)
		}
		doc.Meshes = append(doc.Meshes, &gltf.Mesh{
			Name: p.Name,
			Primitives: []*gltf.Primitive{{
				Attributes: attrs,
				Indices:    gltf.Index(indices),
				Material:   gltf.Index(mat),
				Mode:       gltf.PrimitiveTriangles,
			}},
		})
		node := &gltf.Node{Name: p.Name, Mesh: gltf.Index(len(doc.Meshes) - 1)}
		if p.Translation != [3]float32{} {
			node.Translation = [3]float64{float64(p.Translation[0]), float64(p.Translation[1]), float64(p.Translation[2])}
		}
		doc.Nodes = append(doc.Nodes, node)
		scene.Nodes = append(scene.Nodes, len(doc.Nodes)-1)
	}
	return doc, nil
}

func addMaterial(doc *gltf.Document, m Material, hasUV bool, textures map[[32]byte]int) (int, error) {
	for i, c := range m.BaseColor {
		if !(c >= 0 && c <= 1) {
			return 0, fmt.Errorf("base colour component %d is %v, not within 0–1", i, c)
		}
	}
	if !(m.Metallic >= 0 && m.Metallic <= 1) || !(m.Roughness >= 0 && m.Roughness <= 1) {
		return 0, fmt.Errorf("metallic %v or roughness %v not within 0–1", m.Metallic, m.Roughness)
	}
	metallic, roughness := float64(m.Metallic), float64(m.Roughness)
	pbr := &gltf.PBRMetallicRoughness{
		BaseColorFactor: &[4]float64{float64(m.BaseColor[0]), float64(m.BaseColor[1]), float64(m.BaseColor[2]), float64(m.BaseColor[3])},
		MetallicFactor:  &metallic,
		RoughnessFactor: &roughness,
	}
	// A texture without UVs would be sampled at an undefined place: leave it out.
	if len(m.TexturePNG) > 0 && hasUV {
		key := sha256.Sum256(m.TexturePNG)
		tex, ok := textures[key]
		if !ok {
			if !bytes.HasPrefix(m.TexturePNG, []byte("\x89PNG\r\n\x1a\n")) {
				return 0, errors.New("the base-colour texture is not a PNG")
			}
			img, err := modeler.WriteImage(doc, m.Name+" base colour", MIMEPNG, bytes.NewReader(m.TexturePNG))
			if err != nil {
				return 0, err
			}
			if len(doc.Samplers) == 0 {
				doc.Samplers = append(doc.Samplers, &gltf.Sampler{
					MagFilter: gltf.MagLinear,
					MinFilter: gltf.MinLinearMipMapLinear,
					WrapS:     gltf.WrapRepeat,
					WrapT:     gltf.WrapRepeat,
				})
			}
			doc.Textures = append(doc.Textures, &gltf.Texture{Sampler: gltf.Index(0), Source: gltf.Index(img)})
			tex = len(doc.Textures) - 1
			textures[key] = tex
		}
		pbr.BaseColorTexture = &gltf.TextureInfo{Index: tex}
	}
	mat := &gltf.Material{Name: m.Name, PBRMetallicRoughness: pbr, DoubleSided: m.DoubleSided}
	if m.Blend {
		mat.AlphaMode = gltf.AlphaBlend
	}
	doc.Materials = append(doc.Materials, mat)
	return len(doc.Materials) - 1, nil
}
