package glb

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkTextureDecode decodes the base colour image of textured corpus
// files (the floor of a thumbnail's time).
func BenchmarkTextureDecode(b *testing.B) {
	dir := corpusDir(b)
	for _, name := range []string{"ai_hunyuan2_textured_mesh.glb", "ai_meshy_rigged_idle_withSkin.glb", "ai_rodin_base_basic_pbr.glb", "web_ferrari_gltftransform_meshopt_webp.glb"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		l := testLoader(b, data)
		img, _, ok := l.imageSource(l.doc.Materials[0].PBRMetallicRoughness.BaseColorTexture.Index)
		if !ok {
			b.Fatalf("%s: no base colour image", name)
		}
		enc, _, err := l.imageBytes(img)
		if err != nil {
			b.Fatal(err)
		}
		f := sniffImage(enc)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := decodeImage(enc, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
