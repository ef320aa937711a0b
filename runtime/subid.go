package runtime

// Subordinate ids: the host ids a user may hand to its user namespaces.
// /etc/subuid and /etc/subgid (subuid(5)) hold one range per line,
//
//	learner:100000:65536      NAME-or-UID:START:COUNT
//
// which newuidmap and newgidmap (the setuid helpers of the uidmap package)
// check before they write a map a user could not write by itself. kobako
// reads them for two things: a user's rootless map (root in the container
// is the user, 1… are its subordinate ids), and the pool root's containers
// take their ranges from (the user "kobako", see container/userns.go).

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// IDRange is Count host ids from Start.
type IDRange struct {
	Start, Count uint32
}

// SubIDRanges reads the ranges of file (/etc/subuid or /etc/subgid) that
// belong to the user called name or numbered id (-1: by name only). A
// missing file gives none.
func SubIDRanges(file, name string, id int) ([]IDRange, error) {
	// grep "^$USER:" /etc/subuid
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseSubIDs(f, name, id)
}

// parseSubIDs picks the lines of owner name (or id) from a subuid(5) file.
// Lines that are not NAME:START:COUNT with a COUNT > 0 are skipped, as
// newuidmap skips them.
func parseSubIDs(r io.Reader, name string, id int) ([]IDRange, error) {
	var ranges []IDRange
	scan := bufio.NewScanner(r)
	for scan.Scan() {
		fields := strings.Split(strings.TrimSpace(scan.Text()), ":")
		if len(fields) != 3 || !(fields[0] == name || id >= 0 && fields[0] == strconv.Itoa(id)) {
			continue
		}
		start, err1 := strconv.ParseUint(fields[1], 10, 32)
		count, err2 := strconv.ParseUint(fields[2], 10, 32)
		if err1 != nil || err2 != nil || count == 0 || start+count > 1<<32-1 {
			continue
		}
		ranges = append(ranges, IDRange{Start: uint32(start), Count: uint32(count)})
	}
	if err := scan.Err(); err != nil {
		return nil, fmt.Errorf("read subordinate ids: %w", err)
	}
	return ranges, nil
}

// RootlessMap is a user's map: root in the container is the user's own id
// (what `unshare -r` maps), and the ids from 1 on are its subordinate
// ranges, one after the other (podman's rootless map). With no ranges it
// is the single line that a user may write without help.
func RootlessMap(ownID int, subordinate []IDRange) []specs.LinuxIDMapping {
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(ownID), Size: 1}}
	next := uint32(1)
	for _, r := range subordinate {
		if uint64(next)+uint64(r.Count) > 1<<32-1 {
			break // uid 4294967295 is (uid_t)-1: no map reaches it
		}
		m = append(m, specs.LinuxIDMapping{ContainerID: next, HostID: r.Start, Size: r.Count})
		next += r.Count
	}
	return m
}
