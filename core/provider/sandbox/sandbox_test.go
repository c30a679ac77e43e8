package sandbox

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"meshdrop/core/meshio"
	"meshdrop/core/meshio/meshiotest"
	"meshdrop/core/provider"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// steppingClock moves step forward every time it is read. Watch still polls
// on real timers, but the task advances a step per look, so every phase is
// seen in order however slowly a loaded machine runs the test (on the wall
// clock a stalled test goroutine can sleep through the queued or running
// phase of a short task).
type steppingClock struct {
	clock
	step time.Duration
}

func (c *steppingClock) Now() time.Time { c.Add(c.step); return c.clock.Now() }

func newSteppingClock(step time.Duration) *steppingClock {
	return &steppingClock{clock: clock{t: newClock().t}, step: step}
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)} }

var noKey provider.Credential

func fetch(t testing.TB, s *Sandbox, out provider.Output) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := s.Fetch(context.Background(), noKey, out, &b)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(b.Len()) {
		t.Fatalf("Fetch said %d bytes, wrote %d", n, b.Len())
	}
	return b.Bytes()
}

// run creates a task, lets the clock run past its end, and returns the model.
func run(t testing.TB, s *Sandbox, c *clock, req provider.Request) (provider.TaskRef, []byte) {
	t.Helper()
	ref, err := s.Create(context.Background(), noKey, req)
	if err != nil {
		t.Fatal(err)
	}
	c.Add(s.cfg.Pace + time.Millisecond)
	st, err := s.Status(context.Background(), noKey, ref)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != provider.StateSucceeded || len(st.Outputs) != 1 || st.Outputs[0].Kind != provider.OutModel || st.Outputs[0].Format != "glb" {
		t.Fatalf("status %+v", st)
	}
	return ref, fetch(t, s, st.Outputs[0])
}

var materialWord = map[string]string{
	MatMatte: "", MatWood: "wooden", MatMetal: "steel", MatStone: "stone", MatMarble: "marble",
	MatPlastic: "plastic", MatGlass: "glass", MatRubber: "rubber", MatClay: "clay",
}

var shapeWord = map[string]string{
	ShapeBox: "cube", ShapeSphere: "ball", ShapeCylinder: "cylinder", ShapeCone: "cone", ShapeTorus: "ring",
	ShapeCapsule: "capsule", ShapePyramid: "pyramid", ShapeBlob: "lump",
}

