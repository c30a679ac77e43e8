// Package glb turns GLB and glTF files into a render-ready scene on top of
// qmuntal/gltf: every node's transform applied, every primitive as indexed
// triangles, normals computed when missing, compressed geometry decoded where
// supported, and textures decoded in the background only when drawn.
package glb

import "image"

// The shape below is agreed between glb (which fills it) and render (which
// draws it). Add fields freely; do not change the meaning of existing ones.

// Scene is a loaded model, flattened to world space.
type Scene struct {
	Prims     []Prim
	Materials []Material // Prim.Material indexes this; the last entry is the default material
	Textures  []*Texture
	Bounds    Box
	Stats     Stats
	// Notes are things people should know about what is drawn, e.g.
	// "Draco geometry is not supported" or "KTX2 textures shown as base colour".
	Notes []string
}

// Prim is one triangle list in world space (transforms and skins' bind pose applied).
type Prim struct {
	Positions []float32 // x,y,z per vertex
	Normals   []float32 // x,y,z per vertex, unit length; always present after loading
	UVs       []float32 // u,v per vertex, or nil (KHR_texture_transform already applied)
	Colors    []float32 // r,g,b,a per vertex (linear), or nil
	Indices   []uint32  // three per triangle
	Material  int
}

// AlphaMode is glTF's alpha mode.
type AlphaMode uint8

const (
	AlphaOpaque AlphaMode = iota
	AlphaMask
	AlphaBlend
)

// Material is what the renderer needs of a glTF material.
type Material struct {
	Name        string
	BaseColor   [4]float32 // linear RGBA factor
	BaseTexture int        // index into Scene.Textures, -1 for none
	Emissive    [3]float32 // linear factor (times the emissive texture's mean where present)
	Metallic    float32
	Roughness   float32
	AlphaMode   AlphaMode
	AlphaCutoff float32
	DoubleSided bool
	Unlit       bool
}

// Texture is a base-colour image decoded in the background. Image blocks
// until decoding is done.
type Texture struct {
	Name string
	MIME string
	done chan struct{}
	img  *image.NRGBA
	err  error
}

// NewTexture starts decode in a goroutine and returns at once.
func NewTexture(name, mime string, decode func() (*image.NRGBA, error)) *Texture {
	t := &Texture{Name: name, MIME: mime, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		t.img, t.err = decode()
	}()
	return t
}

// Image waits for the decoded image (sRGB, non-premultiplied).
func (t *Texture) Image() (*image.NRGBA, error) {
	<-t.done
	return t.img, t.err
}

// Box is an axis-aligned bounding box.
type Box struct{ Min, Max [3]float32 }

// Stats describe the file for the preview's stats overlay.
type Stats struct {
	Triangles  int
	Vertices   int
	Primitives int
	Textures   int
	FileBytes  int64
	Extensions []string // extensionsUsed
	Generator  string
}
