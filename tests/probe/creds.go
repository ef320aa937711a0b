package main

// /probe creds: who the process is and what it may do — id(1) and
//
//	grep -E '^(Cap|NoNewPrivs)' /proc/self/status
//
// The tests read most of this from outside, in /proc/<pid>/status; creds
// is for what only the process itself can show, such as the euid a setuid
// copy of the probe runs with.

import (
	"fmt"
	"os"
	"strings"
)

func init() {
	register("creds", 0, func([]string) (any, error) { return creds() })
}

// credentials are the real and effective ids, and the lines of
// /proc/self/status that say what the process may do (the masks in hex,
// as the kernel prints them).
type credentials struct {
	UID    int               `json:"uid"`
	EUID   int               `json:"euid"`
	GID    int               `json:"gid"`
	EGID   int               `json:"egid"`
	Status map[string]string `json:"status"` // CapInh … CapAmb, NoNewPrivs
}

func creds() (credentials, error) {
	c := credentials{UID: os.Getuid(), EUID: os.Geteuid(), GID: os.Getgid(), EGID: os.Getegid(), Status: map[string]string{}}
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return c, fmt.Errorf("read /proc/self/status: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		key, value, _ := strings.Cut(line, ":")
		if strings.HasPrefix(key, "Cap") || key == "NoNewPrivs" {
			c.Status[key] = strings.TrimSpace(value)
		}
	}
	return c, nil
}
