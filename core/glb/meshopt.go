package glb

// EXT_meshopt_compression decoder, written from the bitstream specification
// (KhronosGroup/glTF extensions/2.0/Vendor/EXT_meshopt_compression, appendix A
// and B). Every read is bounds-checked: a damaged stream is an error, never a
// panic, and output sizes are checked against the compressed size first.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// meshoptMaxRatio bounds how much larger decoded data may be than the
// compressed stream. The attribute codec's best case is 2 header bits for 16
// zero bytes (64×); the triangle codec's is 1 code byte per 12 index bytes.
// A stream claiming more is damaged or hostile.
const meshoptMaxRatio = 66

type meshoptExt struct {
	Buffer     int    `json:"buffer"`
	ByteOffset int    `json:"byteOffset"`
	ByteLength int    `json:"byteLength"`
	ByteStride int    `json:"byteStride"`
	Count      int    `json:"count"`
	Mode       string `json:"mode"`
	Filter     string `json:"filter"`
}

var errMeshopt = errors.New("meshopt stream is damaged")

// meshoptView decodes an EXT_meshopt_compression buffer view.
func (l *loader) meshoptView(raw json.RawMessage, viewStride int) ([]byte, int, error) {
	var e meshoptExt
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, 0, fmt.Errorf("meshopt extension: %w", err)
	}
	if e.Count <= 0 || e.ByteStride <= 0 || e.ByteStride > 256 {
		return nil, 0, fmt.Errorf("meshopt: count %d, stride %d are invalid", e.Count, e.ByteStride)
	}
	buf, err := l.buffer(e.Buffer)
	if err != nil {
		return nil, 0, err
	}
	src, err := slice(buf, e.ByteOffset, e.ByteLength)
	if err != nil {
		return nil, 0, fmt.Errorf("meshopt data: %w", err)
	}
	if int64(e.Count) > (int64(len(src))*meshoptMaxRatio+4096)/int64(e.ByteStride) {
		return nil, 0, fmt.Errorf("meshopt: %d×%d bytes cannot come from %d compressed bytes", e.Count, e.ByteStride, len(src))
	}
	size := e.Count * e.ByteStride
	if err := l.spend(int64(size)); err != nil {
		return nil, 0, err
	}
	out := make([]byte, size)
	switch e.Mode {
	case "ATTRIBUTES":
		if e.ByteStride%4 != 0 {
			return nil, 0, fmt.Errorf("meshopt: attribute stride %d is not a multiple of 4", e.ByteStride)
		}
		err = decodeMeshoptVertices(out, e.Count, e.ByteStride, src)
	case "TRIANGLES":
		if e.Count%3 != 0 {
			return nil, 0, errors.New("meshopt: triangle index count is not a multiple of 3")
		}
		err = decodeMeshoptTriangles(out, e.Count, e.ByteStride, src)
	case "INDICES":
		err = decodeMeshoptIndices(out, e.Count, e.ByteStride, src)
	default:
		return nil, 0, fmt.Errorf("meshopt: unknown mode %q", e.Mode)
	}
	if err != nil {
		return nil, 0, err
	}
	switch e.Filter {
	case "", "NONE":
	case "OCTAHEDRAL":
		err = filterOctahedral(out, e.ByteStride)
	case "QUATERNION":
		err = filterQuaternion(out, e.ByteStride)
	case "EXPONENTIAL":
		err = filterExponential(out, e.ByteStride)
	default:
		err = fmt.Errorf("meshopt: unknown filter %q", e.Filter)
	}
	if err != nil {
		return nil, 0, err
	}
	return out, viewStride, nil
}

// Attribute codec constants (appendix A, mode 0).
const (
	meshoptVertexHeader = 0xa0
	meshoptBlockBytes   = 8192
	meshoptBlockMax     = 256
	meshoptGroupSize    = 16
	meshoptTailMin      = 32
)

