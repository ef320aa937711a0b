// The built-in busybox image, so that "kobako run -it busybox sh" works
// with no docker, no registry and no network.
//
// Shell twin:
//
//	mkdir -p $ROOTFS/bin && cp /bin/busybox $ROOTFS/bin/
//	$ROOTFS/bin/busybox --install -s $ROOTFS    # one symlink per applet
//	mkdir $ROOTFS/{dev,proc,sys,tmp,root,etc,home,var,run} && echo root:x:0:0:… > $ROOTFS/etc/passwd
//
// The binary must be statically linked: the image has no /lib, so a dynamic
// busybox would fail to start ("no such file or directory", for the missing
// loader). Debian's and Ubuntu's busybox-static package is such a binary.
package image

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kobako/kobako/internal/trace"
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
		size, err := fillBusybox(tree, host, s.tracer)
		if err != nil {
			return Image{}, fmt.Errorf("build the busybox image: %w", err)
		}
		id, err := layerDigest(tree)
		if err != nil {
			return Image{}, err
		}
		img := Image{Size: size, Source: "busybox (built in from " + host + ")"}
		return img, s.addTree(tree, id, &img)
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
		static, err := isStatic(path)
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

// isStatic reports whether an ELF executable is statically linked: it has
// no PT_INTERP program header, the one that names the dynamic loader
// (/lib64/ld-linux-x86-64.so.2). file(1) says "statically linked" then.
func isStatic(path string) (bool, error) {
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

// fillBusybox makes the busybox tree in the empty directory tree and returns
// the bytes of regular files it wrote. The tree is kobako's own, made from
// known names, so plain paths are safe here (unlike in an imported tarball).
func fillBusybox(tree, host string, tr *trace.Tracer) (int64, error) {
	tr.Note("build busybox image", "cp "+host+" ROOTFS/bin/ && ROOTFS/bin/busybox --install -s ROOTFS")
	size, err := copyFile(host, filepath.Join(tree, "bin", "busybox"))
	if err != nil {
		return 0, err
	}
	if err := linkApplets(tree, host); err != nil {
		return 0, err
	}
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{
		{"dev", 0o755}, {"proc", 0o555}, {"sys", 0o555}, {"tmp", 0o777 | os.ModeSticky}, {"root", 0o700},
		{"etc", 0o755}, {"home", 0o755}, {"var", 0o755}, {"run", 0o755},
	} {
		if err := mkdir(filepath.Join(tree, d.name), d.mode); err != nil {
			return 0, err
		}
	}
	for _, f := range []struct{ name, text string }{
		{"etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
		{"etc/group", "root:x:0:\nnogroup:x:65534:\n"},
		{"etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n"},
	} {
		// cat > ROOTFS/etc/FILE
		if err := os.WriteFile(filepath.Join(tree, f.name), []byte(f.text), 0o644); err != nil {
			return 0, fmt.Errorf("write %s: %w", f.name, err)
		}
		size += int64(len(f.text))
	}
	return size, nil
}

// copyFile is cp HOST TREE/bin/busybox, mode 0755.
func copyFile(from, to string) (int64, error) {
	if err := mkdir(filepath.Dir(to), 0o755); err != nil {
		return 0, err
	}
	src, err := os.Open(from)
	if err != nil {
		return 0, fmt.Errorf("copy busybox: %w", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return 0, fmt.Errorf("copy busybox: %w", err)
	}
	defer dst.Close()
	n, err := io.Copy(dst, src)
	if err != nil {
		return 0, fmt.Errorf("copy %s to %s: %w", from, to, err)
	}
	// chmod 0755 — the mode given to open is cut by the umask
	if err := dst.Chmod(0o755); err != nil {
		return 0, fmt.Errorf("chmod 0755 %s: %w", to, err)
	}
	return n, dst.Close()
}

// linkApplets is busybox --install -s: a symlink to /bin/busybox for every
// applet, where busybox --list-full says it lives ("usr/bin/awk"). busybox
// looks at the name it was started by to know which applet to be.
func linkApplets(tree, host string) error {
	// busybox --list-full
	list, err := exec.Command(host, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("%s --list-full: %w", host, err)
	}
	lines := bufio.NewScanner(bytes.NewReader(list))
	for lines.Scan() {
		applet := lines.Text()
		if applet == "" || applet == "bin/busybox" {
			continue
		}
		if !filepath.IsLocal(applet) {
			return fmt.Errorf("%s --list-full: unexpected applet path %q", host, applet)
		}
		link := filepath.Join(tree, applet)
		if err := mkdir(filepath.Dir(link), 0o755); err != nil {
			return err
		}
		// ln -s /bin/busybox ROOTFS/APPLET
		if err := os.Symlink("/bin/busybox", link); err != nil {
			return fmt.Errorf("link applet: %w", err)
		}
	}
	return lines.Err()
}

// mkdir is mkdir -p -m MODE DIR: the mode is set with chmod, because mkdir's
// own is cut by the umask and cannot hold the sticky bit.
func mkdir(dir string, mode os.FileMode) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mkdir %s: %w", dir, err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		return fmt.Errorf("chmod %v %s: %w", mode, dir, err)
	}
	return nil
}