// TestEveryShapeAndMaterialIsValidGLB builds every shape in every material
// and runs the Khronos validator over all of them.
func TestEveryShapeAndMaterialIsValidGLB(t *testing.T) {
	c := newClock()
	s := New(Config{Pace: time.Second, Now: c.Now})
	dir := t.TempDir()
	var files []string
	for shape, sw := range shapeWord {
		for mat, mw := range materialWord {
			prompt := strings.Join(strings.Fields("a "+mw+" "+sw), " ")
			_, glb := run(t, s, c, provider.Request{Mode: provider.ModeText, Prompt: prompt})
			sum, err := meshiotest.Inspect(glb)
			if err != nil {
				t.Fatalf("%s: %v", prompt, err)
			}
			if sum.Triangles < 2 || len(sum.Images) != 1 || !sum.HasUVs || len(sum.Materials) != 1 {
				t.Errorf("%s: %d triangles, %d images, uvs %v, %d materials", prompt, sum.Triangles, len(sum.Images), sum.HasUVs, len(sum.Materials))
			}
			if got := sum.Materials[0].Name; !strings.Contains(got, mat) || !strings.Contains(got, shape) {
				t.Errorf("%s: material %q, want %s %s", prompt, got, mat, shape)
			}
			f := filepath.Join(dir, shape+"-"+mat+".glb")
			if err := os.WriteFile(f, glb, 0o600); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	if len(files) != len(shapeWord)*len(materialWord) {
		t.Fatalf("built %d files", len(files))
	}
	// Last, so the checks above run even where the validator is missing.
	for _, r := range meshiotest.AssertValid(t, files...) {
		if r.NumWarnings != 0 {
			t.Errorf("glTF validator warnings: %s", r)
		}
	}
}

// TestShapesAreClosedAndFaceOutwards checks each shape's winding and normals:
// a positive enclosed volume, and vertex normals that agree with the faces.
func TestShapesAreClosedAndFaceOutwards(t *testing.T) {
	for _, shape := range []string{ShapeBox, ShapeSphere, ShapeCylinder, ShapeCone, ShapeTorus, ShapeCapsule, ShapePyramid, ShapeBlob} {
		m := buildShape(shape, 24, newRNG(7))
		if err := m.Check(); err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		m.DropDegenerate()
		var vol float64
		agree, total := 0, 0
		for i := 0; i+2 < len(m.Indices); i += 3 {
			a, b, c := p64(m.Positions[m.Indices[i]]), p64(m.Positions[m.Indices[i+1]]), p64(m.Positions[m.Indices[i+2]])
			vol += (a[0]*(b[1]*c[2]-b[2]*c[1]) - a[1]*(b[0]*c[2]-b[2]*c[0]) + a[2]*(b[0]*c[1]-b[1]*c[0])) / 6
			fn := cross(sub(b, a), sub(c, a))
			for _, ix := range m.Indices[i : i+3] {
				n := m.Normals[ix]
				total++
				if fn[0]*float64(n[0])+fn[1]*float64(n[1])+fn[2]*float64(n[2]) > 0 {
					agree++
				}
			}
		}
		if vol <= 0.01 {
			t.Errorf("%s: enclosed volume %.4f, want positive (faces point inwards?)", shape, vol)
		}
		if float64(agree) < 0.97*float64(total) {
			t.Errorf("%s: only %d of %d vertex normals agree with their face", shape, agree, total)
		}
		lo, hi, _ := m.Bounds()
		if math.Abs(float64(lo[1])) > 1e-5 || hi[1] < 0.2 || hi[1] > 1.01 {
			t.Errorf("%s: stands from y=%v to %v, want from 0, at most 1 tall", shape, lo[1], hi[1])
		}
	}
}

func TestPromptWords(t *testing.T) {
	pick := func(int) int { return 0 }
	for _, tc := range []struct {
		prompt string
		want   []item // Shape, ColourName, Material
	}{
		{"A red wooden cube", []item{{Shape: ShapeBox, ColourName: "red", Material: MatWood}}},
		{"two blue balls and a marble pillar", []item{{Shape: ShapeSphere, ColourName: "blue", Material: MatMarble}, {Shape: ShapeCylinder, Colour: materialColours[MatMarble], Material: MatMarble}}},
		{"a red cube and a stone cone", []item{{Shape: ShapeBox, ColourName: "red"}, {Shape: ShapeCone, Colour: materialColours[MatStone], Material: MatStone}}},
		{"a ball and a red pillar", []item{{Shape: ShapeSphere, ColourName: "red"}, {Shape: ShapeCylinder, ColourName: "red"}}},
		{"a ball, red, and a blue wooden pillar", []item{{Shape: ShapeSphere, ColourName: "red", Material: MatWood}, {Shape: ShapeCylinder, ColourName: "blue", Material: MatWood}}},
		{"a donut, pink", []item{{Shape: ShapeTorus, ColourName: "pink", Material: MatMatte}}},
		{"golden ring", []item{{Shape: ShapeTorus, ColourName: "golden", Material: MatMetal}}},
		{"something soft and green", []item{{Shape: ShapeBlob, ColourName: "green", Material: MatMatte}}},
		{"a cube made of oak", []item{{Shape: ShapeBox, ColourName: "", Material: MatWood}}},
		{"cube cone cylinder torus pyramid capsule", []item{{Shape: ShapeBox}, {Shape: ShapeCone}, {Shape: ShapeCylinder}, {Shape: ShapeTorus}}},
	} {
		p := parsePrompt(tc.prompt, pick)
		if len(p.Items) != len(tc.want) {
			t.Errorf("%q: %d items %+v, want %d", tc.prompt, len(p.Items), p.Items, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			got := p.Items[i]
			if got.Shape != w.Shape || (w.ColourName != "" && got.ColourName != w.ColourName) || (w.Material != "" && got.Material != w.Material) ||
				(w.Colour != rgb{} && got.Colour != w.Colour) {
				t.Errorf("%q item %d: %+v, want %+v", tc.prompt, i, got, w)
			}
			if got.Colour == (rgb{}) && got.ColourName != "black" {
				t.Errorf("%q item %d has no colour", tc.prompt, i)
			}
		}
	}
}

func TestSamePromptAndSeedGiveSameModel(t *testing.T) {
	c := newClock()
	s := New(Config{Pace: time.Second, Now: c.Now})
	req := func(prompt, seed string) provider.Request {
		r := provider.Request{Mode: provider.ModeText, Prompt: prompt, Options: map[string]string{}}
		if seed != "" {
			r.Options[OptSeed] = seed
		}
		return r
	}
	_, a := run(t, s, c, req("a mossy green stone blob", "42"))
	_, b := run(t, s, c, req("a mossy green stone blob", "42"))
	if !bytes.Equal(a, b) {
		t.Fatal("same prompt and seed gave different files")
	}
	_, d := run(t, s, c, req("a mossy green stone blob", "43"))
	if bytes.Equal(a, d) {
		t.Fatal("a different seed gave the same file")
	}
	// No seed: the prompt picks one, so the model is still repeatable.
	_, e := run(t, s, c, req("a teal clay vase", ""))
	_, f := run(t, New(Config{Pace: time.Second, Now: c.Now}), c, req("a teal clay vase", ""))
	if !bytes.Equal(e, f) {
		t.Fatal("the same prompt without a seed gave different files")
	}
	_, g := run(t, s, c, req("a teal clay vase!", ""))
	if bytes.Equal(e, g) {
		t.Fatal("a different prompt gave the same file")
	}
}

func TestQueueThenProgressThenDone(t *testing.T) {
	c := newClock()
	s := New(Config{Pace: 4 * time.Second, Now: c.Now})
	ref, err := s.Create(context.Background(), noKey, provider.Request{Mode: provider.ModeText, Prompt: "a yellow capsule"})
	if err != nil {
		t.Fatal(err)
	}
	var states []provider.Status
	for range 9 {
		st, err := s.Status(context.Background(), noKey, ref)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st)
		c.Add(500 * time.Millisecond)
	}
	if states[0].State != provider.StateQueued || states[0].QueuePosition != 2 || states[0].ETA != 4*time.Second {
		t.Errorf("start: %+v", states[0])
	}
	if states[1].State != provider.StateQueued || states[1].QueuePosition != 1 {
		t.Errorf("0.5 s: %+v", states[1])
	}
	last := -1.0
	for i := 2; i < 8; i++ {
		if states[i].State != provider.StateRunning || states[i].Progress <= last || states[i].Progress >= 100 {
			t.Errorf("%d: %+v after progress %v", i, states[i], last)
		}
		last = states[i].Progress
	}
	if states[8].State != provider.StateSucceeded || states[8].Progress != 100 {
		t.Errorf("end: %+v", states[8])
	}
}

func TestWatchRunsInRealTime(t *testing.T) {
	s := New(Config{Pace: 400 * time.Millisecond, PollEvery: 5 * time.Millisecond, Now: newSteppingClock(10 * time.Millisecond).Now})
	ref, err := s.Create(context.Background(), noKey, provider.Request{Prompt: "a chrome sphere"})
	if err != nil {
		t.Fatal(err)
	}
	var seen []provider.State
	st, err := s.Watch(context.Background(), noKey, ref, func(st provider.Status) { seen = append(seen, st.State) })
	if err != nil || st.State != provider.StateSucceeded {
		t.Fatalf("watch: %+v %v", st, err)
	}
	if seen[0] != provider.StateQueued || !containsState(seen, provider.StateRunning) || seen[len(seen)-1] != provider.StateSucceeded {
		t.Fatalf("states seen %v", seen)
	}
	glb := fetch(t, s, st.Outputs[0])
	if _, err := meshiotest.Inspect(glb); err != nil {
		t.Fatal(err)
	}
}

func containsState(s []provider.State, v provider.State) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestFailWordFailsLikeAProvider(t *testing.T) {
	s := New(Config{Pace: 400 * time.Millisecond, PollEvery: 5 * time.Millisecond, Now: newSteppingClock(10 * time.Millisecond).Now})
	ref, err := s.Create(context.Background(), noKey, provider.Request{Prompt: "a red cube that will FAIL."})
	if err != nil {
		t.Fatalf("the create itself must be accepted, as a provider would: %v", err)
	}
	var running bool
	st, err := s.Watch(context.Background(), noKey, ref, func(st provider.Status) { running = running || st.State == provider.StateRunning })
	if err != nil {
		t.Fatal(err)
	}
	if st.State != provider.StateFailed || provider.KindOf(st.Err) != provider.ErrTaskFailed || !strings.Contains(st.Err.Error(), "Sandbox") {
		t.Fatalf("status %+v (err %v)", st, st.Err)
	}
	if !running {
		t.Error("the task failed without running first")
	}
	// "fail" inside another word is not the word.
	ref, _ = s.Create(context.Background(), noKey, provider.Request{Prompt: "a failsafe cube"})
	if st, _ := s.Watch(context.Background(), noKey, ref, nil); st.State != provider.StateSucceeded {
		t.Fatalf("failsafe: %+v", st)
	}
}

func TestBadRequestsAreTypedErrors(t *testing.T) {
	s := New(Config{})
	for name, req := range map[string]provider.Request{
		"empty prompt":   {Mode: provider.ModeText, Prompt: "  "},
		"unknown option": {Prompt: "cube", Options: map[string]string{"polycount": "3"}},
		"bad detail":     {Prompt: "cube", Options: map[string]string{OptDetail: "ultra"}},
		"bad seed":       {Prompt: "cube", Options: map[string]string{OptSeed: "-1"}},
		"two images":     {Mode: provider.ModeImage, Images: []provider.Image{{Data: pngBytes(t, 4, 4)}, {Data: pngBytes(t, 4, 4)}}},
		"not an image":   {Mode: provider.ModeImage, Images: []provider.Image{{Data: []byte("GIF89a nope")}}},
		"multi-image":    {Mode: provider.ModeMultiImage, Images: []provider.Image{{Data: pngBytes(t, 4, 4)}}},
	} {
		_, err := s.Create(context.Background(), noKey, req)
		if provider.KindOf(err) != provider.ErrInvalidInput {
			t.Errorf("%s: %v, want invalid input", name, err)
		}
	}
	if _, err := s.Status(context.Background(), noKey, provider.TaskRef{ID: "sbx1.t.1.2.3.zz"}); provider.KindOf(err) != provider.ErrNotFound {
		t.Errorf("garbled ID: %v", err)
	}
	c := newClock()
	s = New(Config{Now: c.Now})
	ref, _ := s.Create(context.Background(), noKey, provider.Request{Prompt: "a cube"})
	ref.Extra[extraPrompt] = "a sphere"
	if _, err := s.Status(context.Background(), noKey, ref); provider.KindOf(err) != provider.ErrNotFound {
		t.Errorf("prompt swapped under the task: %v", err)
	}
}

func pngBytes(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(255 * x / max(w-1, 1)), uint8(255 * y / max(h-1, 1)), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImageBecomesTexturedRelief(t *testing.T) {
	c := newClock()
	s := New(Config{Pace: time.Second, Now: c.Now, StateDir: t.TempDir()})
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, image.NewGray(image.Rect(0, 0, 20, 40)), nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var files []string
	webp, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"png": pngBytes(t, 80, 60), "jpeg": jb.Bytes(), "webp": webp} {
		_, glb := run(t, s, c, provider.Request{Mode: provider.ModeImage, Images: []provider.Image{{Name: "in." + name, Data: data}}})
		sum, err := meshiotest.Inspect(glb)
		if err != nil {
			t.Fatal(err)
		}
		src, _, _ := image.Decode(bytes.NewReader(data))
		if len(sum.Images) != 1 || sum.Images[0].Bounds().Size() != src.Bounds().Size() {
			t.Fatalf("%s: texture %v, want the image's size %v", name, sum.Images, src.Bounds().Size())
		}
		w, h := float64(src.Bounds().Dx()), float64(src.Bounds().Dy())
		wantW, wantH := w/max(w, h), h/max(w, h)
		if d := float64(sum.Max[0] - sum.Min[0]); math.Abs(d-wantW) > 1e-4 {
			t.Errorf("%s: width %v, want %v", name, d, wantW)
		}
		if d := float64(sum.Max[1] - sum.Min[1]); math.Abs(d-wantH) > 1e-4 {
			t.Errorf("%s: height %v, want %v", name, d, wantH)
		}
		if sum.Min[2] != 0 || sum.Max[2] < reliefBase || sum.Max[2] > reliefBase+reliefDepth+1e-6 {
			t.Errorf("%s: depth %v–%v", name, sum.Min[2], sum.Max[2])
		}
		f := filepath.Join(dir, name+".glb")
		if err := os.WriteFile(f, glb, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	meshiotest.AssertValid(t, files...)
}

// TestBrighterPixelsStandHigher checks the relief follows the image: a white
// left half stands proud of a black right half.
func TestBrighterPixelsStandHigher(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 32 {
			img.SetGray(x, y, color.Gray{255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	m, err := ReliefModel(b.Bytes(), "halves", DetailLow)
	if err != nil {
		t.Fatal(err)
	}
	var left, right float32
	for _, p := range m.Parts[0].Mesh.Positions {
		if p[0] < -0.3 {
			left = max(left, p[2])
		}
		if p[0] > 0.3 {
			right = max(right, p[2])
		}
	}
	if left < reliefBase+0.9*reliefDepth || right > reliefBase+0.1*reliefDepth {
		t.Fatalf("left stands %v, right %v", left, right)
	}
}

func TestTasksSurviveARestart(t *testing.T) {
	c := newClock()
	state := t.TempDir()
	before := New(Config{Pace: 2 * time.Second, Now: c.Now, StateDir: state})
	text, err := before.Create(context.Background(), noKey, provider.Request{Prompt: "a purple torus", Options: map[string]string{OptSeed: "9"}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := before.Create(context.Background(), noKey, provider.Request{Mode: provider.ModeImage, Images: []provider.Image{{Data: pngBytes(t, 16, 16)}}})
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Second)
	// A new process: same state folder, nothing in memory, a different pace setting.
	after := New(Config{Pace: time.Hour, Now: c.Now, StateDir: state})
	st, err := after.Status(context.Background(), noKey, text)
	if err != nil || st.State != provider.StateRunning {
		t.Fatalf("resumed text task: %+v %v", st, err)
	}
	c.Add(1100 * time.Millisecond)
	for _, ref := range []provider.TaskRef{text, img} {
		st, err := after.Status(context.Background(), noKey, ref)
		if err != nil || st.State != provider.StateSucceeded {
			t.Fatalf("resumed task %s: %+v %v", ref.ID, st, err)
		}
		a := fetch(t, after, st.Outputs[0])
		b := fetch(t, before, st.Outputs[0])
		if !bytes.Equal(a, b) {
			t.Errorf("task %s: the restarted sandbox built a different model", ref.ID)
		}
	}
	// Without a state folder an image task cannot resume, and says so.
	mem := New(Config{Now: c.Now})
	if _, err := mem.Status(context.Background(), noKey, img); provider.KindOf(err) != provider.ErrNotFound {
		t.Errorf("image task in a sandbox with no state: %v", err)
	}
}

func TestCancel(t *testing.T) {
	c := newClock()
	state := t.TempDir()
	s := New(Config{Pace: time.Second, Now: c.Now, StateDir: state})
	ref, _ := s.Create(context.Background(), noKey, provider.Request{Prompt: "a grey box"})
	if err := s.Cancel(context.Background(), noKey, ref); err != nil {
		t.Fatal(err)
	}
	c.Add(2 * time.Second)
	st, _ := New(Config{Now: c.Now, StateDir: state}).Status(context.Background(), noKey, ref)
	if st.State != provider.StateCancelled {
		t.Fatalf("after cancel and restart: %+v", st)
	}
	// A finished task stays finished.
	done, _ := s.Create(context.Background(), noKey, provider.Request{Prompt: "a grey cone"})
	c.Add(2 * time.Second)
	if err := s.Cancel(context.Background(), noKey, done); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Status(context.Background(), noKey, done); st.State != provider.StateSucceeded {
		t.Fatalf("cancel after the end: %+v", st)
	}
}

func TestSeveralShapesStandApart(t *testing.T) {
	m, err := TextModel("a red cube next to a blue sphere and a green cone", 1, DetailLow)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Parts) != 3 {
		t.Fatalf("%d parts", len(m.Parts))
	}
	for i := 1; i < len(m.Parts); i++ {
		if m.Parts[i].Translation[0]-m.Parts[i-1].Translation[0] < 1 {
			t.Errorf("parts %d and %d overlap: %v %v", i-1, i, m.Parts[i-1].Translation, m.Parts[i].Translation)
		}
	}
	glb, err := meshio.EncodeGLB(m)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := meshiotest.Inspect(glb)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Images) != 3 || len(sum.Materials) != 3 {
		t.Fatalf("%d textures, %d materials", len(sum.Images), len(sum.Materials))
	}
	// The red cube's texture is red.
	r, g, b, _ := sum.Images[0].At(10, 10).RGBA()
	if !(r > 2*g && r > 2*b) {
		t.Errorf("cube texture pixel %d %d %d is not red", r>>8, g>>8, b>>8)
	}
}

// With no pace set, a task takes 4–6 s, the same for the same request.
func TestDefaultPace(t *testing.T) {
	c := newClock()
	s := New(Config{Now: c.Now})
	paces := map[time.Duration]bool{}
	for _, p := range []string{"a cube", "a cone", "a ring", "a pill", "a ball"} {
		ref, err := s.Create(context.Background(), noKey, provider.Request{Prompt: p})
		if err != nil {
			t.Fatal(err)
		}
		tk, _ := parseTask(ref.ID)
		if tk.Pace < MinPace || tk.Pace >= MinPace+PaceSpread {
			t.Errorf("%q: pace %v", p, tk.Pace)
		}
		again, _ := s.Create(context.Background(), noKey, provider.Request{Prompt: p})
		if tk2, _ := parseTask(again.ID); tk2.Pace != tk.Pace {
			t.Errorf("%q: pace %v then %v", p, tk.Pace, tk2.Pace)
		}
		paces[tk.Pace] = true
	}
	if len(paces) < 2 {
		t.Errorf("every prompt got the same pace: %v", paces)
	}
	img, err := s.Create(context.Background(), noKey, provider.Request{Mode: provider.ModeImage, Images: []provider.Image{{Data: pngBytes(t, 8, 8)}}})
	if err != nil {
		t.Fatal(err)
	}
	c.Add(MinPace + PaceSpread)
	if st, err := s.Status(context.Background(), noKey, img); err != nil || st.State != provider.StateSucceeded {
		t.Fatalf("image task with the default pace: %+v %v", st, err)
	}
}
