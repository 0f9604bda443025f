package types

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// CheckName enforces the rules for human-readable names (projects, streams):
// non-empty, at most max bytes, valid UTF-8, no control characters.
func CheckName(name string, max int) error {
	if name == "" {
		return fmt.Errorf("empty")
	}
	if len(name) > max {
		return fmt.Errorf("%d bytes, at most %d", len(name), max)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("not valid UTF-8")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("contains control character %U", r)
		}
	}
	return nil
}
