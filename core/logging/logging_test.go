package logging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCappedRotates(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.log")
	c, err := OpenCapped(p, 100)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("a", 39) + "\n"
	for i := 0; i < 7; i++ {
		if _, err := c.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	st, err := os.Stat(p)
	if err != nil || st.Size() > 100 {
		t.Fatalf("log not capped: %v %v", st.Size(), err)
	}
	if _, err := os.Stat(p + ".1"); err != nil {
		t.Fatalf("no rotated file: %v", err)
	}
}

func TestSetupWritesJSON(t *testing.T) {
	dir := t.TempDir()
	log, c, err := Setup(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello", "job", "j1")
	c.Close()
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !strings.Contains(string(b), `"msg":"hello"`) || !strings.Contains(string(b), `"job":"j1"`) {
		t.Fatalf("unexpected log: %s", b)
	}
}
