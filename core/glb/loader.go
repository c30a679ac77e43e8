package glb

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/qmuntal/gltf"
)

// Notes shown on thumbnails and in the preview.
const (
	NoteDraco        = "Draco geometry is not supported"
	NoteKTX2         = "KTX2/Basis textures are not supported: drawn with the base colour"
	NoteTruncated    = "The model is too large for its file size: only part of it is drawn"
	NoteExternal     = "Some external files could not be read: parts of the model are missing"
	NoteBadPrimitive = "Some damaged parts of the model were skipped"
	NoteNotTriangles = "Points and lines are not drawn"
	NoteBadTexture   = "Some textures could not be decoded: drawn with the base colour"
)

// budgetFactor and budgetBase bound everything the loader allocates for
// geometry: budgetFactor times the file size plus budgetBase bytes. Real
// files stay far below it (meshopt compresses at most ~64×, instancing is
// rare); a crafted file that instances a mesh a million times is cut short
// with NoteTruncated instead of exhausting memory.
const (
	budgetFactor = 40
	budgetBase   = 64 << 20
)

// parallelWeldMin is the vertex count from which welding runs concurrently.
const parallelWeldMin = 16384

// maxNodeDepth bounds node hierarchies (and so recursion and work).
const maxNodeDepth = 1 << 10

type loader struct {
	doc      *gltf.Document
	bin      []byte
	dir      string
	fileSize int64
	budget   int64

	buffers [][]byte
	bufErr  []error
	bufDone []bool
	views   map[int]view

	scene *Scene
	notes []string

	parent []int
	world  [][16]float64
	wstate []uint8 // 0 unknown, 1 computing, 2 done

	uvInfo   []uvInfo         // per document material
	usedMats []bool           // document materials used by drawn primitives
	decoded  map[int]*Texture // document image → its background decode
	emissive []chan [3]float32
}

func newLoader(doc *gltf.Document, bin []byte, dir string, fileSize int64) *loader {
	return &loader{
		doc: doc, bin: bin, dir: dir, fileSize: fileSize,
		budget: budgetFactor*fileSize + budgetBase,
		views:  map[int]view{}, decoded: map[int]*Texture{},
		scene: &Scene{},
	}
}

var errBudget = fmt.Errorf("%s", NoteTruncated)

// spend reserves n bytes of the allocation budget.
func (l *loader) spend(n int64) error {
	if n < 0 || n > l.budget {
		l.budget = 0
		return errBudget
	}
	l.budget -= n
	return nil
}

func (l *loader) note(s string) {
	if !slices.Contains(l.notes, s) {
		l.notes = append(l.notes, s)
	}
}

func (l *loader) load() (*Scene, error) {
	doc := l.doc
	s := l.scene
	s.Stats.FileBytes = l.fileSize
	s.Stats.Extensions = slices.Clone(doc.ExtensionsUsed)
	s.Stats.Generator = doc.Asset.Generator
	s.Stats.Textures = len(doc.Images)
	for _, e := range doc.ExtensionsRequired {
		switch e {
		case extMeshopt, extDraco, extQuantization, extTexTransform, extBasisu, extWebP, extUnlit, extEmissiveStrength, extSpecGloss, extInstancing:
		default:
			// Draw what we can anyway, but say why it may look wrong.
			l.note(fmt.Sprintf("The model needs %s, which is not supported: it may look wrong", e))
		}
	}

	l.uvInfo = make([]uvInfo, len(doc.Materials))
	for i, m := range doc.Materials {
		applySpecGloss(m)
		l.uvInfo[i] = materialUV(m)
	}
	l.usedMats = make([]bool, len(doc.Materials))
	l.buildHierarchy()
	draw := l.walkScene()
	// Textures first: they decode in the background while the geometry
	// below is built, and only those of drawn materials are decoded.
	l.markUsedMaterials(draw)
	l.buildMaterials()
draw:
	for _, d := range draw {
		nd := l.doc.Nodes[d.node]
		worlds, err := l.instances(nd, d.world)
		if err == errBudget {
			l.note(NoteTruncated)
			break
		}
		for _, w := range worlds {
			if err := l.addMesh(nd, w); err == errBudget {
				l.note(NoteTruncated)
				break draw
			}
		}
	}
	l.finish()
	return s, nil
}

// drawItem is a node with a mesh and its world matrix.
type drawItem struct {
	node  int
	world [16]float64
}

