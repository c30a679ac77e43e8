//go:build tools

// This file pins modules the project uses (some only in packages still being
// written) so that go.mod and go.sum stay complete. It is never built.
package main

import (
	_ "fyne.io/fyne/v2/test"
	_ "github.com/qmuntal/gltf"
	_ "github.com/qmuntal/gltf/modeler"
	_ "github.com/sqweek/dialog"
	_ "github.com/zalando/go-keyring"
	_ "golang.org/x/image/webp"
)
