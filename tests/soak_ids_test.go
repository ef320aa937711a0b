package tests

// Which ids the soak made. A container's id is kobako's secret until its
// directories appear, and a kill may come before it tells anyone; so the
// soak watches the three directories an id first shows in —
// <data-root>/containers/<id>, <data-root>/names/<name> -> <id> and
// <root>/<id> — with inotify(7), and learns every id the moment it is
// made, even one whose directories go again at once. Only those ids'
// cgroups are the soak's to check: other kobakos may run on the host.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// soakIDs is what the watch has learned.
type soakIDs struct {
	mu       sync.Mutex
	first    map[string]time.Time // id → when a directory of it first appeared
	byName   map[string]string    // name → id
	overflow bool                 // the kernel dropped events: the lists may lack ids

	namesDir string
	file     *os.File         // the inotify instance
	dirs     map[int32]string // watch descriptor → the directory it watches
	done     chan struct{}
	stopOnce sync.Once
}

// soakWatchIDs starts watching the directories, which must exist.
func soakWatchIDs(root, containers, names string) (*soakIDs, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify_init1: %w", err)
	}
	// Non-blocking, so that Go's poller waits for it and Close wakes Read.
	w := &soakIDs{
		first: map[string]time.Time{}, byName: map[string]string{}, namesDir: names,
		file: os.NewFile(uintptr(fd), "inotify"), dirs: map[int32]string{}, done: make(chan struct{}),
	}
	for _, dir := range []string{root, containers, names} {
		// IN_MOVED_TO too: a directory may be made aside and renamed in.
		wd, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MOVED_TO)
		if err != nil {
			w.file.Close()
			return nil, fmt.Errorf("inotify_add_watch %s: %w", dir, err)
		}
		w.dirs[int32(wd)] = dir
	}
	go w.read()
	return w, nil
}

// stop ends the watch.
func (w *soakIDs) stop() {
	w.stopOnce.Do(func() {
		w.file.Close()
		<-w.done
	})
}

func (w *soakIDs) read() {
	defer close(w.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := w.file.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		for _, ev := range soakParseInotify(buf[:n]) {
			w.event(w.dirs[ev.wd], ev, now)
		}
	}
}

// soakInotifyEvent is one struct inotify_event with its name.
type soakInotifyEvent struct {
	wd   int32
	mask uint32
	name string
}

// soakParseInotify splits what read(2) returned on an inotify descriptor:
// struct inotify_event { int wd; u32 mask, cookie, len; char name[len]; },
// the name padded with NULs.
func soakParseInotify(buf []byte) []soakInotifyEvent {
	var events []soakInotifyEvent
	for len(buf) >= unix.SizeofInotifyEvent {
		size := int(binary.NativeEndian.Uint32(buf[12:16]))
		if len(buf) < unix.SizeofInotifyEvent+size {
			break
		}
		name := buf[unix.SizeofInotifyEvent : unix.SizeofInotifyEvent+size]
		for len(name) > 0 && name[len(name)-1] == 0 {
			name = name[:len(name)-1]
		}
		events = append(events, soakInotifyEvent{
			wd:   int32(binary.NativeEndian.Uint32(buf[0:4])),
			mask: binary.NativeEndian.Uint32(buf[4:8]),
			name: string(name),
		})
		buf = buf[unix.SizeofInotifyEvent+size:]
	}
	return events
}

func (w *soakIDs) event(dir string, ev soakInotifyEvent, now time.Time) {
	if ev.mask&unix.IN_Q_OVERFLOW != 0 {
		w.mu.Lock()
		w.overflow = true
		w.mu.Unlock()
		return
	}
	if dir == w.namesDir {
		w.nameOf(ev.name) // the link may be gone already: then idOf reads it later
		return
	}
	w.add(ev.name, now)
}

// add notes id, first seen at when.
func (w *soakIDs) add(id string, when time.Time) {
	if !soakIsID(id) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.first[id]; !ok {
		w.first[id] = when
	}
}

// soakIsID: kobako's ids are 64 hex digits (container/names.go).
func soakIsID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// nameOf reads names/<name> and remembers where it leads.
func (w *soakIDs) nameOf(name string) string {
	target, err := os.Readlink(filepath.Join(w.namesDir, name))
	if err != nil {
		return ""
	}
	id := filepath.Base(target)
	w.add(id, time.Now())
	w.mu.Lock()
	defer w.mu.Unlock()
	w.byName[name] = id
	return id
}

// idOf is the id name had; "" while it has none yet.
func (w *soakIDs) idOf(name string) string {
	w.mu.Lock()
	id, ok := w.byName[name]
	w.mu.Unlock()
	if ok {
		return id
	}
	return w.nameOf(name)
}

// nameFor is the name id had, if the watch saw it.
func (w *soakIDs) nameFor(id string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, other := range w.byName {
		if other == id {
			return name
		}
	}
	return ""
}

// known lists every id seen, with when it first appeared.
func (w *soakIDs) known() map[string]time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]time.Time, len(w.first))
	for id, when := range w.first {
		out[id] = when
	}
	return out
}

// addDir adds the ids named by dir's entries: what is left at the end is
// known even if the watch missed its making.
func (w *soakIDs) addDir(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return
	}
	for _, entry := range entries {
		w.add(entry.Name(), time.Now())
	}
}
