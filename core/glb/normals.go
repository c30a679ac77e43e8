package glb

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// smoothNormals computes area-weighted vertex normals for a triangle list.
// Vertices at the same position are welded first, so a UV seam (the same
// point stored twice with different UVs) does not show as a crease.
// weld is weldPositions(pos) (computed earlier, possibly concurrently), or
// nil to compute it here.
func smoothNormals(pos []float32, idx []uint32, weld []uint32) []float32 {
	nv := len(pos) / 3
	if weld == nil {
		weld = weldPositions(pos)
	}
	acc := make([]float32, nv*3) // accumulated on the welded representative
	for t := 0; t+2 < len(idx); t += 3 {
		a, b, c := idx[t], idx[t+1], idx[t+2]
		ax, ay, az := pos[a*3], pos[a*3+1], pos[a*3+2]
		ux, uy, uz := pos[b*3]-ax, pos[b*3+1]-ay, pos[b*3+2]-az
		vx, vy, vz := pos[c*3]-ax, pos[c*3+1]-ay, pos[c*3+2]-az
		nx, ny, nz := uy*vz-uz*vy, uz*vx-ux*vz, ux*vy-uy*vx
		if !finite32(nx + ny + nz) {
			continue
		}
		for _, v := range [3]uint32{a, b, c} {
			r := weld[v] * 3
			acc[r] += nx
			acc[r+1] += ny
			acc[r+2] += nz
		}
	}
	// Normalise each representative's sum in place and copy it to the
	// vertices welded onto it. A representative is the lowest index of its
	// group, so it is always normalised before its copies read it.
	out := acc
	for v := 0; v < nv; v++ {
		r := int(weld[v])
		if r == v {
			out[v*3], out[v*3+1], out[v*3+2] = unit3(acc[v*3], acc[v*3+1], acc[v*3+2])
		} else {
			out[v*3], out[v*3+1], out[v*3+2] = out[r*3], out[r*3+1], out[r*3+2]
		}
	}
	return out
}

// weldPositions maps every vertex to the lowest-index vertex at exactly the
// same position (−0 and +0 are the same), with an open-addressing hash
// table: no per-vertex allocation.
func weldPositions(pos []float32) []uint32 {
	nv := len(pos) / 3
	weld := make([]uint32, nv)
	size := 1 << bits.Len(uint(nv*2))
	table := make([]int32, size)
	for i := range table {
		table[i] = -1
	}
	mask := uint64(size - 1)
	key := func(v int) (uint32, uint32, uint32) {
		return math.Float32bits(pos[v*3] + 0), math.Float32bits(pos[v*3+1] + 0), math.Float32bits(pos[v*3+2] + 0)
	}
	for v := 0; v < nv; v++ {
		x, y, z := key(v)
		slot := weldHash(x, y, z) & mask
		for {
			e := table[slot]
			if e < 0 {
				table[slot] = int32(v)
				weld[v] = uint32(v)
				break
			}
			ex, ey, ez := key(int(e))
			if ex == x && ey == y && ez == z {
				weld[v] = uint32(e)
				break
			}
			slot = (slot + 1) & mask
		}
	}
	return weld
}

// weldSeed makes the weld hash differ per process, so a crafted file cannot
// pick positions that all collide and turn welding quadratic.
var weldSeed = rand.Uint64()

// weldHash mixes a position's bits with the seed (murmur3's finaliser).
func weldHash(x, y, z uint32) uint64 {
	h := uint64(x) | uint64(y)<<32
	h ^= weldSeed
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= uint64(z) * 0x9E3779B97F4A7C15
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