// decodeMeshoptVertices decodes count elements of stride bytes into dst.
func decodeMeshoptVertices(dst []byte, count, stride int, src []byte) error {
	tail := max(stride, meshoptTailMin)
	if len(src) < 1+tail || src[0] != meshoptVertexHeader {
		return errMeshopt
	}
	var last [256]byte
	copy(last[:stride], src[len(src)-stride:])
	end := len(src) - tail // blocks must end exactly here
	pos := 1
	blockMax := min((meshoptBlockBytes/stride)&^(meshoptGroupSize-1), meshoptBlockMax)
	var deltas [meshoptBlockMax]byte
	for start := 0; start < count; {
		n := min(count-start, blockMax)
		groups := (n + meshoptGroupSize - 1) / meshoptGroupSize
		headerSize := (groups + 3) / 4
		for k := 0; k < stride; k++ {
			if end-pos < headerSize {
				return errMeshopt
			}
			header := src[pos : pos+headerSize]
			pos += headerSize
			for g := 0; g < groups; g++ {
				mode := (header[g/4] >> ((g % 4) * 2)) & 3
				var err error
				pos, err = decodeMeshoptGroup(deltas[g*16:g*16+16], mode, src[:end], pos)
				if err != nil {
					return err
				}
			}
			p := last[k]
			for i := 0; i < n; i++ {
				d := deltas[i]
				p += (d >> 1) ^ -(d & 1) // unzigzag, wrapping
				dst[(start+i)*stride+k] = p
			}
			last[k] = p
		}
		start += n
	}
	if pos != end {
		return errMeshopt
	}
	return nil
}

// decodeMeshoptGroup decodes 16 byte deltas starting at src[pos].
func decodeMeshoptGroup(out []byte, mode byte, src []byte, pos int) (int, error) {
	switch mode {
	case 0:
		clear(out)
		return pos, nil
	case 1, 2:
		bits := uint(mode) * 2  // 2 or 4
		packed := int(bits) * 2 // 4 or 8 bytes of packed deltas
		if len(src)-pos < packed {
			return 0, errMeshopt
		}
		codes := src[pos : pos+packed]
		extra := pos + packed
		sentinel := byte(1<<bits - 1)
		perByte := 8 / int(bits)
		for i := 0; i < 16; i++ {
			b := codes[i/perByte]
			shift := uint(8-int(bits)) - uint(i%perByte)*bits // most significant first
			v := (b >> shift) & sentinel
			if v == sentinel {
				if extra >= len(src) {
					return 0, errMeshopt
				}
				v = src[extra]
				extra++
			}
			out[i] = v
		}
		return extra, nil
	default:
		if len(src)-pos < 16 {
			return 0, errMeshopt
		}
		copy(out, src[pos:pos+16])
		return pos + 16, nil
	}
}

// Index codec constants (appendix A, modes 1 and 2).
const (
	meshoptTriangleHeader = 0xe1
	meshoptIndexHeader    = 0xd1
)

func putIndex(dst []byte, i int, v uint32, size int) {
	if size == 2 {
		binary.LittleEndian.PutUint16(dst[i*2:], uint16(v))
	} else {
		binary.LittleEndian.PutUint32(dst[i*4:], v)
	}
}

// readVByte reads an unsigned LEB128 value of at most 5 bytes. The callers
// guarantee 5 readable bytes.
func readVByte(src []byte, pos int) (uint32, int) {
	lead := src[pos]
	pos++
	if lead < 128 {
		return uint32(lead), pos
	}
	result := uint32(lead & 127)
	shift := uint(7)
	for i := 0; i < 4; i++ {
		g := src[pos]
		pos++
		result |= uint32(g&127) << shift
		shift += 7
		if g < 128 {
			break
		}
	}
	return result, pos
}

