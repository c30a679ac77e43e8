package ui

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"meshdrop/core/app"
	"meshdrop/core/meshio"
)

// The window's services watch the library: a model imported by another
// Meshdrop process (a second core on the same folders, as "meshdrop
// import" is) reaches the window's library subscribers and its summaries
// with nobody pressing refresh.
func TestOpenServicesWatchesTheLibrary(t *testing.T) {
	svc, dirs := coreServices(t, 0)
	if svc.Library == nil {
		t.Fatalf("library not open: %v", svc.LibErr)
	}
	heard := make(chan string, 16)
	cancel := svc.Library.OnChange(func(id string) {
		select {
		case heard <- id:
		default:
		}
	})
	defer cancel()

	other, err := app.NewAt(context.Background(), dirs, false)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := other.Library()
	if err != nil {
		t.Fatal(err)
	}
	glb, err := meshio.EncodeGLB(&meshio.Model{Name: "quad", Parts: []meshio.Part{{Name: "quad",
		Mesh: &meshio.Mesh{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}}, Indices: []uint32{0, 1, 2, 0, 2, 3}}}}})
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "quad.glb")
	writeFile(t, src, string(glb))
	res := lib.Import([]string{src})
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("import in the other process: %+v", res)
	}
	other.Close() // the CLI exits: its index is written
	id := res[0].Job.ID
	deadline := time.After(time.Minute) // bounds a failure only
	for {
		select {
		case got := <-heard:
			if got != id {
				continue
			}
			if _, ok := svc.Library.Summary(id); !ok {
				t.Fatal("heard of the job but the window's library does not list it")
			}
			return
		case <-deadline:
			t.Fatal("the window never heard of the model imported by another process")
		}
	}
}
