package cli

import (
	"os"

	"meshdrop/core/version"
)

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
}

func versionString() string { return version.Version }
