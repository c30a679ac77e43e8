package meshio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// MaxInputBytes caps what ReadSTL and ReadOBJ read (the providers' file cap).
const MaxInputBytes = 2 << 30

// ReadSTL reads an STL file, ASCII or binary (told apart by the binary
// header's triangle count matching the size, since binary files may also
// begin with "solid"). Facets become flat-shaded triangles; the normals in
// the file are ignored because exporters often leave them zero.
func ReadSTL(r io.Reader) (*Mesh, error) {
	data, err := readCapped(r)
	if err != nil {
		return nil, fmt.Errorf("read STL: %w", err)
	}
	return ParseSTL(data)
}

// ParseSTL is ReadSTL over bytes in memory.
func ParseSTL(data []byte) (*Mesh, error) {
	if len(data) >= 84 {
		n := binary.LittleEndian.Uint32(data[80:84])
		if uint64(len(data)) == 84+50*uint64(n) {
			return parseBinarySTL(data[84:], int(n))
		}
	}
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("solid")) {
		return parseASCIISTL(data)
	}
	if len(data) >= 84 {
		n := binary.LittleEndian.Uint32(data[80:84])
		return nil, fmt.Errorf("parse STL: binary header says %d triangles (%d bytes) but the file has %d bytes", n, 84+50*uint64(n), len(data))
	}
	return nil, errors.New("parse STL: neither ASCII (\"solid …\") nor binary (too short)")
}

func parseBinarySTL(body []byte, n int) (*Mesh, error) {
	if n == 0 {
		return nil, errors.New("parse STL: the file has no triangles")
	}
	var fb flatBuilder
	fb.grow(n)
	for i := range n {
		rec := body[i*50 : i*50+50]
		var tri [3][3]float32
		for v := range 3 {
			for c := range 3 {
				off := 12 + v*12 + c*4
				tri[v][c] = math.Float32frombits(binary.LittleEndian.Uint32(rec[off:]))
			}
		}
		if err := fb.add(tri); err != nil {
			return nil, fmt.Errorf("parse STL: triangle %d: %w", i, err)
		}
	}
	return fb.mesh("STL")
}

func parseASCIISTL(data []byte) (*Mesh, error) {
	var fb flatBuilder
	var tri [3][3]float32
	corner := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		f := bytes.Fields(sc.Bytes())
		if len(f) == 0 {
			continue
		}
		switch string(f[0]) {
		case "vertex":
			if len(f) != 4 {
				return nil, fmt.Errorf("parse STL: line %d: a vertex needs 3 numbers", line)
			}
			if corner == 3 {
				return nil, fmt.Errorf("parse STL: line %d: more than 3 vertices in a facet", line)
			}
			for c := range 3 {
				v, err := strconv.ParseFloat(string(f[c+1]), 32)
				if err != nil {
					return nil, fmt.Errorf("parse STL: line %d: %q is not a number", line, f[c+1])
				}
				tri[corner][c] = float32(v)
			}
			corner++
		case "facet":
			corner = 0
		case "endloop":
			if corner != 3 {
				return nil, fmt.Errorf("parse STL: line %d: a facet has %d vertices, not 3", line, corner)
			}
			if err := fb.add(tri); err != nil {
				return nil, fmt.Errorf("parse STL: line %d: %w", line, err)
			}
			corner = 0
		case "solid", "endsolid", "outer", "endfacet":
		default:
			return nil, fmt.Errorf("parse STL: line %d: unexpected %q", line, truncate(f[0]))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse STL: %w", err)
	}
	return fb.mesh("STL")
}

// flatBuilder collects unshared triangles with face normals, dropping
// degenerate ones.
type flatBuilder struct {
	m       Mesh
	dropped int
}

func (b *flatBuilder) grow(n int) {
	n = min(n, 1<<22) // a lying header must not make us allocate gigabytes
	b.m.Positions = make([][3]float32, 0, 3*n)
	b.m.Normals = make([][3]float32, 0, 3*n)
	b.m.Indices = make([]uint32, 0, 3*n)
}

func (b *flatBuilder) add(tri [3][3]float32) error {
	for _, p := range tri {
		if !finite3(p) {
			return errors.New("a coordinate is not a finite number")
		}
	}
	n := cross64(tri[0], tri[1], tri[2])
	l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
	if !(l > 1e-30) || math.IsInf(l, 0) || tri[0] == tri[1] || tri[1] == tri[2] || tri[0] == tri[2] {
		b.dropped++
		return nil
	}
	if uint64(len(b.m.Positions))+3 > math.MaxUint32 {
		return errors.New("too many triangles")
	}
	nn := unit(n)
	base := uint32(len(b.m.Positions))
	b.m.Positions = append(b.m.Positions, tri[0], tri[1], tri[2])
	b.m.Normals = append(b.m.Normals, nn, nn, nn)
	b.m.Indices = append(b.m.Indices, base, base+1, base+2)
	return nil
}

func (b *flatBuilder) mesh(format string) (*Mesh, error) {
	if len(b.m.Indices) == 0 {
		if b.dropped > 0 {
			return nil, fmt.Errorf("parse %s: all %d triangles are degenerate (no area)", format, b.dropped)
		}
		return nil, fmt.Errorf("parse %s: the file has no triangles", format)
	}
	m := b.m
	return &m, nil
}

func readCapped(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > MaxInputBytes {
		return nil, fmt.Errorf("the file is larger than %d bytes", int64(MaxInputBytes))
	}
	return data, nil
}

func truncate(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "…"
	}
	return string(b)
}
