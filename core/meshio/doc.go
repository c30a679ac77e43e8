// Package meshio builds GLB files from simple triangle meshes and reads the
// mesh formats providers hand back (STL, ASCII or binary, and OBJ) so that
// every result joins the gallery as a GLB. It writes with qmuntal/gltf and
// aims at files the Khronos glTF validator accepts without errors: unit
// normals, position bounds, no degenerate or non-finite geometry, PNG
// textures only where the mesh has UVs.
package meshio
