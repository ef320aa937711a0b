package main

import "testing"

func TestParseDevice(t *testing.T) {
	good := map[string]deviceRequest{
		"/dev/null":                  {"/dev/null", "/dev/null", "rwm"},
		"/dev/null:/dev/mynull":      {"/dev/null", "/dev/mynull", "rwm"},
		"/dev/null:rw":               {"/dev/null", "/dev/null", "rw"},
		"/dev/null:/dev/x:mr":        {"/dev/null", "/dev/x", "mr"},
		"/dev/sda:/dev/sub/dir/x:r":  {"/dev/sda", "/dev/sub/dir/x", "r"},
		"/dev/disk/by-id/x:/dev/sdx": {"/dev/disk/by-id/x", "/dev/sdx", "rwm"},
		"/dev/null:relative":         {"/dev/null", "relative", "rwm"}, // refused by containerDevicePath
	}
	for in, want := range good {
		if got, err := parseDevice(in); err != nil || got != want {
			t.Errorf("parseDevice(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", ":/dev/x", "/dev/null:/dev/x:rwz", "/dev/null:/dev/x:", "/dev/null:/dev/x:rr", "/dev/null:/dev/x:rw:m"} {
		if got, err := parseDevice(in); err == nil {
			t.Errorf("parseDevice(%q) = %+v; want an error", in, got)
		}
	}
}

func TestContainerDevicePath(t *testing.T) {
	for in, want := range map[string]string{"/dev/x": "/dev/x", "/dev/a/../b": "/dev/b", "/dev/sub/dir/x/": "/dev/sub/dir/x"} {
		if got, err := containerDevicePath(in); err != nil || got != want {
			t.Errorf("containerDevicePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"relative", "dev/x", "/etc/x", "/dev", "/dev/", "/dev/../etc/x", "/devx", "/dev/pts/x", "/dev/shm/x", "/dev/fd"} {
		if got, err := containerDevicePath(in); err == nil {
			t.Errorf("containerDevicePath(%q) = %q; want an error", in, got)
		}
	}
}
