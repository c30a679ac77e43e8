package glb

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/qmuntal/gltf"
)

// Extension names the loader understands.
const (
	extMeshopt          = "EXT_meshopt_compression"
	extDraco            = "KHR_draco_mesh_compression"
	extQuantization     = "KHR_mesh_quantization"
	extTexTransform     = "KHR_texture_transform"
	extBasisu           = "KHR_texture_basisu"
	extWebP             = "EXT_texture_webp"
	extUnlit            = "KHR_materials_unlit"
	extEmissiveStrength = "KHR_materials_emissive_strength"
	extSpecGloss        = "KHR_materials_pbrSpecularGlossiness"
	extInstancing       = "EXT_mesh_gpu_instancing"
)

// maxSparseOrEmptyFactor bounds accessors that have no buffer view (all
// zeros plus optional sparse values): their decoded size may be at most this
// many times the file size, so a tiny file cannot claim billions of vertices.
const maxSparseOrEmptyFactor = 8

// view is a resolved buffer view: its bytes and stride.
type view struct {
	data   []byte
	stride int
	err    error
}

// extension returns the raw JSON of ext[name] (whatever type it was decoded
// into: qmuntal/gltf decodes registered extensions into structs).
func extension(ext gltf.Extensions, name string) (json.RawMessage, bool) {
	v, ok := ext[name]
	if !ok {
		return nil, false
	}
	switch t := v.(type) {
	case json.RawMessage:
		return t, true
	case []byte:
		return t, true
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return nil, false
		}
		return b, true
	}
}

// buffer returns the bytes of buffer i, resolving it on first use.
func (l *loader) buffer(i int) ([]byte, error) {
	if i < 0 || i >= len(l.doc.Buffers) || l.doc.Buffers[i] == nil {
		return nil, fmt.Errorf("buffer %d does not exist", i)
	}
	if l.buffers == nil {
		l.buffers = make([][]byte, len(l.doc.Buffers))
		l.bufErr = make([]error, len(l.doc.Buffers))
		l.bufDone = make([]bool, len(l.doc.Buffers))
	}
	if !l.bufDone[i] {
		l.bufDone[i] = true
		b := l.doc.Buffers[i]
		switch {
		case b.URI == "" && i == 0 && l.bin != nil:
			l.buffers[i] = l.bin
		case b.URI == "":
			l.bufErr[i] = fmt.Errorf("buffer %d has no data", i)
		default:
			data, err := resolveURI(b.URI, l.dir, int64(b.ByteLength)+4)
			l.buffers[i], l.bufErr[i] = data, err
		}
		if d := l.buffers[i]; b.ByteLength >= 0 && len(d) > b.ByteLength {
			l.buffers[i] = d[:b.ByteLength:b.ByteLength]
		}
	}
	return l.buffers[i], l.bufErr[i]
}

// bufferView returns the bytes of view i, decompressing meshopt views.
func (l *loader) bufferView(i int) ([]byte, int, error) {
	if i < 0 || i >= len(l.doc.BufferViews) || l.doc.BufferViews[i] == nil {
		return nil, 0, fmt.Errorf("buffer view %d does not exist", i)
	}
	if v, ok := l.views[i]; ok {
		return v.data, v.stride, v.err
	}
	bv := l.doc.BufferViews[i]
	var v view
	if raw, ok := extension(bv.Extensions, extMeshopt); ok {
		v.data, v.stride, v.err = l.meshoptView(raw, bv.ByteStride)
	} else {
		v.stride = bv.ByteStride
		var buf []byte
		buf, v.err = l.buffer(bv.Buffer)
		if v.err == nil {
			v.data, v.err = slice(buf, bv.ByteOffset, bv.ByteLength)
		}
	}
	if v.err != nil {
		v.err = fmt.Errorf("buffer view %d: %w", i, v.err)
	}
	l.views[i] = v
	return v.data, v.stride, v.err
}

func slice(b []byte, off, n int) ([]byte, error) {
	if off < 0 || n < 0 || off > len(b) || n > len(b)-off {
		return nil, fmt.Errorf("range %d+%d is outside the %d-byte buffer", off, n, len(b))
	}
	return b[off : off+n : off+n], nil
}

