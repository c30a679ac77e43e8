package render

import (
	"math"

	"meshdrop/core/glb"
)

// reduceAbove is the triangle count above which the preview drags a
// reduced copy of the mesh: the 800k-triangle meshes generators produce
// would otherwise cost four times a typical model per frame.
const reduceAbove = 300_000

// reduceCells is the grid resolution along the model's longest side used
// to cluster vertices for the reduced mesh.
const reduceCells = 160

// reduceScene returns a copy of s with every primitive simplified by
// vertex clustering on a grid: vertices in one cell merge (positions
// averaged, normals summed, the first UV and colour kept) and triangles
// that collapse are dropped. Materials and textures are shared with s.
// Drafts only: UV seams are smeared where a cell straddles them.
func reduceScene(s *glb.Scene) *glb.Scene {
	b := sceneBounds(s)
	size := max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1], b.Max[2]-b.Min[2])
	if !(size > 0) {
		return s
	}
	cell := size / reduceCells
	out := &glb.Scene{Materials: s.Materials, Textures: s.Textures, Bounds: s.Bounds, Stats: s.Stats, Notes: s.Notes}
	for i := range s.Prims {
		out.Prims = append(out.Prims, reducePrim(&s.Prims[i], b.Min, cell))
	}
	return out
}

func reducePrim(p *glb.Prim, origin [3]float32, cell float32) glb.Prim {
	nv := len(p.Positions) / 3
	hasN := len(p.Normals) >= nv*3
	hasUV := len(p.UVs) >= nv*2
	hasC := len(p.Colors) >= nv*4
	ids := make(map[uint64]uint32, nv/4)
	remap := make([]uint32, nv)
	var q glb.Prim
	q.Material = p.Material
	var counts []float32
	for v := 0; v < nv; v++ {
		var key uint64
		for k := 0; k < 3; k++ {
			c := int64(math.Floor(float64((p.Positions[v*3+k] - origin[k]) / cell)))
			key = key<<21 | uint64(c&0x1fffff)
		}
		id, ok := ids[key]
		if !ok {
			id = uint32(len(counts))
			ids[key] = id
			counts = append(counts, 0)
			q.Positions = append(q.Positions, 0, 0, 0)
			q.Normals = append(q.Normals, 0, 0, 0)
			if hasUV {
				q.UVs = append(q.UVs, p.UVs[v*2], p.UVs[v*2+1])
			}
			if hasC {
				q.Colors = append(q.Colors, p.Colors[v*4:v*4+4]...)
			}
		}
		remap[v] = id
		counts[id]++
		for k := 0; k < 3; k++ {
			q.Positions[id*3+uint32(k)] += p.Positions[v*3+k]
			if hasN {
				q.Normals[id*3+uint32(k)] += p.Normals[v*3+k]
			}
		}
	}
	for id, n := range counts {
		for k := 0; k < 3; k++ {
			q.Positions[id*3+k] /= n
		}
		nn := norm3([3]float32{q.Normals[id*3], q.Normals[id*3+1], q.Normals[id*3+2]})
		copy(q.Normals[id*3:id*3+3], nn[:])
	}
	if !hasN {
		q.Normals = nil // computed from the reduced faces
	}
	for t := 0; t+2 < len(p.Indices); t += 3 {
		i0, i1, i2 := p.Indices[t], p.Indices[t+1], p.Indices[t+2]
		if int(i0) >= nv || int(i1) >= nv || int(i2) >= nv {
			continue
		}
		a, b, c := remap[i0], remap[i1], remap[i2]
		if a == b || b == c || a == c {
			continue
		}
		q.Indices = append(q.Indices, a, b, c)
	}
	return q
}
