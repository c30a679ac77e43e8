package sandbox

import (
	"bytes"
	"image"
	"os"
	"testing"
	"time"

	"meshdrop/core/meshio"
	"meshdrop/core/provider"
)

// Task IDs come back from the job store, which a user can edit: parsing
// must never panic, and what parses must print back the same.
func FuzzParseTask(f *testing.F) {
	f.Add(task{Mode: provider.ModeText, Seed: 7, Start: time.UnixMilli(1700000000000), Pace: 5 * time.Second, Hash: "0123456789abcdef"}.String())
	f.Add("sbx1.i.0.0.0.ffffffffffffffff")
	f.Add("sbx1.t.-1.2.3.zz")
	f.Add("../../etc/passwd")
	f.Fuzz(func(t *testing.T, id string) {
		tk, err := parseTask(id)
		if err != nil {
			return
		}
		if got := tk.String(); got != id {
			back, err := parseTask(got)
			if err != nil || back != tk {
				t.Fatalf("%q parsed to %+v, printed %q, parsed back %+v %v", id, tk, got, back, err)
			}
		}
	})
}

// Any prompt gives a plan of 1–4 items with known shapes and materials,
// and at low detail a model the GLB writer accepts.
func FuzzPrompt(f *testing.F) {
	for _, p := range []string{"a red wooden cube", "two blue balls and a marble pillar", "", "fail", "cubes cubes cubes cubes cubes", "Ünïcödé torus 🍩 gold"} {
		f.Add(p, uint32(1))
	}
	f.Fuzz(func(t *testing.T, prompt string, seed uint32) {
		p := parsePrompt(prompt, newRNG(uint64(seed)).intn)
		if len(p.Items) < 1 || len(p.Items) > maxItems {
			t.Fatalf("%q: %d items", prompt, len(p.Items))
		}
		for _, it := range p.Items {
			if _, ok := surfaces[it.Material]; !ok {
				t.Fatalf("%q: material %q has no surface", prompt, it.Material)
			}
		}
		m, err := TextModel(prompt, uint64(seed), DetailLow)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := meshio.Build(m); err != nil {
			t.Fatalf("%q: %v", prompt, err)
		}
	})
}

// Input images are the user's files: any bytes either fail to decode with an
// error or make a relief the writer accepts.
func FuzzRelief(f *testing.F) {
	f.Add(pngBytes(f, 3, 2))
	f.Add(pngBytes(f, 1, 1))
	if b, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && c.Width*c.Height > 1<<20 {
			return // big images are fine but slow under the fuzzer
		}
		m, err := ReliefModel(data, "fuzz", DetailLow)
		if err != nil {
			return
		}
		if _, err := meshio.Build(m); err != nil {
			t.Fatal(err)
		}
	})
}
