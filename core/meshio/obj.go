package meshio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// ReadOBJ reads a Wavefront OBJ file: v, vt, vn and f (polygons are
// triangulated as fans; negative, relative indices are accepted). Groups,
// objects, smoothing and materials are ignored: the provider's OBJ carries
// geometry only. When any face corner lacks a normal, all normals are
// replaced by flat face normals, which suits CAD output.
func ReadOBJ(r io.Reader) (*Mesh, error) {
	data, err := readCapped(r)
	if err != nil {
		return nil, fmt.Errorf("read OBJ: %w", err)
	}
	return ParseOBJ(data)
}

type objCorner struct{ v, t, n int32 } // 0-based; -1 for absent

// ParseOBJ is ReadOBJ over bytes in memory.
func ParseOBJ(data []byte) (*Mesh, error) {
	var (
		pos     [][3]float32
		tex     [][2]float32
		nrm     [][3]float32
		corners []objCorner // three per triangle
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	line := 0
	var face []objCorner
	for sc.Scan() {
		line++
		f := bytes.Fields(sc.Bytes())
		if len(f) == 0 || f[0][0] == '#' {
			continue
		}
		switch string(f[0]) {
		case "v":
			p, err := objFloats(f[1:], 3, line)
			if err != nil {
				return nil, err
			}
			pos = append(pos, [3]float32{p[0], p[1], p[2]})
		case "vt":
			p, err := objFloats(f[1:], 1, line)
			if err != nil {
				return nil, err
			}
			// OBJ puts v=0 at the bottom of the image, glTF at the top.
			tex = append(tex, [2]float32{p[0], 1 - p[1]})
		case "vn":
			p, err := objFloats(f[1:], 3, line)
			if err != nil {
				return nil, err
			}
			nrm = append(nrm, [3]float32{p[0], p[1], p[2]})
		case "f":
			if len(f) < 4 {
				return nil, fmt.Errorf("parse OBJ: line %d: a face needs at least 3 corners", line)
			}
			face = face[:0]
			for _, c := range f[1:] {
				oc, err := objCornerOf(c, len(pos), len(tex), len(nrm))
				if err != nil {
					return nil, fmt.Errorf("parse OBJ: line %d: %w", line, err)
				}
				face = append(face, oc)
			}
			for i := 1; i+1 < len(face); i++ {
				corners = append(corners, face[0], face[i], face[i+1])
			}
			if len(corners) > math.MaxUint32/2 {
				return nil, errors.New("parse OBJ: too many faces")
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse OBJ: %w", err)
	}
	if len(corners) == 0 {
		return nil, errors.New("parse OBJ: the file has no faces")
	}
	allUV, allN := true, true
	for _, c := range corners {
		allUV = allUV && c.t >= 0
		allN = allN && c.n >= 0
	}
	if !allN {
		// Flat normals: unshared corners, one face normal each.
		var fb flatBuilder
		var uvs [][2]float32
		for t := 0; t+2 < len(corners); t += 3 {
			before := len(fb.m.Positions)
			if err := fb.add([3][3]float32{pos[corners[t].v], pos[corners[t+1].v], pos[corners[t+2].v]}); err != nil {
				return nil, fmt.Errorf("parse OBJ: %w", err)
			}
			if allUV && len(fb.m.Positions) > before {
				uvs = append(uvs, tex[corners[t].t], tex[corners[t+1].t], tex[corners[t+2].t])
			}
		}
		m, err := fb.mesh("OBJ")
		if err != nil {
			return nil, err
		}
		if allUV {
			m.UVs = uvs
		}
		return m, nil
	}
	// Shared corners: one vertex per distinct (v, vt, vn).
	m := &Mesh{}
	seen := map[objCorner]uint32{}
	for _, c := range corners {
		if !allUV {
			c.t = -1
		}
		ix, ok := seen[c]
		if !ok {
			ix = uint32(len(m.Positions))
			seen[c] = ix
			if !finite3(pos[c.v]) {
				return nil, errors.New("parse OBJ: a coordinate is not a finite number")
			}
			m.Positions = append(m.Positions, pos[c.v])
			m.Normals = append(m.Normals, nrm[c.n])
			if allUV {
				m.UVs = append(m.UVs, tex[c.t])
			}
		}
		m.Indices = append(m.Indices, ix)
	}
	m.DropDegenerate()
	if len(m.Indices) == 0 {
		return nil, errors.New("parse OBJ: all faces are degenerate (no area)")
	}
	for _, uv := range m.UVs {
		if !finite(float64(uv[0])) || !finite(float64(uv[1])) {
			return nil, errors.New("parse OBJ: a texture coordinate is not a finite number")
		}
	}
	m.normalizeNormals()
	return m, nil
}

// objFloats parses at least need numbers (up to 3 are used).
func objFloats(f [][]byte, need, line int) ([3]float32, error) {
	var out [3]float32
	if len(f) < need {
		return out, fmt.Errorf("parse OBJ: line %d: needs %d numbers, has %d", line, need, len(f))
	}
	for i := 0; i < len(f) && i < 3; i++ {
		v, err := strconv.ParseFloat(string(f[i]), 32)
		if err != nil {
			return out, fmt.Errorf("parse OBJ: line %d: %q is not a number", line, truncate(f[i]))
		}
		out[i] = float32(v)
	}
	return out, nil
}

// objCornerOf parses "v", "v/t", "v//n" or "v/t/n" with 1-based or negative
// indices into 0-based ones.
func objCornerOf(s []byte, nv, nt, nn int) (objCorner, error) {
	parts := bytes.SplitN(s, []byte("/"), 3)
	oc := objCorner{-1, -1, -1}
	idx := func(b []byte, n int, what string) (int32, error) {
		i, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s index %q is not a number", what, truncate(b))
		}
		if i < 0 {
			i += int64(n) + 1
		}
		if i < 1 || i > int64(n) {
			return 0, fmt.Errorf("%s index %s is outside 1–%d", what, b, n)
		}
		return int32(i - 1), nil
	}
	var err error
	if oc.v, err = idx(parts[0], nv, "vertex"); err != nil {
		return oc, err
	}
	if len(parts) > 1 && len(parts[1]) > 0 {
		if oc.t, err = idx(parts[1], nt, "texture"); err != nil {
			return oc, err
		}
	}
	if len(parts) > 2 && len(parts[2]) > 0 {
		if oc.n, err = idx(parts[2], nn, "normal"); err != nil {
			return oc, err
		}
	}
	return oc, nil
}
