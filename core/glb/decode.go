package glb

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/qmuntal/gltf"
)

// GLB container constants (glTF 2.0 spec, "Binary glTF Layout").
const (
	glbMagic      = 0x46546C67 // "glTF"
	glbChunkJSON  = 0x4E4F534A // "JSON"
	glbChunkBIN   = 0x004E4942 // "BIN\0"
	glbHeaderSize = 12
)

// ErrNotGLTF is returned when the bytes are neither a GLB container nor glTF JSON.
var ErrNotGLTF = errors.New("not a GLB or glTF file")

// Open loads a .glb or .gltf file. Buffers and images referenced by relative
// URIs are read from the file's folder.
func Open(path string) (*Scene, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	s, err := decode(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", filepath.Base(path), err)
	}
	return s, nil
}

// Decode loads a GLB or a self-contained .gltf (embedded data: URIs) from
// memory. External URIs cannot be resolved and their primitives are skipped
// with a note.
func Decode(data []byte) (*Scene, error) {
	return decode(data, "")
}

// container is a parsed GLB (or bare glTF JSON).
type container struct {
	json []byte
	bin  []byte // the GLB BIN chunk, nil for .gltf
}

func splitContainer(data []byte) (container, error) {
	if len(data) >= 4 && binary.LittleEndian.Uint32(data) == glbMagic {
		return splitGLB(data)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	trimmed = bytes.TrimPrefix(trimmed, []byte("\xef\xbb\xbf"))
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return container{}, ErrNotGLTF
	}
	return container{json: trimmed}, nil
}

func splitGLB(data []byte) (container, error) {
	if len(data) < glbHeaderSize+8 {
		return container{}, errors.New("GLB file is truncated (no JSON chunk)")
	}
	if v := binary.LittleEndian.Uint32(data[4:]); v != 2 {
		return container{}, fmt.Errorf("GLB version %d is not supported (only glTF 2.0)", v)
	}
	total := uint64(binary.LittleEndian.Uint32(data[8:]))
	if total < uint64(len(data)) {
		data = data[:total] // trailing bytes after the declared length are ignored
	}
	var c container
	off := uint64(glbHeaderSize)
	for off+8 <= uint64(len(data)) {
		n := uint64(binary.LittleEndian.Uint32(data[off:]))
		typ := binary.LittleEndian.Uint32(data[off+4:])
		off += 8
		end := off + n
		if end > uint64(len(data)) {
			if typ == glbChunkBIN && c.json != nil {
				// A truncated BIN chunk: keep what is there; accessors that
				// reach past it are rejected one by one.
				c.bin = data[off:]
				break
			}
			return container{}, fmt.Errorf("GLB chunk is truncated (%d bytes declared, %d present)", n, uint64(len(data))-off)
		}
		switch {
		case typ == glbChunkJSON && c.json == nil:
			c.json = data[off:end]
		case typ == glbChunkBIN && c.bin == nil && c.json != nil:
			c.bin = data[off:end]
		}
		off = end + (4-end%4)%4
	}
	if c.json == nil {
		return container{}, errors.New("GLB file has no JSON chunk")
	}
	return c, nil
}

// jsonUnmarshal is json.Unmarshal (one place to swap the JSON decoder).
var jsonUnmarshal = json.Unmarshal

func decode(data []byte, dir string) (*Scene, error) {
	c, err := splitContainer(data)
	if err != nil {
		return nil, err
	}
	doc := new(gltf.Document)
	if err := jsonUnmarshal(c.json, doc); err != nil {
		return nil, fmt.Errorf("glTF JSON is invalid: %w", err)
	}
	if v := doc.Asset.Version; v != "" && !strings.HasPrefix(v, "2.") {
		return nil, fmt.Errorf("glTF version %s is not supported (only 2.x)", v)
	}
	l := newLoader(doc, c.bin, dir, int64(len(data)))
	return l.load()
}

// resolveURI returns the bytes a buffer or image URI points at: a data: URI
// or a file relative to dir.
func resolveURI(uri, dir string, maxBytes int64) ([]byte, error) {
	if strings.HasPrefix(uri, "data:") {
		comma := strings.IndexByte(uri, ',')
		if comma < 0 {
			return nil, errors.New("data URI has no comma")
		}
		meta, payload := uri[5:comma], uri[comma+1:]
		if strings.HasSuffix(meta, ";base64") {
			b, err := base64.StdEncoding.DecodeString(payload)
			if err != nil {
				// Some exporters omit padding.
				b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(payload, "="))
			}
			if err != nil {
				return nil, fmt.Errorf("data URI is not valid base64: %w", err)
			}
			return b, nil
		}
		s, err := url.PathUnescape(payload)
		if err != nil {
			return nil, fmt.Errorf("data URI is invalid: %w", err)
		}
		return []byte(s), nil
	}
	if dir == "" {
		return nil, fmt.Errorf("external file %q cannot be read (model loaded from memory)", uri)
	}
	name, err := url.PathUnescape(uri)
	if err != nil {
		name = uri
	}
	if strings.Contains(name, "://") || filepath.IsAbs(name) {
		return nil, fmt.Errorf("external file %q is not a relative path", uri)
	}
	path := filepath.Join(dir, filepath.FromSlash(name))
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("external file %q: %w", uri, err)
	}
	if !fi.Mode().IsRegular() {
		// Devices and pipes could block or never end.
		return nil, fmt.Errorf("external file %q is not a regular file", uri)
	}
	if maxBytes > 0 && fi.Size() > maxBytes {
		return nil, fmt.Errorf("external file %q is larger than it is declared (%d bytes)", uri, fi.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("external file %q: %w", uri, err)
	}
	return b, nil
}
