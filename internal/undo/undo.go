// Package undo is the small clean-up stack every constructor in kobako
// uses: each step that creates something (a directory, a mount, a process)
// pushes its inverse; on failure the stack runs in reverse and leaves
// nothing behind; on success it is released and the things stay.
//
//	var u undo.Stack
//	defer u.RunIfNotReleased()   // or: if err != nil { u.Run() }
//	mkdir …;  u.Push(func() error { return os.Remove(dir) })
//	mount …;  u.Push(func() error { return unix.Unmount(target, 0) })
//	u.Release()                  // all went well: keep it
package undo

import "errors"

// Stack holds inverse steps, run last-in first-out.
type Stack struct {
	steps    []func() error
	released bool
}

// Push records the inverse of a step that just succeeded.
func (s *Stack) Push(inverse func() error) {
	s.steps = append(s.steps, inverse)
}

// Release keeps everything: the operation succeeded.
func (s *Stack) Release() {
	s.released = true
	s.steps = nil
}

// RunIfNotReleased undoes every step, newest first, unless Release was
// called. It is meant for defer. All steps run even if some fail; their
// errors are joined.
func (s *Stack) RunIfNotReleased() error {
	if s.released {
		return nil
	}
	var errs []error
	for i := len(s.steps) - 1; i >= 0; i-- {
		if err := s.steps[i](); err != nil {
			errs = append(errs, err)
		}
	}
	s.steps = nil
	return errors.Join(errs...)
}
