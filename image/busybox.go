// The built-in busybox image, so that "kobako run -it busybox sh" works
// with no docker, no registry and no network.
//
// Shell twin:
//
//	mkdir -p $ROOTFS/bin && cp /bin/busybox $ROOTFS/bin/
//	$ROOTFS/bin/busybox --install -s $ROOTFS    # one symlink per applet
//	mkdir $ROOTFS/{dev,proc,sys,tmp,root,etc,home,var,run} && echo root:x:0:0:… > $ROOTFS/etc/passwd
//
// kobako writes that tree as a tarball, and imports it as it imports any
// other (unpack.Tar): one way into the store for every layer, and the
// layer's id is its tar's digest, as for every layer.
//
// The binary must be statically linked: the image has no /lib, so a dynamic
// busybox would fail to start ("no such file or directory", for the missing
// loader). Debian's and Ubuntu's busybox-static package is such a binary.
package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/rootfs/unpack"
)

// BusyboxName is the image that Get builds when it is missing.
const BusyboxName = "busybox"

// buildBusybox builds and registers the busybox image. Several kobakos may
// do it at once (ten "kobako run busybox" on an empty store): each builds
// its own, the first rename wins, and the others use the winner's.
func (s *Store) buildBusybox() (*Image, error) {
	host, err := staticBusybox()
	if err != nil {
		return nil, err
	}
	img, err := s.stage(BusyboxName, func(work string) (Image, error) {
		tree, err := makeTree(work, s.tracer)
		if err != nil {
			return Image{}, err
		}
		// busybox.tar | tar -x -C TREE, the tarball written as it is read
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeBusybox(pw, host, s.tracer)) }()
		res, err := unpack.Tar(pr, tree, unpack.Limits{}, s.tracer)
		pr.CloseWithError(errors.New("unpack stopped")) // lets the writer go, if Unpack stopped early
		if err != nil {
			return Image{}, fmt.Errorf("build the busybox image: %w", err)
		}
		img := Image{Size: res.Bytes, Source: "busybox (built in from " + host + ")"}
		return img, s.addTree(tree, res.DiffID, &img)
	})
	if errors.Is(err, ErrExists) {
		return s.read(BusyboxName)
	}
	return img, err
}

// staticBusybox finds the host's busybox and checks that it is static.
func staticBusybox() (string, error) {
	var why []string
	for _, path := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		static, err := IsStatic(path)
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		if static {
			return path, nil
		}
		why = append(why, path+" is dynamically linked")
	}
	return "", fmt.Errorf("the built-in busybox image needs a static busybox: install it with apt-get install busybox-static (%s)",
		strings.Join(why, "; "))
}

// IsStatic reports whether an ELF executable is statically linked: it has
// no PT_INTERP program header, the one that names the dynamic loader
// (/lib64/ld-linux-x86-64.so.2). file(1) says "statically linked" then.
func IsStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

// writeBusybox writes the busybox image's tree as a tarball: the host's
// busybox as bin/busybox, a symlink to it for every applet, the top
// directories and a few files of /etc. Directories come before what is in
// them, as tar has them.
func writeBusybox(w io.Writer, host string, tr *trace.Tracer) error {
	tr.Note("build busybox image", "cp "+host+" ROOTFS/bin/ && ROOTFS/bin/busybox --install -s ROOTFS")
	applets, err := listApplets(host)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	now := time.Now()
	dirs := map[string]int64{
		"bin": 0o755, "dev": 0o755, "proc": 0o555, "sys": 0o555, "tmp": 0o1777, "root": 0o700,
		"etc": 0o755, "home": 0o755, "var": 0o755, "run": 0o755,
	}
	for _, applet := range applets {
		for dir := path.Dir(applet); dir != "."; dir = path.Dir(dir) {
			if _, ok := dirs[dir]; !ok {
				dirs[dir] = 0o755
			}
		}
	}
	for _, dir := range slices.Sorted(maps.Keys(dirs)) { // a parent sorts before its children
		// mkdir -m MODE ROOTFS/DIR
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: dirs[dir], ModTime: now}); err != nil {
			return err
		}
	}
	if err := addHostFile(tw, host, "bin/busybox", now); err != nil {
		return err
	}
	for _, applet := range applets {
		// ln -s /bin/busybox ROOTFS/APPLET
		hdr := &tar.Header{Typeflag: tar.TypeSymlink, Name: applet, Linkname: "/bin/busybox", Mode: 0o777, ModTime: now}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, text string }{
		{"etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
		{"etc/group", "root:x:0:\nnogroup:x:65534:\n"},
		{"etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n"},
	} {
		// cat > ROOTFS/etc/FILE
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.text)), ModTime: now}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.WriteString(tw, f.text); err != nil {
			return err
		}
	}
	return tw.Close()
}

// addHostFile is cp HOST ROOTFS/NAME, mode 0755, into the tarball.
func addHostFile(tw *tar.Writer, host, name string, now time.Time) error {
	src, err := os.Open(host)
	if err != nil {
		return fmt.Errorf("copy busybox: %w", err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return fmt.Errorf("copy busybox: %w", err)
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o755, Size: st.Size(), ModTime: now}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.Copy(tw, src); err != nil {
		return fmt.Errorf("copy %s: %w", host, err)
	}
	return nil
}

// listApplets is busybox --list-full: where each applet lives
// ("usr/bin/awk"), but bin/busybox itself. busybox looks at the name it
// was started by to know which applet to be.
func listApplets(host string) ([]string, error) {
	// busybox --list-full
	list, err := exec.Command(host, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list-full: %w", host, err)
	}
	var applets []string
	lines := bufio.NewScanner(bytes.NewReader(list))
	for lines.Scan() {
		applet := lines.Text()
		if applet == "" || applet == "bin/busybox" {
			continue
		}
		if !filepath.IsLocal(applet) {
			return nil, fmt.Errorf("%s --list-full: unexpected applet path %q", host, applet)
		}
		applets = append(applets, applet)
	}
	return applets, lines.Err()
}