// markUsedMaterials flags the materials of primitives that will be drawn.
func (l *loader) markUsedMaterials(draw []drawItem) {
	for _, d := range draw {
		mi := *l.doc.Nodes[d.node].Mesh
		if mi < 0 || mi >= len(l.doc.Meshes) || l.doc.Meshes[mi] == nil {
			continue
		}
		for _, p := range l.doc.Meshes[mi].Primitives {
			if p == nil || p.Material == nil || *p.Material < 0 || *p.Material >= len(l.usedMats) {
				continue
			}
			if _, draco := extension(p.Extensions, extDraco); draco {
				continue
			}
			l.usedMats[*p.Material] = true
		}
	}
}

// buildHierarchy records each node's parent (the first one, if a broken file
// lists a node twice) so joints outside the drawn scene still get a world
// transform.
func (l *loader) buildHierarchy() {
	n := len(l.doc.Nodes)
	l.parent = make([]int, n)
	for i := range l.parent {
		l.parent[i] = -1
	}
	for i, nd := range l.doc.Nodes {
		if nd == nil {
			continue
		}
		for _, c := range nd.Children {
			if c >= 0 && c < n && c != i && l.parent[c] < 0 {
				l.parent[c] = i
			}
		}
	}
	l.world = make([][16]float64, n)
	l.wstate = make([]uint8, n)
}

// worldOf returns node i's world matrix following parents (cycle-safe).
func (l *loader) worldOf(i int) [16]float64 {
	if i < 0 || i >= len(l.doc.Nodes) {
		return identity
	}
	// Walk up iteratively to avoid deep recursion.
	chain := []int{}
	for j := i; j >= 0 && l.wstate[j] != 2; j = l.parent[j] {
		if l.wstate[j] == 1 || len(chain) > maxNodeDepth {
			break // cycle or absurd depth: treat as a root
		}
		l.wstate[j] = 1
		chain = append(chain, j)
	}
	for k := len(chain) - 1; k >= 0; k-- {
		j := chain[k]
		p := l.parent[j]
		base := identity
		if p >= 0 && l.wstate[p] == 2 {
			base = l.world[p]
		}
		l.world[j] = mul4(base, localMatrix(l.doc.Nodes[j]))
		l.wstate[j] = 2
	}
	if l.wstate[i] != 2 {
		return localMatrix(l.doc.Nodes[i])
	}
	return l.world[i]
}

// walkScene lists the nodes with meshes of the default scene (or the first;
// or, with no scenes, every root node), visiting each node once.
func (l *loader) walkScene() []drawItem {
	var draw []drawItem
	doc := l.doc
	var roots []int
	switch {
	case doc.Scene != nil && *doc.Scene >= 0 && *doc.Scene < len(doc.Scenes) && doc.Scenes[*doc.Scene] != nil:
		roots = doc.Scenes[*doc.Scene].Nodes
	case len(doc.Scenes) > 0 && doc.Scenes[0] != nil:
		roots = doc.Scenes[0].Nodes
	default:
		for i := range doc.Nodes {
			if l.parent[i] < 0 {
				roots = append(roots, i)
			}
		}
	}
	visited := make([]bool, len(doc.Nodes))
	type item struct {
		node  int
		world [16]float64
		depth int
	}
	stack := make([]item, 0, 16)
	for k := len(roots) - 1; k >= 0; k-- {
		stack = append(stack, item{roots[k], identity, 0})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i := it.node
		if i < 0 || i >= len(doc.Nodes) || visited[i] || doc.Nodes[i] == nil || it.depth > maxNodeDepth {
			continue
		}
		visited[i] = true
		nd := doc.Nodes[i]
		w := mul4(it.world, localMatrix(nd))
		if nd.Mesh != nil {
			draw = append(draw, drawItem{i, w})
		}
		for k := len(nd.Children) - 1; k >= 0; k-- {
			stack = append(stack, item{nd.Children[k], w, it.depth + 1})
		}
	}
	return draw
}

func (l *loader) addMesh(nd *gltf.Node, world [16]float64) error {
	mi := *nd.Mesh
	if mi < 0 || mi >= len(l.doc.Meshes) || l.doc.Meshes[mi] == nil {
		l.note(NoteBadPrimitive)
		return nil
	}
	var sk *skinning
	if nd.Skin != nil {
		var err error
		sk, err = l.skin(*nd.Skin)
		if err == errBudget {
			return err
		}
	}
	for _, p := range l.doc.Meshes[mi].Primitives {
		if p == nil {
			continue
		}
		err := l.addPrimitive(p, world, sk)
		switch {
		case err == errBudget:
			return err
		case err != nil:
			if strings.Contains(err.Error(), "external file") {
				l.note(NoteExternal)
			} else {
				l.note(NoteBadPrimitive)
			}
		}
	}
	return nil
}

