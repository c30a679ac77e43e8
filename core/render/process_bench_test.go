package render

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// BenchmarkThumbProcess times `meshdrop thumb IN OUT --size 256` as a whole
// process (start-up, load, draw, PNG, atomic write) for every corpus file:
// the gallery's figure. It builds the binary once; it is skipped when the
// module does not build. Besides wall time per run it reports the process's
// CPU time (user+system), which is steadier on a shared machine.
func BenchmarkThumbProcess(b *testing.B) {
	files := corpusFiles(b)
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..")
	tmp := b.TempDir()
	bin := filepath.Join(tmp, "meshdrop")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		b.Skipf("cannot build meshdrop (someone's package may be mid-edit): %v\n%s", err, out)
	}
	home := filepath.Join(tmp, "home")
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"), "LANG=C.UTF-8")
	out := filepath.Join(tmp, "thumb.png")
	for _, f := range files {
		b.Run(strings.TrimSuffix(filepath.Base(f), ".glb"), func(b *testing.B) {
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(bin, "thumb", f, out, "--size", "256")
				cmd.Env = env
				if o, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("meshdrop thumb %s: %v\n%s", filepath.Base(f), err, o)
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}
