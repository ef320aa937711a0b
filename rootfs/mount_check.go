package rootfs

// Checking a config's mounts at create time, before anything is made: a
// word kobako does not know is refused here, in one line, rather than
// handed to the kernel — which, for a bind, would take it as file-system
// data and ignore it (a misspelt "rro" would leave a volume writable).
// The shell has no twin for this: mount(8) refuses an unknown word too,
// but only when it runs.

import (
	"fmt"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// CheckMounts refuses a mount whose destination is relative or whose
// options carry a word that is neither a mount option, a propagation, one
// of runc's extensions, nor data for its file system.
func CheckMounts(mounts []specs.Mount) error {
	for _, m := range mounts {
		if err := checkMount(m); err != nil {
			return fmt.Errorf("mount %s: %w", m.Destination, err)
		}
	}
	return nil
}

func checkMount(m specs.Mount) error {
	if !path.IsAbs(m.Destination) {
		return fmt.Errorf("destination must be an absolute path")
	}
	opts := parseMountOptions(m.Options)
	bind := opts.isBind(m.Type)
	if m.Type == "" && !bind {
		return fmt.Errorf("no type and no bind or rbind option: say what to mount")
	}
	for _, word := range opts.data {
		if bind {
			return fmt.Errorf("unknown option %q for a bind mount: it is not a mount flag, a propagation or one of runc's (tmpcopyup, rro …)", word)
		}
		if !isDataWord(m.Type, word) {
			return fmt.Errorf("unknown option %q for %s: it is not a mount flag, a propagation, one of runc's, or a word %s takes", word, m.Type, m.Type)
		}
	}
	if opts.tmpcopyup && m.Type != "tmpfs" {
		return fmt.Errorf("tmpcopyup is for tmpfs mounts only, not %s", typeOrBind(m.Type, bind))
	}
	return checkIdmap(m, opts, bind)
}

// checkIdmap: an idmapped mount is a bind (runc 1.2 takes no other), with
// both maps. Maps without the word mean idmap too, as in runc.
func checkIdmap(m specs.Mount, opts mountOptions, bind bool) error {
	maps := len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0
	if opts.idmap == noIdmap && !maps {
		return nil
	}
	if !bind {
		return fmt.Errorf("idmapped mounts are bind mounts only, not %s", m.Type)
	}
	if len(m.UIDMappings) == 0 || len(m.GIDMappings) == 0 {
		return fmt.Errorf("an idmapped mount needs both uidMappings and gidMappings")
	}
	return nil
}

// fileSystemWords are the words without "=" that each common file system
// takes as data (see each one's page in the kernel's Documentation/
// filesystems). A file system not listed here (ext4, nfs, cgroup's
// controller names …) is left to the kernel: it refuses what it does not
// know with EINVAL, still at create time.
var fileSystemWords = map[string][]string{
	"proc":    nil,
	"sysfs":   nil,
	"mqueue":  nil,
	"devpts":  {"newinstance"},
	"tmpfs":   {"noswap", "inode32", "inode64", "quota", "usrquota", "grpquota"},
	"overlay": {"userxattr", "volatile"},
	"cgroup2": {"nsdelegate", "favordynmods", "memory_localevents", "memory_recursiveprot", "memory_hugetlb_accounting", "pids_localevents"},
}

// isDataWord tells whether word may be handed to fstype as data.
func isDataWord(fstype, word string) bool {
	if strings.Contains(word, "=") {
		return true // key=value: mode=755, size=65536k, gid=5
	}
	words, known := fileSystemWords[fstype]
	if !known {
		return true
	}
	for _, w := range words {
		if w == word {
			return true
		}
	}
	return false
}

func typeOrBind(fstype string, bind bool) string {
	if bind {
		return "a bind mount"
	}
	return fstype
}
