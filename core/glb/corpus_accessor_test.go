package glb

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/qmuntal/gltf"
)

// TestCorpusAccessorsMatchMinMax decodes every POSITION accessor in the
// corpus (plain, sparse, quantized and meshopt-compressed) and checks the
// values against the min/max the exporter wrote into the JSON: every value
// inside, and each bound reached. Decoded normals must be unit length
// (within quantisation), which checks the octahedral filter.
func TestCorpusAccessorsMatchMinMax(t *testing.T) {
	dir := corpusDir(t)
	for _, e := range readManifest(t, dir) {
		t.Run(e.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, e.file))
			if err != nil {
				t.Fatal(err)
			}
			l := testLoader(t, data)
			checked := 0
			for _, m := range l.doc.Meshes {
				for _, p := range m.Primitives {
					if _, draco := extension(p.Extensions, extDraco); draco {
						continue
					}
					pa := p.Attributes[gltf.POSITION]
					a := l.doc.Accessors[pa]
					pos, n, err := l.floats(pa, 3, 0)
					if err != nil {
						t.Fatalf("POSITION accessor %d: %v", pa, err)
					}
					if len(a.Min) == 3 && len(a.Max) == 3 {
						checkMinMax(t, pos, n, a)
						checked++
					}
					if na, ok := p.Attributes[gltf.NORMAL]; ok {
						nrm, _, err := l.floats(na, 3, 0)
						if err != nil {
							t.Fatalf("NORMAL accessor %d: %v", na, err)
						}
						for k := 0; k < len(nrm); k += 3 {
							ln := math.Sqrt(float64(nrm[k]*nrm[k] + nrm[k+1]*nrm[k+1] + nrm[k+2]*nrm[k+2]))
							if math.Abs(ln-1) > 0.03 {
								t.Fatalf("normal %d has length %.3f", k/3, ln)
							}
						}
					}
					if p.Indices != nil {
						idx, err := l.indices(*p.Indices, n)
						if err != nil {
							t.Fatalf("indices: %v", err)
						}
						degenerate := 0
						for k := 0; k+2 < len(idx); k += 3 {
							if idx[k] == idx[k+1] || idx[k+1] == idx[k+2] || idx[k] == idx[k+2] {
								degenerate++
							}
						}
						if degenerate*100 > len(idx)/3 {
							t.Errorf("%d of %d triangles are degenerate: indices decoded wrongly?", degenerate, len(idx)/3)
						}
					}
				}
			}
			if checked == 0 && !hasDraco(l.doc) {
				t.Error("no POSITION accessor with min/max was checked")
			}
		})
	}
}

func hasDraco(doc *gltf.Document) bool {
	for _, e := range doc.ExtensionsUsed {
		if e == extDraco {
			return true
		}
	}
	return false
}

func testLoader(t testing.TB, data []byte) *loader {
	t.Helper()
	c, err := splitContainer(data)
	if err != nil {
		t.Fatal(err)
	}
	doc := new(gltf.Document)
	if err := jsonUnmarshal(c.json, doc); err != nil {
		t.Fatal(err)
	}
	return newLoader(doc, c.bin, "", int64(len(data)))
}

func checkMinMax(t *testing.T, pos []float32, n int, a *gltf.Accessor) {
	t.Helper()
	lo := [3]float32{float32(math.Inf(1)), float32(math.Inf(1)), float32(math.Inf(1))}
	hi := [3]float32{float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1))}
	for v := 0; v < n; v++ {
		for c := 0; c < 3; c++ {
			lo[c] = min(lo[c], pos[v*3+c])
			hi[c] = max(hi[c], pos[v*3+c])
		}
	}
	// min and max are in stored units: normalised integers before scaling.
	scale := 1.0
	if a.Normalized {
		scale = map[gltf.ComponentType]float64{gltf.ComponentByte: 127, gltf.ComponentUbyte: 255, gltf.ComponentShort: 32767, gltf.ComponentUshort: 65535}[a.ComponentType]
	}
	for c := 0; c < 3; c++ {
		wantLo, wantHi := a.Min[c]/scale, a.Max[c]/scale
		tol := 1e-4 * max(1, math.Abs(wantHi-wantLo))
		if math.Abs(float64(lo[c])-wantLo) > tol || math.Abs(float64(hi[c])-wantHi) > tol {
			t.Errorf("component %d spans [%v, %v], accessor says [%v, %v]", c, lo[c], hi[c], wantLo, wantHi)
		}
	}
}
