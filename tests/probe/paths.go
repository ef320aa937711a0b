package main

// A look at one path, for the tests of masked and read-only paths:
//
//	/probe stat PATH       stat + stat -f + ls + head -c 64: what PATH is, on what
//	/probe writable PATH   could PATH be opened for writing? (nothing is written)

import (
	"errors"

	"golang.org/x/sys/unix"
)

func init() {
	register("stat", 1, func(a []string) (any, error) { return statPath(a[0]), nil })
	register("writable", 1, func(a []string) (any, error) { return writable(a[0]), nil })
}

// pathInfo is what stat found. Errno is the name of a failure's errno
// (ENOENT …), so that tests need not match messages.
type pathInfo struct {
	Path      string   `json:"path"`
	Errno     string   `json:"errno"`
	Type      string   `json:"type"` // char, block, dir, file, other
	Major     uint32   `json:"major"`
	Minor     uint32   `json:"minor"`
	FSType    int64    `json:"fsType"`   // statfs(2)'s f_type: 0x9fa0 is procfs
	ReadOnly  bool     `json:"readOnly"` // the mount's ro flag (ST_RDONLY)
	Entries   []string `json:"entries"`  // a directory's names
	Head      string   `json:"head"`     // a file's first bytes, at most 64
	ReadErrno string   `json:"readErrno"`
}

func statPath(path string) pathInfo {
	info := pathInfo{Path: path}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		info.Errno = errnoName(err)
		return info
	}
	info.Type = fileType(st.Mode)
	info.Major, info.Minor = unix.Major(st.Rdev), unix.Minor(st.Rdev)
	var fs unix.Statfs_t
	if err := unix.Statfs(path, &fs); err != nil {
		info.Errno = errnoName(err)
		return info
	}
	info.FSType, info.ReadOnly = int64(fs.Type), fs.Flags&unix.ST_RDONLY != 0
	if info.Type == "dir" {
		info.Entries, info.ReadErrno = listDir(path)
	} else {
		info.Head, info.ReadErrno = head(path)
	}
	return info
}

func fileType(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFCHR:
		return "char"
	case unix.S_IFBLK:
		return "block"
	case unix.S_IFDIR:
		return "dir"
	case unix.S_IFREG:
		return "file"
	}
	return "other"
}

// listDir is ls -A; never nil, so that an empty directory prints [].
func listDir(path string) ([]string, string) {
	dir, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return []string{}, errnoName(err)
	}
	defer unix.Close(dir)
	names, err := readDirNames(dir)
	if err != nil {
		return []string{}, errnoName(err)
	}
	list := []string{}
	for _, n := range names {
		if n != "." && n != ".." {
			list = append(list, n)
		}
	}
	return list, ""
}

// head is head -c 64: enough to tell empty from not, without reading all
// of a file such as /proc/kcore if it were left unmasked. O_NONBLOCK: a
// device or a fifo must not hang the probe.
func head(path string) (string, string) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", errnoName(err)
	}
	defer unix.Close(fd)
	buf := make([]byte, 64)
	n, err := unix.Read(fd, buf)
	if err != nil {
		return "", errnoName(err)
	}
	return string(buf[:n]), ""
}

// writeResult says whether PATH could be opened for writing.
type writeResult struct {
	Path     string `json:"path"`
	Writable bool   `json:"writable"`
	Errno    string `json:"errno"`
}

// writable opens PATH for writing — creating it if missing, as `touch`
// would in a directory — and closes it at once. It never writes a byte:
// if the guard under test were gone, PATH could be the host's
// /proc/sys/kernel/core_pattern, and the probe must not change it.
func writable(path string) writeResult {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return writeResult{Path: path, Errno: errnoName(err)}
	}
	unix.Close(fd)
	return writeResult{Path: path, Writable: true}
}

// errnoName is the errno's name, like EROFS; another error as it reads.
func errnoName(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return unix.ErrnoName(errno)
	}
	return err.Error()
}
