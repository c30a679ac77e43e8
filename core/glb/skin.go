package glb

import "fmt"

// skinning holds a skin's joint matrices in the rest pose:
// world(joint) · inverseBind(joint). The skinned node's own transform is
// ignored, as the glTF spec requires; a model exported in bind pose is then
// drawn where its skeleton puts it.
type skinning struct {
	joints [][12]float32 // affine 3×4, column-major without the last row
}

func (l *loader) skin(i int) (*skinning, error) {
	if i < 0 || i >= len(l.doc.Skins) || l.doc.Skins[i] == nil {
		return nil, fmt.Errorf("skin %d does not exist", i)
	}
	sk := l.doc.Skins[i]
	if len(sk.Joints) == 0 {
		return nil, fmt.Errorf("skin %d has no joints", i)
	}
	var ibm []float32
	if sk.InverseBindMatrices != nil {
		m, n, err := l.floats(*sk.InverseBindMatrices, 16, 0)
		if err != nil {
			return nil, err
		}
		if n >= len(sk.Joints) {
			ibm = m
		}
	}
	s := &skinning{joints: make([][12]float32, len(sk.Joints))}
	for j, node := range sk.Joints {
		w := l.worldOf(node)
		if ibm != nil {
			var b [16]float64
			for k := range b {
				b[k] = float64(ibm[j*16+k])
			}
			w = mul4(w, sanitize(b))
		}
		var a [12]float32
		for c := 0; c < 4; c++ {
			for r := 0; r < 3; r++ {
				a[c*3+r] = float32(w[c*4+r])
			}
		}
		s.joints[j] = a
	}
	return s, nil
}

// apply skins positions (and normals, when present) in place with linear
// blend skinning. Vertices with no valid weights keep their position.
func (s *skinning) apply(pos, nrm, joints, weights []float32) {
	nj := len(s.joints)
	nv := len(pos) / 3
	for v := 0; v < nv; v++ {
		var m [12]float32
		var sum float32
		for k := 0; k < 4; k++ {
			w := weights[v*4+k]
			j := joints[v*4+k]
			if !(w > 0) || !(j >= 0) || int(j) >= nj {
				continue
			}
			jm := &s.joints[int(j)]
			for e := range m {
				m[e] += w * jm[e]
			}
			sum += w
		}
		if !(sum > 1e-6) || !finite32(sum) {
			continue
		}
		inv := 1 / sum
		for e := range m {
			m[e] *= inv
		}
		x, y, z := pos[v*3], pos[v*3+1], pos[v*3+2]
		pos[v*3] = m[0]*x + m[3]*y + m[6]*z + m[9]
		pos[v*3+1] = m[1]*x + m[4]*y + m[7]*z + m[10]
		pos[v*3+2] = m[2]*x + m[5]*y + m[8]*z + m[11]
		if nrm != nil {
			// Rest poses rarely scale non-uniformly: the linear part is a
			// good enough normal matrix once renormalised.
			x, y, z = nrm[v*3], nrm[v*3+1], nrm[v*3+2]
			nrm[v*3] = m[0]*x + m[3]*y + m[6]*z
			nrm[v*3+1] = m[1]*x + m[4]*y + m[7]*z
			nrm[v*3+2] = m[2]*x + m[5]*y + m[8]*z
		}
	}
}