func (l *loader) addPrimitive(p *gltf.Primitive, world [16]float64, sk *skinning) error {
	if _, ok := extension(p.Extensions, extDraco); ok {
		l.note(NoteDraco)
		return nil
	}
	switch p.Mode {
	case gltf.PrimitiveTriangles, gltf.PrimitiveTriangleStrip, gltf.PrimitiveTriangleFan:
	default:
		l.note(NoteNotTriangles)
		return nil
	}
	posAcc, ok := p.Attributes[gltf.POSITION]
	if !ok {
		return fmt.Errorf("primitive has no POSITION")
	}
	pos, nv, err := l.floats(posAcc, 3, 0)
	if err != nil {
		return err
	}
	// Files without normals need a position weld for smooth normals; on
	// big meshes it runs on another core while indices and attributes are
	// read (it only compares positions, so it can run before transforms).
	var weldCh chan []uint32
	if _, hasNormals := p.Attributes[gltf.NORMAL]; !hasNormals && nv >= parallelWeldMin {
		if err := l.spend(int64(nv) * 12); err != nil {
			return err
		}
		weldCh = make(chan []uint32, 1)
		go func() { weldCh <- weldPositions(pos) }()
	}
	var weld []uint32
	defer func() {
		if weldCh != nil && weld == nil {
			<-weldCh // never leave the goroutine reading pos after returning
		}
	}()
	var idx []uint32
	if p.Indices != nil {
		idx, err = l.indices(*p.Indices, nv)
		if err != nil {
			return err
		}
	} else {
		if err := l.spend(int64(nv) * 4); err != nil {
			return err
		}
		idx = make([]uint32, nv)
		for i := range idx {
			idx[i] = uint32(i)
		}
	}
	if p.Mode != gltf.PrimitiveTriangles {
		if err := l.spend(int64(len(idx)) * 12); err != nil {
			return err
		}
	}
	switch p.Mode {
	case gltf.PrimitiveTriangleStrip:
		idx = stripToList(idx)
	case gltf.PrimitiveTriangleFan:
		idx = fanToList(idx)
	default:
		idx = idx[:len(idx)/3*3]
	}
	if len(idx) == 0 {
		return nil
	}
	prim := Prim{Positions: pos, Indices: idx, Material: -1}
	if p.Material != nil && *p.Material >= 0 && *p.Material < len(l.doc.Materials) {
		prim.Material = *p.Material
	}

	// Optional attributes: a damaged one is dropped, not the primitive.
	if a, ok := p.Attributes[gltf.NORMAL]; ok {
		if n, cnt, err := l.floats(a, 3, 0); err == nil && cnt == nv {
			prim.Normals = n
		} else if err == errBudget {
			return err
		}
	}
	uv := uvInfo{}
	if prim.Material >= 0 {
		uv = l.uvInfo[prim.Material]
	}
	if uv.textured {
		if a, ok := p.Attributes[fmt.Sprintf("TEXCOORD_%d", uv.texCoord)]; ok {
			if t, cnt, err := l.floats(a, 2, 0); err == nil && cnt == nv {
				uv.apply(t)
				prim.UVs = t
			} else if err == errBudget {
				return err
			}
		}
	}
	if a, ok := p.Attributes[gltf.COLOR_0]; ok {
		if c, cnt, err := l.floats(a, 4, 1); err == nil && cnt == nv {
			prim.Colors = c
		} else if err == errBudget {
			return err
		}
	}

	if weldCh != nil {
		weld = <-weldCh // before anything below moves the positions
	}
	skinned := false
	if sk != nil {
		ja, okj := p.Attributes[gltf.JOINTS_0]
		wa, okw := p.Attributes[gltf.WEIGHTS_0]
		if okj && okw {
			joints, jc, err1 := l.floats(ja, 4, 0)
			weights, wc, err2 := l.floats(wa, 4, 0)
			if err1 == errBudget || err2 == errBudget {
				return errBudget
			}
			if err1 == nil && err2 == nil && jc == nv && wc == nv {
				sk.apply(prim.Positions, prim.Normals, joints, weights)
				skinned = true
			}
		}
	}
	flip := false
	if !skinned {
		transformPoints(prim.Positions, world)
		if prim.Normals != nil {
			transformNormals(prim.Normals, world)
		}
		flip = det3(world) < 0
	}
	if flip {
		for t := 0; t+2 < len(prim.Indices); t += 3 {
			prim.Indices[t+1], prim.Indices[t+2] = prim.Indices[t+2], prim.Indices[t+1]
		}
	}
	if prim.Normals == nil {
		if err := l.spend(int64(nv) * 12); err != nil {
			return err
		}
		prim.Normals = smoothNormals(prim.Positions, prim.Indices, weld)
	} else {
		normalize3(prim.Normals)
	}
	l.scene.Prims = append(l.scene.Prims, prim)
	return nil
}

