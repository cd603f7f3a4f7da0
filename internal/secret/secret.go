// Package secret reads a setting that may be a secret: from its environment
// variable, or from the file its …_FILE variable names (Docker and
// Kubernetes secrets). Every command, the Chorus Pro client's configuration
// and the sandbox read their secrets through it.
package secret

import (
	"fmt"
	"os"
	"strings"
)

// Read returns the value of the variable name, or the trimmed content of
// the file named by name_FILE. Setting both, a file that cannot be read and
// an empty file are errors naming the variable; the content of the file is
// never quoted in an error.
func Read(getenv func(string) string, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("set %s or %s_FILE, not both", name, name)
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		s := strings.TrimSpace(string(data))
		if s == "" {
			return "", fmt.Errorf("%s_FILE: %s is empty", name, file)
		}
		return s, nil
	}
	return v, nil
}