// decodeMeshoptTriangles decodes a triangle list (mode 1).
func decodeMeshoptTriangles(dst []byte, count, size int, src []byte) error {
	if size != 2 && size != 4 {
		return fmt.Errorf("meshopt: index stride %d is not 2 or 4", size)
	}
	tris := count / 3
	if len(src) < 1+tris+16 || src[0] != meshoptTriangleHeader {
		return errMeshopt
	}
	var edges [16][2]uint32
	var verts [16]uint32
	ef, vf := 0, 0
	var next, last uint32
	code := 1
	data := 1 + tris
	safeEnd := len(src) - 16 // each triangle reads at most 16 data bytes
	aux := src[safeEnd:]
	pushEdge := func(a, b uint32) {
		edges[ef] = [2]uint32{a, b}
		ef = (ef + 1) & 15
	}
	pushVert := func(v uint32, cond bool) {
		if cond {
			verts[vf] = v
			vf = (vf + 1) & 15
		}
	}
	decodeIndex := func() uint32 {
		var v uint32
		v, data = readVByte(src, data)
		last += (v >> 1) ^ -(v & 1)
		return last
	}
	for t := 0; t < tris; t++ {
		if data > safeEnd {
			return errMeshopt
		}
		ct := src[code]
		code++
		var a, b, c uint32
		if ct < 0xf0 {
			e := edges[(ef-1-int(ct>>4))&15]
			a, b = e[0], e[1]
			fec := int(ct & 15)
			switch {
			case fec == 0:
				c = next
				next++
				pushVert(c, true)
			case fec < 13:
				c = verts[(vf-1-fec)&15]
			case fec < 15:
				if fec == 13 {
					last--
				} else {
					last++
				}
				c = last
				pushVert(c, true)
			default:
				c = decodeIndex()
				pushVert(c, true)
			}
			pushEdge(c, b)
			pushEdge(a, c)
		} else {
			var feb, fec int
			if ct < 0xfe {
				x := aux[ct&15]
				feb, fec = int(x>>4), int(x&15)
				a = next
				next++
				if feb == 0 {
					b = next
					next++
				} else {
					b = verts[(vf-feb)&15]
				}
				if fec == 0 {
					c = next
					next++
				} else {
					c = verts[(vf-fec)&15]
				}
				pushVert(a, true)
				pushVert(b, feb == 0)
				pushVert(c, fec == 0)
			} else {
				x := src[data]
				data++
				if x == 0 {
					next = 0
				}
				feb, fec = int(x>>4), int(x&15)
				if ct == 0xfe {
					a = next
					next++
				}
				if feb == 0 {
					b = next
					next++
				} else if feb < 15 {
					b = verts[(vf-feb)&15]
				}
				if fec == 0 {
					c = next
					next++
				} else if fec < 15 {
					c = verts[(vf-fec)&15]
				}
				if ct == 0xff {
					a = decodeIndex()
				}
				if feb == 15 {
					b = decodeIndex()
				}
				if fec == 15 {
					c = decodeIndex()
				}
				pushVert(a, true)
				pushVert(b, feb == 0 || feb == 15)
				pushVert(c, fec == 0 || fec == 15)
			}
			pushEdge(b, a)
			pushEdge(c, b)
			pushEdge(a, c)
		}
		putIndex(dst, t*3, a, size)
		putIndex(dst, t*3+1, b, size)
		putIndex(dst, t*3+2, c, size)
	}
	if data != safeEnd {
		return errMeshopt
	}
	return nil
}

// decodeMeshoptIndices decodes an index sequence (mode 2).
func decodeMeshoptIndices(dst []byte, count, size int, src []byte) error {
	if size != 2 && size != 4 {
		return fmt.Errorf("meshopt: index stride %d is not 2 or 4", size)
	}
	if len(src) < 1+count+4 || src[0] != meshoptIndexHeader {
		return errMeshopt
	}
	safeEnd := len(src) - 4 // a varint is at most 5 bytes
	pos := 1
	var last [2]uint32
	for i := 0; i < count; i++ {
		if pos >= safeEnd {
			return errMeshopt
		}
		var v uint32
		v, pos = readVByte(src, pos)
		base := v & 1
		v >>= 1
		last[base] += (v >> 1) ^ -(v & 1)
		putIndex(dst, i, last[base], size)
	}
	if pos != safeEnd {
		return errMeshopt
	}
	return nil
}

