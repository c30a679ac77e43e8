// Package meshiotest runs the Khronos glTF validator over GLB files in tests.
// The validator is the npm package gltf-validator, installed outside the
// repository with
//
//	npm install --prefix "$(go env GOCACHE)/../meshdrop-npm" gltf-validator@2.0.0-dev.3.10
//
// (MESHDROP_NPM_DIR overrides that folder). Tests skip with a clear message
// when node or the package is missing, unless MESHDROP_REQUIRE_VALIDATOR=1.
package meshiotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// ValidatorVersion is the gltf-validator release the tests use.
const ValidatorVersion = "2.0.0-dev.3.10"

// Message is one issue the validator found.
type Message struct {
	Code     string `json:"code"`
	Severity int    `json:"severity"` // 0 error, 1 warning, 2 info, 3 hint
	Message  string `json:"message"`
	Pointer  string `json:"pointer"`
}

// Report is the validator's verdict on one file.
type Report struct {
	File        string    `json:"file"`
	NumErrors   int       `json:"numErrors"`
	NumWarnings int       `json:"numWarnings"`
	NumInfos    int       `json:"numInfos"`
	Messages    []Message `json:"messages"`
}

// String lists the report's messages, for test failures.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d errors, %d warnings, %d infos", filepath.Base(r.File), r.NumErrors, r.NumWarnings, r.NumInfos)
	for _, m := range r.Messages {
		fmt.Fprintf(&b, "\n  [%d] %s %s: %s", m.Severity, m.Code, m.Pointer, m.Message)
	}
	return b.String()
}

// NPMDir is where gltf-validator is expected: MESHDROP_NPM_DIR, the folder
// holding MESHDROP_NODE_MODULES (what scripts/tools.sh installs and
// scripts/test.sh exports), or meshdrop-npm beside Go's build cache.
func NPMDir() (string, error) {
	if d := os.Getenv("MESHDROP_NPM_DIR"); d != "" {
		return d, nil
	}
	if nm := os.Getenv("MESHDROP_NODE_MODULES"); nm != "" {
		return filepath.Dir(filepath.Clean(nm)), nil
	}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOCACHE: %w", err)
	}
	return filepath.Clean(filepath.Join(strings.TrimSpace(string(out)), "..", "meshdrop-npm")), nil
}

// Validator returns a function that validates GLB files, or skips t (fails
// it under MESHDROP_REQUIRE_VALIDATOR=1) when node or the package is missing.
func Validator(t testing.TB) func(files ...string) []Report {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		msg := why + "; install it with: npm install --prefix \"$(go env GOCACHE)/../meshdrop-npm\" gltf-validator@" + ValidatorVersion
		if os.Getenv("MESHDROP_REQUIRE_VALIDATOR") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	dir, err := NPMDir()
	if err != nil {
		missing(err.Error())
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "gltf-validator", "package.json")); err != nil {
		missing("gltf-validator is not installed in " + dir)
	}
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "testdata", "validate.cjs")
	return func(files ...string) []Report {
		t.Helper()
		cmd := exec.Command(node, append([]string{script, dir}, files...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gltf-validator: %v: %s", err, stderr.String())
		}
		var reports []Report
		if err := json.Unmarshal(out, &reports); err != nil {
			t.Fatalf("gltf-validator output: %v: %.200s", err, out)
		}
		if len(reports) != len(files) {
			t.Fatalf("gltf-validator reported on %d files, asked %d", len(reports), len(files))
		}
		return reports
	}
}

// AssertValid validates files and fails t for every file with errors.
func AssertValid(t testing.TB, files ...string) []Report {
	t.Helper()
	reports := Validator(t)(files...)
	for _, r := range reports {
		if r.NumErrors != 0 {
			t.Errorf("glTF validator: %s", r)
		}
	}
	return reports
}