func stripToList(idx []uint32) []uint32 {
	if len(idx) < 3 {
		return nil
	}
	out := make([]uint32, 0, (len(idx)-2)*3)
	for i := 0; i+2 < len(idx); i++ {
		a, b, c := idx[i], idx[i+1], idx[i+2]
		if i%2 == 1 {
			a, b = b, a
		}
		if a == b || b == c || a == c {
			continue // degenerate (strip restarts)
		}
		out = append(out, a, b, c)
	}
	return out
}

func fanToList(idx []uint32) []uint32 {
	if len(idx) < 3 {
		return nil
	}
	out := make([]uint32, 0, (len(idx)-2)*3)
	for i := 1; i+1 < len(idx); i++ {
		out = append(out, idx[0], idx[i], idx[i+1])
	}
	return out
}

// finish resolves material indices, computes bounds and stats.
func (l *loader) finish() {
	s := l.scene
	def := len(s.Materials) - 1
	b := Box{Min: [3]float32{inf32, inf32, inf32}, Max: [3]float32{-inf32, -inf32, -inf32}}
	any := false
	for i := range s.Prims {
		p := &s.Prims[i]
		if p.Material < 0 {
			p.Material = def
		}
		s.Stats.Triangles += len(p.Indices) / 3
		s.Stats.Vertices += len(p.Positions) / 3
		for v := 0; v+2 < len(p.Positions); v += 3 {
			x, y, z := p.Positions[v], p.Positions[v+1], p.Positions[v+2]
			if !finite32(x) || !finite32(y) || !finite32(z) {
				continue
			}
			any = true
			b.Min[0], b.Max[0] = min(b.Min[0], x), max(b.Max[0], x)
			b.Min[1], b.Max[1] = min(b.Min[1], y), max(b.Max[1], y)
			b.Min[2], b.Max[2] = min(b.Min[2], z), max(b.Max[2], z)
		}
	}
	s.Stats.Primitives = len(s.Prims)
	if any {
		s.Bounds = b
	}
	for i, ch := range l.emissive {
		if ch != nil {
			e := <-ch
			s.Materials[i].Emissive = e
		}
	}
	s.Notes = l.notes
}

var inf32 = float32(math.Inf(1))

func finite32(f float32) bool { return f-f == 0 }

// rawJSON decodes an extension's JSON into v, reporting whether it was there.
func rawJSON(ext gltf.Extensions, name string, v any) bool {
	raw, ok := extension(ext, name)
	if !ok {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// instances returns the world matrices a node's mesh is drawn with: the
// node's own, or one per EXT_mesh_gpu_instancing instance.
func (l *loader) instances(nd *gltf.Node, world [16]float64) ([][16]float64, error) {
	var ext struct {
		Attributes map[string]int `json:"attributes"`
	}
	if !rawJSON(nd.Extensions, extInstancing, &ext) || len(ext.Attributes) == 0 {
		return [][16]float64{world}, nil
	}
	n := -1
	read := func(name string, comps int) ([]float32, error) {
		a, ok := ext.Attributes[name]
		if !ok {
			return nil, nil
		}
		v, cnt, err := l.floats(a, comps, 0)
		if err != nil {
			return nil, err
		}
		if n >= 0 && cnt != n {
			return nil, fmt.Errorf("instance attributes disagree on the count")
		}
		n = cnt
		return v, nil
	}
	t, err1 := read("TRANSLATION", 3)
	r, err2 := read("ROTATION", 4)
	sc, err3 := read("SCALE", 3)
	for _, err := range []error{err1, err2, err3} {
		if err == errBudget {
			return nil, err
		}
		if err != nil {
			l.note(NoteBadPrimitive)
			return [][16]float64{world}, nil
		}
	}
	if n <= 0 {
		return [][16]float64{world}, nil
	}
	if err := l.spend(int64(n) * 128); err != nil {
		return nil, err
	}
	out := make([][16]float64, n)
	for i := range out {
		node := gltf.Node{Rotation: gltf.DefaultRotation, Scale: gltf.DefaultScale, Matrix: gltf.DefaultMatrix}
		if t != nil {
			node.Translation = [3]float64{float64(t[i*3]), float64(t[i*3+1]), float64(t[i*3+2])}
		}
		if r != nil {
			node.Rotation = [4]float64{float64(r[i*4]), float64(r[i*4+1]), float64(r[i*4+2]), float64(r[i*4+3])}
		}
		if sc != nil {
			node.Scale = [3]float64{float64(sc[i*3]), float64(sc[i*3+1]), float64(sc[i*3+2])}
		}
		out[i] = mul4(world, localMatrix(&node))
	}
	return out, nil
}
