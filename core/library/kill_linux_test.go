//go:build linux

package library

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

const (
	envKillDir = "MESHDROP_LIBRARY_KILL_DIR"
	killReady  = "WRITING"
)

// TestSIGKILLDuringWrites kills a process writing records and models at
// random moments, several times over, and checks after each kill that the
// library opens with no damage, every record is a whole version (progress
// never goes back) and every model file present is a whole GLB.
func TestSIGKILLDuringWrites(t *testing.T) {
	if dir := os.Getenv(envKillDir); dir != "" {
		killChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("slow: kills a child process repeatedly")
	}
	dir := t.TempDir()
	glb := testGLB(t)
	seen := map[string]float64{}
	for round := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestSIGKILLDuringWrites$")
		cmd.Env = append(os.Environ(), envKillDir+"="+dir)
		var out bytes.Buffer
		cmd.Stderr = &out
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill at a random moment after the child has started writing (it
		// says so on stdout), however long it took to start.
		ready := make(chan string, 1)
		var rest bytes.Buffer
		copied := make(chan struct{})
		go func() {
			defer close(copied)
			br := bufio.NewReader(stdout)
			line, _ := br.ReadString('\n')
			ready <- line
			io.Copy(&rest, br)
		}()
		select {
		case line := <-ready:
			if line != killReady+"\n" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("round %d: child said %q", round, line)
			}
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("round %d: child did not start writing", round)
		}
		time.Sleep(time.Duration(20+rand.IntN(300)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		<-copied
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child ended before the kill (%v):\n%s%s", round, err, rest.String(), out.String())
		}
		l, err := Open(dir, Config{})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if p := l.Problems(); len(p) != 0 {
			t.Fatalf("round %d: damage after SIGKILL: %v", round, p)
		}
		all, _ := l.List()
		for _, j := range all {
			if j.Progress < seen[j.ID] {
				t.Fatalf("round %d: job %s went back from %v to %v", round, j.ID, seen[j.ID], j.Progress)
			}
			seen[j.ID] = j.Progress
			if b, err := os.ReadFile(filepath.Join(l.JobDir(j.ID), "model.glb")); err == nil && !bytes.Equal(b, glb) {
				t.Fatalf("round %d: job %s has a torn model (%d bytes)", round, j.ID, len(b))
			}
		}
		l.Close()
		t.Logf("round %d: %d jobs intact", round, len(all))
	}
	if len(seen) == 0 {
		t.Fatal("the child wrote nothing before being killed")
	}
}

// killChild writes forever: records with rising progress and whole models.
func killChild(dir string) {
	l, err := Open(dir, Config{IndexDelay: 20 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	glb, err := quadGLB()
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	start := map[string]float64{}
	for _, s := range l.ids() {
		sum, _ := l.Summary(s)
		start[s] = sum.Progress
	}
	for n := 0; ; n++ {
		j := testJob(n % 20)
		j.Progress = start[j.ID] + float64(n)
		start[j.ID] = j.Progress
		if err := l.Put(j); err != nil {
			fmt.Println(err)
			os.Exit(3)
		}
		if n == 0 {
			fmt.Println(killReady)
		}
		if n%3 == 0 {
			_, err := l.SaveOutput(j.ID, "model.glb", KindModel, FormatGLB, func(w io.Writer) (int64, error) {
				// Written in pieces so a kill can land mid-file.
				var total int64
				for off := 0; off < len(glb); off += 512 {
					k, err := w.Write(glb[off:min(off+512, len(glb))])
					total += int64(k)
					if err != nil {
						return total, err
					}
				}
				return total, nil
			})
			if err != nil {
				fmt.Println(err)
				os.Exit(4)
			}
		}
	}
}
