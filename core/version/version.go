// Package version holds Meshdrop's version and the User-Agent it sends.
package version

// Version is set at build time with -ldflags "-X meshdrop/core/version.Version=…";
// the Makefile reads it from FyneApp.toml.
var Version = "0.1.0"

// UserAgent is the User-Agent header every provider client sends.
func UserAgent() string { return "Meshdrop/" + Version }