func componentSize(c gltf.ComponentType) int {
	switch c {
	case gltf.ComponentByte, gltf.ComponentUbyte:
		return 1
	case gltf.ComponentShort, gltf.ComponentUshort:
		return 2
	default:
		return 4
	}
}

func componentCount(t gltf.AccessorType) int {
	switch t {
	case gltf.AccessorScalar:
		return 1
	case gltf.AccessorVec2:
		return 2
	case gltf.AccessorVec3:
		return 3
	case gltf.AccessorVec4, gltf.AccessorMat2:
		return 4
	case gltf.AccessorMat3:
		return 9
	default:
		return 16
	}
}

// elementLayout is where an accessor's elements are: element k, component c
// is at data[k*stride + c*compSize] (matrix column padding is handled by
// columnPad).
type elementLayout struct {
	data     []byte
	stride   int
	count    int
	comps    int
	ctype    gltf.ComponentType
	norm     bool
	elemSize int
}

// layout checks accessor a against its buffer view and returns where its
// elements live. data is nil for accessors without a buffer view.
func (l *loader) layout(a *gltf.Accessor) (elementLayout, error) {
	lay := elementLayout{count: a.Count, comps: componentCount(a.Type), ctype: a.ComponentType, norm: a.Normalized}
	cs := componentSize(a.ComponentType)
	lay.elemSize = cs * lay.comps
	if a.Count <= 0 {
		return lay, errors.New("accessor count is not positive")
	}
	if a.BufferView == nil {
		limit := int64(maxSparseOrEmptyFactor)*l.fileSize + 1<<16
		if int64(a.Count)*int64(lay.comps)*4 > limit {
			return lay, fmt.Errorf("accessor without data declares %d elements, more than the file can justify", a.Count)
		}
		return lay, nil
	}
	data, stride, err := l.bufferView(*a.BufferView)
	if err != nil {
		return lay, err
	}
	if stride == 0 {
		stride = lay.elemSize
	}
	if stride < 0 {
		return lay, errors.New("negative byte stride")
	}
	if a.ByteOffset < 0 || a.ByteOffset > len(data) {
		return lay, fmt.Errorf("accessor offset %d is outside its %d-byte view", a.ByteOffset, len(data))
	}
	data = data[a.ByteOffset:]
	// Check count against the bytes before multiplying so nothing overflows.
	if a.Count > len(data) || (a.Count-1) > (len(data)-lay.elemSize)/max(stride, 1) || len(data) < lay.elemSize {
		return lay, fmt.Errorf("accessor declares %d elements of %d bytes but its view holds %d bytes", a.Count, lay.elemSize, len(data))
	}
	lay.data, lay.stride = data, stride
	return lay, nil
}

// component reads component c of element k as float64, normalising integers
// when the accessor says so.
func (lay *elementLayout) component(k, c int) float32 {
	p := lay.data[k*lay.stride+c*componentSize(lay.ctype):]
	return decodeComponent(p, lay.ctype, lay.norm)
}

func decodeComponent(p []byte, ct gltf.ComponentType, norm bool) float32 {
	switch ct {
	case gltf.ComponentFloat:
		return math.Float32frombits(binary.LittleEndian.Uint32(p))
	case gltf.ComponentUbyte:
		if norm {
			return float32(p[0]) / 255
		}
		return float32(p[0])
	case gltf.ComponentByte:
		if norm {
			return max(float32(int8(p[0]))/127, -1)
		}
		return float32(int8(p[0]))
	case gltf.ComponentUshort:
		v := binary.LittleEndian.Uint16(p)
		if norm {
			return float32(v) / 65535
		}
		return float32(v)
	case gltf.ComponentShort:
		v := int16(binary.LittleEndian.Uint16(p))
		if norm {
			return max(float32(v)/32767, -1)
		}
		return float32(v)
	default: // unsigned int
		v := binary.LittleEndian.Uint32(p)
		if norm {
			return float32(float64(v) / 4294967295)
		}
		return float32(v)
	}
}

