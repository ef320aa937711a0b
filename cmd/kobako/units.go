package main

// Sizes the way docker reads them: "10m" is 10 MiB, "512k" 512 KiB, and a
// plain number or "10000000b" is bytes — so the article's exact figure is
// --memory 10000000b, and the familiar one --memory 10m.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
	"t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40,
}

// parseSize reads a size like "10m" or "1.5g" into bytes.
func parseSize(s string) (int64, error) {
	lower := strings.ToLower(strings.TrimSpace(s))
	end := len(lower)
	for end > 0 && (lower[end-1] < '0' || lower[end-1] > '9') {
		end--
	}
	number, unit := lower[:end], strings.TrimSpace(lower[end:])
	mult, ok := sizeUnits[unit]
	n, err := strconv.ParseFloat(number, 64)
	bytes := n * float64(mult)
	if !ok || number == "" || err != nil || n < 0 || bytes >= math.MaxInt64 {
		return 0, errNotSize
	}
	return int64(bytes), nil
}

// errNotSize is parseSize's one complaint; the caller names the flag and
// the value, and adds its own range.
var errNotSize = errors.New("want a size like 10m: a number and a unit b, k, m, g or t")

// formatSize writes bytes the way people read them: "10.0 MiB".
func formatSize(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
