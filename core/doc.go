// Package core holds Meshdrop's domain: keys, providers, jobs, the library and
// history, GLB loading and the software renderer. Nothing under core imports
// Fyne; the desktop window (package ui) and the command line (package cli) are
// two faces of the same core.
package core
