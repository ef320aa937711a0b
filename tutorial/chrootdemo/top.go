package chrootdemo

// The top: the one file system the demo's mount namespace keeps besides
// the image. Shell twin:
//
//	mount --make-rprivate /
//	mount -t tmpfs -o mode=0755,size=1m kobako-chroot-demo /tmp
//	echo "secret: $WORD" > /tmp/marker.txt; … > /tmp/README
//	ln -s image/bin /tmp/bin
//	mount -o remount,ro /tmp                       (after the image is in)
//	cd /tmp && pivot_root . . && umount -l .       — see pivot_root(2)
//
// The top is mounted over /tmp, but only in the demo's private mount
// namespace: the host's /tmp is untouched, and nothing is created on any
// host file system, so a killed demo leaves nothing to clean up.
//
// The marker is what the climb finds. It sits outside the image, read-only,
// and it is all the climb can find: pivot_root made the top the root of
// the whole mount namespace and the old root — the host's "/" with
// everything mounted under it — was detached. A chroot escape climbs to the
// root of its mount namespace and no further; here that root is the top.

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// topDir is where the top is mounted before it becomes "/".
const topDir = "/tmp"

// The top's flags: nothing here is ever executed or a device.
const topFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// makePrivate stops mount propagation between the demo and the host.
func makePrivate() error {
	// mount --make-rprivate /
	if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("mount --make-rprivate /: %w", err)
	}
	return nil
}

// makeTop mounts the top's tmpfs and writes the marker and the README.
func makeTop(secret string) (string, error) {
	// mount -t tmpfs -o mode=0755,size=1m kobako-chroot-demo /tmp
	if err := unix.Mount("kobako-chroot-demo", topDir, "tmpfs", topFlags, "mode=0755,size=1m"); err != nil {
		return "", fmt.Errorf("mount tmpfs on %s: %w", topDir, err)
	}
	files := []struct{ name, text string }{
		{markerName, markerText(secret)},
		{"README", readmeText},
	}
	for _, f := range files {
		// echo … > $TOP/marker.txt; chmod 0444
		path := filepath.Join(topDir, f.name)
		if err := os.WriteFile(path, []byte(f.text), 0o444); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
	}
	// mkdir $TOP/image; ln -s image/bin $TOP/bin — so that after the climb
	// /bin/ls still works: the applets are in the image, one level down.
	if err := os.Mkdir(filepath.Join(topDir, "image"), 0o755); err != nil {
		return "", fmt.Errorf("mkdir %s/image: %w", topDir, err)
	}
	if err := os.Symlink("image/bin", filepath.Join(topDir, "bin")); err != nil {
		return "", fmt.Errorf("ln -s image/bin %s/bin: %w", topDir, err)
	}
	return topDir, nil
}

// readOnly remounts the top read-only, marker and all. A remount replaces
// the mount's flags, so the ones it was mounted with are given again.
func readOnly(top string) error {
	// mount -o remount,ro $TOP
	if err := unix.Mount("", top, "", unix.MS_REMOUNT|unix.MS_RDONLY|topFlags, ""); err != nil {
		return fmt.Errorf("mount -o remount,ro %s: %w", top, err)
	}
	return nil
}

// pivotRoot makes the top the root of the mount namespace and detaches the
// old root, as kobako's rootfs.PivotRoot does for a container (this package
// keeps its own few lines so the tutorial's binary stays small). It uses
// pivot_root(".", "."): the old root ends up stacked on top of the new one,
// so no put_old directory is needed in the (read-only) top.
func pivotRoot(top string) error {
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /: %w", err)
	}
	defer unix.Close(oldRoot)
	// cd $TOP
	if err := unix.Chdir(top); err != nil {
		return fmt.Errorf("chdir %s: %w", top, err)
	}
	// pivot_root . .
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root %s: %w", top, err)
	}
	// The old root now sits on top of "/". Stand in it and detach it, with
	// every host mount under it; it was made private above, so the unmount
	// stays in this namespace.
	if err := unix.Fchdir(oldRoot); err != nil {
		return fmt.Errorf("chdir to the old root: %w", err)
	}
	// umount -l .
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("umount -l the old root: %w", err)
	}
	// cd /
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

// markerName is the marker's name at the top.
const markerName = "marker.txt"

// markerText is the marker: a greeting in both languages and the line the
// tutorial checks, exactly "secret: WORD".
func markerText(secret string) string {
	return "You climbed out of the chroot: this file lies outside the demo's image.\n" +
		"chroot の外に出ました。このファイルはデモのイメージの外にあります。\n" +
		secretPrefix + secret + "\n"
}

// readmeText tells a learner who reached the top where they are.
const readmeText = `This is the top of the chroot demo, outside its image.
The demo's shell was switched with chroot into /image and kept CAP_SYS_CHROOT,
so a chroot of its own, without cd, put its working directory outside its
root, and cd .. climbed here. It can climb no higher: the tutorial moved this
tmpfs to "/" with pivot_root and detached the host's file systems from the
demo's mount namespace, so the host is not here to reach. Everything here is
read-only. A kobako container uses exactly that pivot_root, which is why the
same escape in it stops at its own root.

ここは chroot デモの最上部で、イメージ (/image) の外です。
デモのシェルは chroot で /image に切り替えただけで CAP_SYS_CHROOT を持ったままでした。
そのため cd せずに自分で chroot すると作業ディレクトリがルートの外に残り、
cd .. でここまで登れました。これより上へは行けません。チュートリアルが
pivot_root でこの tmpfs を "/" にし、ホストのファイルシステムをデモのマウント
名前空間から切り離したので、登った先にホストはありません。ここは読み取り専用です。
kobako のコンテナはこの pivot_root を使うので、同じ脱出もコンテナ自身のルートで止まります。
`
