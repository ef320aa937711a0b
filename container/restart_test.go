package container

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParseRestartPolicy(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    RestartPolicy
		wantErr bool
	}{
		{in: "", want: RestartPolicy{Name: "no"}},
		{in: "no", want: RestartPolicy{Name: "no"}},
		{in: "always", want: RestartPolicy{Name: "always"}},
		{in: "unless-stopped", want: RestartPolicy{Name: "unless-stopped"}},
		{in: "on-failure", want: RestartPolicy{Name: "on-failure"}},
		{in: "on-failure:3", want: RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}},
		{in: "on-failure:x", wantErr: true},
		{in: "on-failure:-1", wantErr: true},
		{in: "always:2", wantErr: true},
		{in: "sometimes", wantErr: true},
	} {
		got, err := ParseRestartPolicy(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
			t.Errorf("ParseRestartPolicy(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestShouldRestart(t *testing.T) {
	for _, tc := range []struct {
		policy         string
		code, restarts int
		stopped, want  bool
	}{
		{"no", 1, 0, false, false},
		{"always", 0, 100, false, true},
		{"always", 1, 0, true, false},
		{"unless-stopped", 0, 0, false, true},
		{"unless-stopped", 0, 0, true, false},
		{"on-failure", 0, 0, false, false},
		{"on-failure", 1, 1000, false, true},
		{"on-failure:2", 3, 1, false, true},
		{"on-failure:2", 3, 2, false, false},
		{"on-failure:2", 3, 0, true, false},
	} {
		p, err := ParseRestartPolicy(tc.policy)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.shouldRestart(tc.code, tc.restarts, tc.stopped); got != tc.want {
			t.Errorf("%s, code %d after %d restarts, stopped %v: %v, want %v", tc.policy, tc.code, tc.restarts, tc.stopped, got, tc.want)
		}
	}
}

func TestNextRestartDelay(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct{ prev, ran, want time.Duration }{
		{0, 0, 100 * ms},
		{100 * ms, time.Second, 200 * ms},
		{200 * ms, time.Second, 400 * ms},
		{40 * time.Second, time.Second, time.Minute},
		{time.Minute, time.Second, time.Minute},
		{time.Minute, 10 * time.Second, 100 * ms},
	} {
		if got := nextRestartDelay(tc.prev, tc.ran); got != tc.want {
			t.Errorf("nextRestartDelay(%v, %v) = %v, want %v", tc.prev, tc.ran, got, tc.want)
		}
	}
}

func TestUserStops(t *testing.T) {
	for _, tc := range []struct {
		stopSignal string
		sig        unix.Signal
		want       bool
	}{
		{"", unix.SIGHUP, true},
		{"", unix.SIGKILL, true},
		{"QUIT", unix.SIGHUP, false},
		{"QUIT", unix.SIGQUIT, true},
		{"SIGQUIT", unix.SIGQUIT, true},
		{"3", unix.SIGQUIT, true},
		{"QUIT", unix.SIGKILL, true},
	} {
		c := &Container{Record: Record{StopSignal: tc.stopSignal}}
		if got := c.UserStops(tc.sig); got != tc.want {
			t.Errorf("stop signal %q, kill -s %v: %v, want %v", tc.stopSignal, tc.sig, got, tc.want)
		}
	}
}
