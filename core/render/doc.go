// Package render is Meshdrop's software renderer: a z-buffered, perspective
// correct triangle rasteriser that draws a glb.Scene into an *image.NRGBA
// without a GPU or a GL context. It makes gallery thumbnails (2×2
// supersampled, camera fitted to the model, a short turntable) and the data
// side of the interactive preview (an orbit camera, progressive quality while
// dragging, wireframe and normals overlays). Shading is for people, not
// physics: base colour lit by a key, a fill and a rim light.
//
// The package never imports Fyne; the preview widget lives in ui/.
package render
