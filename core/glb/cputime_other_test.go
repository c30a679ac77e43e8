//go:build !unix

package glb

// cpuTime is not measured here (no getrusage): cpu-ms/op reads 0.
func cpuTime() int64 { return 0 }
