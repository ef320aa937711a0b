package rootfs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestParseMountOptions(t *testing.T) {
	tests := []struct {
		options []string
		want    mountOptions
	}{
		{nil, mountOptions{}},
		{[]string{"nosuid", "noexec", "nodev"}, mountOptions{flags: unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV}},
		{[]string{"nosuid", "strictatime", "mode=755", "size=65536k"},
			mountOptions{flags: unix.MS_NOSUID | unix.MS_STRICTATIME, data: []string{"mode=755", "size=65536k"}}},
		{[]string{"ro", "rw"}, mountOptions{}},
		{[]string{"rbind", "ro", "rprivate"},
			mountOptions{flags: unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY, propagation: unix.MS_PRIVATE | unix.MS_REC}},
		{[]string{"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
			mountOptions{data: []string{"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
		{[]string{"nosymfollow", "lazytime"}, mountOptions{flags: unix.MS_NOSYMFOLLOW | unix.MS_LAZYTIME}},
		// runc's extensions never reach the data string.
		{[]string{"tmpcopyup", "mode=755"}, mountOptions{tmpcopyup: true, data: []string{"mode=755"}}},
		{[]string{"rbind", "rro", "rnosuid"}, mountOptions{flags: unix.MS_BIND | unix.MS_REC,
			recursive: recursiveAttrs{set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID, words: []string{"rro", "rnosuid"}}}},
		{[]string{"rro", "rrw"}, mountOptions{recursive: recursiveAttrs{clear: unix.MOUNT_ATTR_RDONLY, words: []string{"rro", "rrw"}}}},
		// An access-time word clears the whole field first (mount_setattr(2)).
		{[]string{"rnoatime"}, mountOptions{recursive: recursiveAttrs{set: unix.MOUNT_ATTR_NOATIME, clear: unix.MOUNT_ATTR__ATIME, words: []string{"rnoatime"}}}},
		{[]string{"rrelatime"}, mountOptions{recursive: recursiveAttrs{clear: unix.MOUNT_ATTR__ATIME, words: []string{"rrelatime"}}}},
		{[]string{"bind", "idmap"}, mountOptions{flags: unix.MS_BIND, idmap: idmapTop}},
		{[]string{"rbind", "ridmap"}, mountOptions{flags: unix.MS_BIND | unix.MS_REC, idmap: idmapRecursive}},
	}
	for _, tt := range tests {
		got := parseMountOptions(tt.options)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseMountOptions(%q) = %+v, want %+v", tt.options, got, tt.want)
		}
	}
}

func TestCheckMounts(t *testing.T) {
	idmap := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	tests := []struct {
		mount specs.Mount
		err   string // part of the error; "" for none
	}{
		{specs.Mount{Destination: "/v", Type: "bind", Source: "/tmp", Options: []string{"rbind", "rro", "rprivate"}}, ""},
		{specs.Mount{Destination: "/v", Source: "/tmp", Options: []string{"bind", "ro", "nosymfollow"}}, ""},
		{specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup", "mode=755", "noswap"}}, ""},
		{specs.Mount{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"newinstance", "gid=5"}}, ""},
		{specs.Mount{Destination: "/d", Type: "ext4", Source: "/dev/sda1", Options: []string{"discard"}}, ""}, // the kernel's to judge
		{specs.Mount{Destination: "/v", Type: "bind", Source: "/tmp", Options: []string{"rbind", "idmap"}, UIDMappings: idmap, GIDMappings: idmap}, ""},
		{specs.Mount{Destination: "v", Type: "tmpfs", Source: "tmpfs"}, "mount v: destination must be an absolute path"},
		{specs.Mount{Destination: "/v", Type: "bind", Source: "/tmp", Options: []string{"rbind", "roo"}}, `mount /v: unknown option "roo" for a bind mount`},
		{specs.Mount{Destination: "/v", Source: "/tmp", Options: []string{"bind", "mode=755"}}, `unknown option "mode=755" for a bind mount`},
		{specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"rroo"}}, `mount /run: unknown option "rroo" for tmpfs`},
		{specs.Mount{Destination: "/v", Source: "/tmp"}, "no type and no bind or rbind option"},
		{specs.Mount{Destination: "/v", Type: "bind", Source: "/tmp", Options: []string{"bind", "tmpcopyup"}}, "tmpcopyup is for tmpfs mounts only"},
		{specs.Mount{Destination: "/v", Type: "bind", Source: "/tmp", Options: []string{"bind", "idmap"}}, "needs both uidMappings and gidMappings"},
		{specs.Mount{Destination: "/v", Type: "tmpfs", Source: "tmpfs", Options: []string{"idmap"}}, "bind mounts only"},
	}
	for _, tt := range tests {
		err := CheckMounts([]specs.Mount{tt.mount})
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("CheckMounts(%+v) = %v, want nil", tt.mount, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("CheckMounts(%+v) = %v, want an error with %q", tt.mount, err, tt.err)
		}
	}
}

// The mounts podman, containerd and docker really generate all pass.
func TestCheckMountsOfRealConfigs(t *testing.T) {
	for _, client := range []string{"podman", "containerd", "docker"} {
		file := filepath.Join("..", "runtime", "testdata", client+"-config.json")
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var spec specs.Spec
		if err := json.Unmarshal(data, &spec); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := CheckMounts(spec.Mounts); err != nil {
			t.Errorf("%s: %v", client, err)
		}
	}
}
