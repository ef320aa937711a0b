# make test-v2 — the cgroup v2 end-to-end tests, in a small qemu guest booted
# with cgroup_no_v1=all (the CI hosts are cgroup v1 hybrid). The Makefile
# includes this file; GO, BIN and CURDIR are its own. The test binary runs in
# tests/, its package directory, as go test would run it.
#   make test-v2                              # the cgroup, PID 1, exec and delegated-cgroup tests
#   make test-v2 V2_TESTS='TestCgroupOOM'     # any -test.run pattern
# See scripts/v2-guest/README.md.

V2_TESTS ?= TestCgroup|TestPID1|TestExec|TestUsernsDelegatedCgroup|TestDoctorThisHost|TestTutorialYes

.PHONY: test-v2
test-v2: build
	CGO_ENABLED=0 $(GO) test -c -o $(CURDIR)/bin/tests.test ./tests
	cd tests && KOBAKO_BIN=$(BIN) $(CURDIR)/scripts/v2-guest/run $(CURDIR)/bin/tests.test -test.run '$(V2_TESTS)' -test.v