// filterOctahedral decodes octahedral unit vectors in place (appendix B).
func filterOctahedral(b []byte, stride int) error {
	switch stride {
	case 4:
		for i := 0; i+4 <= len(b); i += 4 {
			x, y, z := octahedral(float32(int8(b[i])), float32(int8(b[i+1])), float32(int8(b[i+2])), 127)
			b[i], b[i+1], b[i+2] = byte(int8(x)), byte(int8(y)), byte(int8(z))
		}
	case 8:
		for i := 0; i+8 <= len(b); i += 8 {
			rd := func(k int) float32 { return float32(int16(binary.LittleEndian.Uint16(b[i+k:]))) }
			x, y, z := octahedral(rd(0), rd(2), rd(4), 32767)
			binary.LittleEndian.PutUint16(b[i:], uint16(int16(x)))
			binary.LittleEndian.PutUint16(b[i+2:], uint16(int16(y)))
			binary.LittleEndian.PutUint16(b[i+4:], uint16(int16(z)))
		}
	default:
		return fmt.Errorf("meshopt: octahedral filter needs stride 4 or 8, not %d", stride)
	}
	return nil
}

func octahedral(ix, iy, one, maxv float32) (int32, int32, int32) {
	if one == 0 {
		return 0, 0, int32(maxv)
	}
	x, y := ix/one, iy/one
	z := 1 - abs32(x) - abs32(y)
	t := min(z, 0)
	x -= float32(math.Copysign(float64(t), float64(x)))
	y -= float32(math.Copysign(float64(t), float64(y)))
	l := float32(math.Sqrt(float64(x*x + y*y + z*z)))
	if !(l > 0) {
		return 0, 0, int32(maxv)
	}
	q := func(v float32) int32 { return int32(clampf(float32(math.Round(float64(v/l*maxv))), -maxv, maxv)) }
	return q(x), q(y), q(z)
}

// filterQuaternion decodes max-component quaternions in place.
func filterQuaternion(b []byte, stride int) error {
	if stride != 8 {
		return fmt.Errorf("meshopt: quaternion filter needs stride 8, not %d", stride)
	}
	const rng = 1 / math.Sqrt2
	for i := 0; i+8 <= len(b); i += 8 {
		var in [4]int16
		for k := range in {
			in[k] = int16(binary.LittleEndian.Uint16(b[i+k*2:]))
		}
		one := float32(in[3] | 3)
		x := float32(in[0]) / one * rng
		y := float32(in[1]) / one * rng
		z := float32(in[2]) / one * rng
		w := float32(math.Sqrt(float64(max(0, 1-x*x-y*y-z*z))))
		mc := int(in[3] & 3)
		q := func(v float32) uint16 {
			return uint16(int16(clampf(float32(math.Round(float64(v*32767))), -32767, 32767)))
		}
		binary.LittleEndian.PutUint16(b[i+((mc+1)%4)*2:], q(x))
		binary.LittleEndian.PutUint16(b[i+((mc+2)%4)*2:], q(y))
		binary.LittleEndian.PutUint16(b[i+((mc+3)%4)*2:], q(z))
		binary.LittleEndian.PutUint16(b[i+(mc%4)*2:], q(w))
	}
	return nil
}

// filterExponential turns (8-bit exponent, 24-bit mantissa) into float32.
func filterExponential(b []byte, stride int) error {
	if stride%4 != 0 {
		return fmt.Errorf("meshopt: exponential filter needs a stride divisible by 4, not %d", stride)
	}
	for i := 0; i+4 <= len(b); i += 4 {
		v := int32(binary.LittleEndian.Uint32(b[i:]))
		e := v >> 24
		m := (v << 8) >> 8
		f := float32(math.Ldexp(float64(m), int(e)))
		binary.LittleEndian.PutUint32(b[i:], math.Float32bits(f))
	}
	return nil
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

func clampf(v, lo, hi float32) float32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