// floats reads accessor i as float32s, want components per element (extra
// components are dropped, missing ones filled from fill).
func (l *loader) floats(i int, want int, fill float32) ([]float32, int, error) {
	if i < 0 || i >= len(l.doc.Accessors) || l.doc.Accessors[i] == nil {
		return nil, 0, fmt.Errorf("accessor %d does not exist", i)
	}
	a := l.doc.Accessors[i]
	if a.Type >= gltf.AccessorMat2 && !(a.Type == gltf.AccessorMat4 && a.ComponentType == gltf.ComponentFloat) {
		return nil, 0, fmt.Errorf("accessor %d: matrices other than float MAT4 are not supported", i)
	}
	lay, err := l.layout(a)
	if err != nil {
		return nil, 0, fmt.Errorf("accessor %d: %w", i, err)
	}
	if err := l.spend(int64(a.Count) * int64(want) * 4); err != nil {
		return nil, 0, err
	}
	out := make([]float32, a.Count*want)
	n := min(want, lay.comps)
	if lay.data != nil {
		readComponents(&lay, out, want, n)
	}
	if n < want {
		for k := 0; k < a.Count; k++ {
			for c := n; c < want; c++ {
				out[k*want+c] = fill
			}
		}
	}
	if a.Sparse != nil {
		if err := l.applySparse(a, lay, out, want); err != nil {
			return nil, 0, fmt.Errorf("accessor %d sparse: %w", i, err)
		}
	}
	return out, a.Count, nil
}

// applySparse overwrites the elements a's sparse section lists.
func (l *loader) applySparse(a *gltf.Accessor, lay elementLayout, out []float32, want int) error {
	sp := a.Sparse
	if sp.Count <= 0 {
		return nil
	}
	if sp.Count > a.Count {
		return fmt.Errorf("%d sparse values for %d elements", sp.Count, a.Count)
	}
	idxView, _, err := l.bufferView(sp.Indices.BufferView)
	if err != nil {
		return err
	}
	ics := componentSize(sp.Indices.ComponentType)
	idx, err := slice(idxView, sp.Indices.ByteOffset, sp.Count*ics)
	if err != nil {
		return fmt.Errorf("indices: %w", err)
	}
	valView, _, err := l.bufferView(sp.Values.BufferView)
	if err != nil {
		return err
	}
	vals, err := slice(valView, sp.Values.ByteOffset, sp.Count*lay.elemSize)
	if err != nil {
		return fmt.Errorf("values: %w", err)
	}
	vl := elementLayout{data: vals, stride: lay.elemSize, count: sp.Count, comps: lay.comps, ctype: lay.ctype, norm: lay.norm, elemSize: lay.elemSize}
	n := min(want, lay.comps)
	for s := 0; s < sp.Count; s++ {
		var k int
		switch ics {
		case 1:
			k = int(idx[s])
		case 2:
			k = int(binary.LittleEndian.Uint16(idx[s*2:]))
		default:
			k = int(binary.LittleEndian.Uint32(idx[s*4:]))
		}
		if k < 0 || k >= a.Count {
			return fmt.Errorf("sparse index %d is outside %d elements", k, a.Count)
		}
		for c := 0; c < n; c++ {
			out[k*want+c] = vl.component(s, c)
		}
	}
	return nil
}

