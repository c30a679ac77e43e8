package glb

import (
	"encoding/json"
	"errors"
)

// meshoptView decodes an EXT_meshopt_compression buffer view.
func (l *loader) meshoptView(raw json.RawMessage) ([]byte, int, error) {
	return nil, 0, errors.New("EXT_meshopt_compression is not supported yet")
}
