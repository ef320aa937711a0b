package main

// /probe exchange MILLISECONDS A B — the container's side of the
// CVE-2021-30465 race (volumes_race_test.go).
//
// For the given time, or until a file /stop appears, it swaps the paths A
// and B with renameat2(RENAME_EXCHANGE), as fast as it can: one is a
// directory, the other a symlink out of the root, so that a runtime which
// resolves a path through A and then uses the path again meets the symlink
// instead. It prints how many swaps it made, and how many failed.

import (
	"fmt"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("exchange", 3, func(a []string) (any, error) {
		ms, err := strconv.Atoi(a[0])
		if err != nil {
			return nil, fmt.Errorf("exchange MILLISECONDS A B: %w", err)
		}
		return exchange(time.Duration(ms)*time.Millisecond, a[1], a[2])
	})
}

type exchangeResult struct {
	Swaps     int64  `json:"swaps"`     // renameat2 calls that succeeded
	Failures  int64  `json:"failures"`  // and those that did not
	LastError string `json:"lastError"` // why the last failure failed
}

func exchange(d time.Duration, a, b string) (exchangeResult, error) {
	var r exchangeResult
	// A first swap, there and back, says whether the paths can be swapped
	// at all: a misused probe reports it rather than spinning for nothing.
	for range 2 {
		if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
			return r, fmt.Errorf("renameat2 %s %s RENAME_EXCHANGE: %w", a, b, err)
		}
		r.Swaps++
	}
	// Look at the clock and for /stop every so often only: the swaps are
	// what this loop is for.
	for end := time.Now().Add(d); ; {
		for range 256 {
			if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
				r.Failures++
				r.LastError = err.Error()
				continue
			}
			r.Swaps++
		}
		if time.Now().After(end) || exists("/stop") {
			return r, nil
		}
	}
}
