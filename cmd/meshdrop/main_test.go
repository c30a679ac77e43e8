package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// build compiles this command into dir and returns its path.
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "meshdrop"+exeSuffix())
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func env(t *testing.T) []string {
	return append(os.Environ(), "MESHDROP_HOME="+t.TempDir(), "PATH="+t.TempDir())
}

func TestCommandsRunWithoutTheWindowLibraries(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "fyne.io/") || strings.Contains(p, "sqweek/dialog") || strings.Contains(p, "go-gl/") {
			t.Fatalf("the command line links %s; its start-up would pay for the window's libraries", p)
		}
	}
	dir := t.TempDir()
	c := exec.Command(build(t, dir), "providers")
	c.Env = env(t)
	b, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "sandbox") {
		t.Fatalf("meshdrop providers without meshdrop-gui: %v\n%s", err, b)
	}
}

func TestNoCommandStartsTheWindowBesideIt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in window is a shell script")
	}
	dir := t.TempDir()
	bin := build(t, dir)
	got := filepath.Join(dir, "args.txt")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + got + "\nexit 7\n"
	if err := os.WriteFile(filepath.Join(dir, GUIName), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c := exec.Command(bin, "-v", "/models/a b.glb")
	c.Env = env(t)
	err := c.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
		t.Fatalf("exit: %v, want the window's own code 7", err)
	}
	b, err := os.ReadFile(got)
	if err != nil || string(b) != "-v\n/models/a b.glb\n" {
		t.Fatalf("the window got %q (%v)", b, err)
	}
}

func TestNoWindowInstalledSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	c := exec.Command(build(t, dir))
	c.Env = env(t)
	b, err := c.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	if !strings.Contains(string(b), "meshdrop-gui is not installed") || !strings.Contains(string(b), "make build") {
		t.Fatalf("message: %s", b)
	}
}
