package container

// The root of a container that never ran, for kobako build's COPY and
// ADD: its layers mounted writable and detached, as `kobako cp` into a
// stopped container mounts them (cp_root.go), so the files a step copies
// land in the container's upper dir — the step's layer-to-be.
//
// Shell twin (the article's §7.3, with a detached mount instead of a
// mount point):
//
//	mount -t overlay overlay -o lowerdir=$LAYER1/diff,upperdir=$LAYER2/diff,workdir=$LAYER2/work $LAYER2/merged
//	cp … $LAYER2/merged/…
//	umount $LAYER2/merged

import "os"

// WithRoot calls fn with an O_PATH handle of the stopped container c's
// root, mounted writable. The mount is in no namespace's tree: it goes
// when fn returns, or with kobako if it is killed.
func (s *Store) WithRoot(c *Container, fn func(root *os.File) error) error {
	s.narrate(c)
	root, release, err := s.openRoot(c, true)
	if err != nil {
		return err
	}
	defer release()
	return fn(root)
}
