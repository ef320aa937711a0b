package main

import "testing"

func TestUsernsMode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"true", usernsAuto}, // the bare flag: --userns
		{"auto", usernsAuto},
		{"host", usernsHost},
		{"false", usernsHost},
	} {
		var m usernsMode
		if err := m.Set(tc.in); err != nil || m.mode != tc.want {
			t.Errorf("--userns=%s: %q, %v; want %q", tc.in, m.mode, err, tc.want)
		}
	}
	var m usernsMode
	if err := m.Set("keep-id"); err == nil {
		t.Error("--userns=keep-id: no error")
	}
	if !m.IsBoolFlag() {
		t.Error("--userns must stand alone: kobako run --userns busybox sh")
	}
}
