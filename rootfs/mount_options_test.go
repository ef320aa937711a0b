package rootfs

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMountOptions(t *testing.T) {
	tests := []struct {
		options     []string
		flags       uintptr
		propagation uintptr
		data        string
	}{
		{nil, 0, 0, ""},
		{[]string{"nosuid", "noexec", "nodev"}, unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV, 0, ""},
		{[]string{"nosuid", "strictatime", "mode=755", "size=65536k"}, unix.MS_NOSUID | unix.MS_STRICTATIME, 0, "mode=755,size=65536k"},
		{[]string{"ro", "rw"}, 0, 0, ""},
		{[]string{"rbind", "ro", "rprivate"}, unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY, unix.MS_PRIVATE | unix.MS_REC, ""},
		{[]string{"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}, 0, 0, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
	}
	for _, tt := range tests {
		got := parseMountOptions(tt.options)
		if got.flags != tt.flags || got.propagation != tt.propagation || got.data != tt.data {
			t.Errorf("parseMountOptions(%q) = {%#x %#x %q}, want {%#x %#x %q}",
				tt.options, got.flags, got.propagation, got.data, tt.flags, tt.propagation, tt.data)
		}
	}
}