// indices reads index accessor i. Indices at or past vertexCount are
// reported as an error (the primitive is then skipped).
func (l *loader) indices(i int, vertexCount int) ([]uint32, error) {
	if i < 0 || i >= len(l.doc.Accessors) || l.doc.Accessors[i] == nil {
		return nil, fmt.Errorf("accessor %d does not exist", i)
	}
	a := l.doc.Accessors[i]
	if a.Type != gltf.AccessorScalar {
		return nil, fmt.Errorf("index accessor %d is not SCALAR", i)
	}
	switch a.ComponentType {
	case gltf.ComponentUbyte, gltf.ComponentUshort, gltf.ComponentUint:
	default:
		return nil, fmt.Errorf("index accessor %d has a signed or float component type", i)
	}
	if a.Sparse != nil || a.BufferView == nil {
		// Rare: go through the general path.
		f, _, err := l.floats(i, 1, 0)
		if err != nil {
			return nil, err
		}
		out := make([]uint32, len(f))
		for k, v := range f {
			if !(v >= 0 && v < float32(vertexCount)) {
				return nil, fmt.Errorf("index %v is outside %d vertices", v, vertexCount)
			}
			out[k] = uint32(v)
		}
		return out, nil
	}
	lay, err := l.layout(a)
	if err != nil {
		return nil, fmt.Errorf("accessor %d: %w", i, err)
	}
	if err := l.spend(int64(a.Count) * 4); err != nil {
		return nil, err
	}
	out := make([]uint32, a.Count)
	d, st := lay.data, lay.stride
	var bad uint32
	vc := uint32(vertexCount)
	switch a.ComponentType {
	case gltf.ComponentUbyte:
		for k := range out {
			v := uint32(d[k*st])
			out[k] = v
			if v >= vc {
				bad++
			}
		}
	case gltf.ComponentUshort:
		for k := range out {
			v := uint32(binary.LittleEndian.Uint16(d[k*st:]))
			out[k] = v
			if v >= vc {
				bad++
			}
		}
	default:
		if st == 4 {
			d = d[:len(out)*4]
			for k := range out {
				v := binary.LittleEndian.Uint32(d[k*4:])
				out[k] = v
				if v >= vc {
					bad++
				}
			}
		} else {
			for k := range out {
				v := binary.LittleEndian.Uint32(d[k*st:])
				out[k] = v
				if v >= vc {
					bad++
				}
			}
		}
	}
	if bad > 0 {
		return nil, fmt.Errorf("index accessor %d has %d indices outside %d vertices", i, bad, vertexCount)
	}
	return out, nil
}

// readComponents converts the first n components of every element into
// out (want floats per element), one loop per component type so the inner
// loop has no type switch.
func readComponents(lay *elementLayout, out []float32, want, n int) {
	d, st, count := lay.data, lay.stride, lay.count
	le := binary.LittleEndian
	switch lay.ctype {
	case gltf.ComponentFloat:
		if n == 3 && want == 3 {
			for k := 0; k < count; k++ {
				p := d[k*st : k*st+12]
				o := out[k*3 : k*3+3]
				o[0] = math.Float32frombits(le.Uint32(p))
				o[1] = math.Float32frombits(le.Uint32(p[4:]))
				o[2] = math.Float32frombits(le.Uint32(p[8:]))
			}
			return
		}
		for k := 0; k < count; k++ {
			p := d[k*st:]
			for c := 0; c < n; c++ {
				out[k*want+c] = math.Float32frombits(le.Uint32(p[c*4:]))
			}
		}
	case gltf.ComponentUbyte:
		scale := float32(1)
		if lay.norm {
			scale = 1.0 / 255
		}
		for k := 0; k < count; k++ {
			p := d[k*st:]
			for c := 0; c < n; c++ {
				out[k*want+c] = float32(p[c]) * scale
			}
		}
	case gltf.ComponentByte:
		for k := 0; k < count; k++ {
			p := d[k*st:]
			for c := 0; c < n; c++ {
				v := float32(int8(p[c]))
				if lay.norm {
					v = max(v/127, -1)
				}
				out[k*want+c] = v
			}
		}
	case gltf.ComponentUshort:
		scale := float32(1)
		if lay.norm {
			scale = 1.0 / 65535
		}
		for k := 0; k < count; k++ {
			p := d[k*st:]
			for c := 0; c < n; c++ {
				out[k*want+c] = float32(le.Uint16(p[c*2:])) * scale
			}
		}
	case gltf.ComponentShort:
		for k := 0; k < count; k++ {
			p := d[k*st:]
			for c := 0; c < n; c++ {
				v := float32(int16(le.Uint16(p[c*2:])))
				if lay.norm {
					v = max(v/32767, -1)
				}
				out[k*want+c] = v
			}
		}
	default:
		for k := 0; k < count; k++ {
			p := d[k*st:]
			for c := 0; c < n; c++ {
				out[k*want+c] = decodeComponent(p[c*4:], gltf.ComponentUint, lay.norm)
			}
		}
	}
}
