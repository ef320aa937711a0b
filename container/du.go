// DiskUsage: the space one container takes, for kobako system df.
//
// Shell twin: du -s -x -B1 $CONTAINER; du -B1 $CONTAINER/container.log
package container

import (
	"path/filepath"

	"github.com/kobako/kobako/internal/fileutil"
)

// DiskUsage returns the bytes the container's own directory takes apart
// from its log — its overlay upper and work dirs, config and record: its
// writable layer, in docker's words — and the bytes of its log. The image
// below is not counted: that is the image's space, shared by all its
// containers (DiskUsage does not enter the rootfs/ mount).
func (s *Store) DiskUsage(c *Container) (layer, logs int64, err error) {
	total, err := fileutil.DiskUsage(c.Bundle)
	if err != nil {
		return 0, 0, err
	}
	if logs, err = fileutil.DiskUsage(filepath.Join(c.Bundle, logFileName)); err != nil {
		return 0, 0, err
	}
	return total - logs, logs, nil
}
