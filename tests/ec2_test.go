package tests

// scripts/ec2/launch against a fake AWS: the test binary itself, started
// under the name "aws" (a symlink in a temporary PATH), answers each call
// as the AWS CLI v2 would — the JSON of the API, narrowed by --query and
// printed by --output text — and keeps the account's key pairs, security
// groups and instances in a state file, so that a launch and a --destroy
// can be checked one after the other. ssh, scp, rsync and curl are fakes
// too: nothing leaves the machine, and no AWS account is needed.

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kobako/kobako/internal/testenv"
)

// ec2Lab is one test's world: the fakes on PATH, a HOME for ~/.ssh, the
// fake account's directory.
type ec2Lab struct {
	t                 *testing.T
	script, dir, home string
	path              string
	env               []string
}

// newEC2Lab puts the fakes — aws (this binary), ssh, scp, rsync, curl —
// first on a PATH of /usr/bin and /bin only, so that no real AWS CLI
// (pip installs one under ~/.local or pyenv) is ever found.
func newEC2Lab(t *testing.T) *ec2Lab {
	t.Helper()
	for _, tool := range []string{"bash", "git", "tar", "gzip"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool+" (scripts/ec2/launch needs it)")
		}
	}
	script, err := filepath.Abs("../scripts/ec2/launch")
	if err != nil {
		t.Fatal(err)
	}
	l := &ec2Lab{t: t, script: script, dir: t.TempDir(), home: t.TempDir()}
	bin := filepath.Join(l.dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "aws")); err != nil {
		t.Fatal(err)
	}
	// ssh records its arguments and keeps what is piped into tar -x
	// (the checkout); curl answers checkip.amazonaws.com
	fakes := map[string]string{
		"ssh":   `case "$*" in *"tar -xzf -"*) cat > "$FAKE_DIR/checkout.tgz";; esac`,
		"scp":   ``,
		"rsync": ``,
		"curl":  `echo 203.0.113.7`,
	}
	for name, body := range fakes {
		sh := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$FAKE_DIR/" + name + ".log\"\n" + body + "\nexit 0\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(sh), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l.path = bin + ":/usr/bin:/bin"
	for _, dir := range []string{"/usr/bin", "/bin"} {
		if _, err := os.Stat(filepath.Join(dir, "aws")); err == nil {
			t.Fatalf("%s/aws exists: the tests cannot tell the fake AWS CLI from a real one", dir)
		}
	}
	l.env = []string{"PATH=" + l.path, "HOME=" + l.home, "LANG=C.UTF-8", "FAKE_DIR=" + l.dir, fakeAWSEnv + "=" + l.dir}
	return l
}

// run runs the script with args and extra environment.
func (l *ec2Lab) run(env []string, args ...string) (stdout, stderr string, err error) {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, l.script, args...)
	cmd.Env = append(slices.Clone(l.env), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// calls returns the AWS calls made since the last look, and forgets them.
func (l *ec2Lab) calls() [][]string {
	l.t.Helper()
	path := filepath.Join(l.dir, "calls.jsonl")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		l.t.Fatal(err)
	}
	os.Remove(path)
	var calls [][]string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var argv []string
		if err := json.Unmarshal([]byte(line), &argv); err != nil {
			l.t.Fatalf("calls.jsonl: %v", err)
		}
		calls = append(calls, argv)
	}
	return calls
}

// cloud is the fake account as it is now.
func (l *ec2Lab) cloud() fakeCloud {
	l.t.Helper()
	var c fakeCloud
	data, err := os.ReadFile(filepath.Join(l.dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return c
	}
	if err == nil {
		err = json.Unmarshal(data, &c)
	}
	if err != nil {
		l.t.Fatal(err)
	}
	return c
}

// log is what fake name (ssh, curl …) was called with, one line a call.
func (l *ec2Lab) log(name string) string {
	data, _ := os.ReadFile(filepath.Join(l.dir, name+".log"))
	return string(data)
}

// ops names each call by its command words: "ec2 run-instances".
func ops(calls [][]string) []string {
	var out []string
	for _, argv := range calls {
		var words []string
		for i := 0; i < len(argv); i++ {
			switch {
			case argv[i] == "--region" || argv[i] == "--profile":
				i++
			case strings.HasPrefix(argv[i], "--") && len(words) > 0:
				i = len(argv)
			default:
				words = append(words, argv[i])
			}
		}
		out = append(out, strings.Join(words, " "))
	}
	return out
}

// A dry run prints every AWS call and makes none — nor any other call
// that would leave the machine (ssh, curl).
func TestEC2DryRun(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want []string // in the printed listing
	}{
		{"default", nil, []string{
			"curl -fsS https://checkip.amazonaws.com",
			"aws --region eu-west-1 ssm get-parameter --name /aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
			"aws --region eu-west-1 ec2 create-key-pair --key-name kobako-lab-lab ",
			"aws --region eu-west-1 ec2 create-security-group --group-name kobako-lab-lab ",
			"ec2 authorize-security-group-ingress --group-id '<sg-id>' --protocol tcp --port 22 --cidr '<your-address>/32'",
			"ec2 run-instances --image-id '<ami-id>' --instance-type t3.micro ",
			"'ResourceType=instance,Tags=[{Key=kobako-lab,Value=lab},{Key=Name,Value=kobako-lab-lab}]'",
			"ec2 wait instance-running",
			"sudo kobako tutorial",
		}},
		{"arm64, 22.04, own key, own address", []string{"--arch", "arm64", "--release=22.04", "--key", "mine", "--ssh-from", "198.51.100.7/32"}, []string{
			"/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id",
			"--instance-type t4g.micro ", "--key-name mine ", "--cidr 198.51.100.7/32",
		}},
		{"destroy", []string{"--destroy", "--name", "l2"}, []string{
			"ec2 describe-instances --filters Name=tag:kobako-lab,Values=l2 ",
			"ec2 terminate-instances --instance-ids '<instance-id>'",
			"ec2 wait instance-terminated --instance-ids '<instance-id>'",
			"ec2 delete-security-group --group-id '<sg-id>'",
			"ec2 delete-key-pair --key-name '<key-name>'",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newEC2Lab(t)
			stdout, stderr, err := l.run(nil, append([]string{"--dry-run", "--region", "eu-west-1"}, tt.args...)...)
			if err != nil {
				t.Fatalf("--dry-run: %v\n%s%s", err, stdout, stderr)
			}
			if calls := l.calls(); len(calls) != 0 {
				t.Errorf("--dry-run made AWS calls: %q", calls)
			}
			for _, fake := range []string{"ssh", "scp", "rsync", "curl"} {
				if got := l.log(fake); got != "" {
					t.Errorf("--dry-run ran %s: %s", fake, got)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("the listing lacks %q:\n%s", w, stdout)
				}
			}
			if !strings.Contains(stdout+stderr, "roughly") && !slices.Contains(tt.args, "--destroy") {
				t.Errorf("no line on cost:\n%s", stderr)
			}
		})
	}
}

// A launch makes exactly the expected calls, tags everything it makes,
// opens SSH to one /32, copies the checkout and runs setup.sh; --destroy
// then leaves nothing of it.
func TestEC2LaunchAndDestroy(t *testing.T) {
	l := newEC2Lab(t)
	aws := []string{"--region", "eu-west-1", "--profile", "learner"}
	stdout, stderr, err := l.run(nil, append([]string{"--name", "lab1"}, aws...)...)
	if err != nil {
		t.Fatalf("launch: %v\n%s%s", err, stdout, stderr)
	}
	calls := l.calls()
	want := []string{"--version", "sts get-caller-identity", "ssm get-parameter",
		"ec2 describe-instances", "ec2 describe-security-groups", "ec2 describe-key-pairs",
		"ec2 create-key-pair", "ec2 create-security-group", "ec2 authorize-security-group-ingress",
		"ec2 run-instances", "ec2 wait instance-running", "ec2 describe-instances"}
	if got := ops(calls); !slices.Equal(got, want) {
		t.Fatalf("launch made\n  %q\nwant\n  %q", got, want)
	}
	for _, argv := range calls[1:] {
		if !slices.Equal(argv[:4], aws) {
			t.Errorf("call without --region/--profile: %q", argv)
		}
	}

	c := l.cloud()
	if len(c.Keys) != 1 || len(c.Groups) != 1 || len(c.Instances) != 1 {
		t.Fatalf("want one key pair, group and instance: %+v", c)
	}
	k, g, in := c.Keys[0], c.Groups[0], c.Instances[0]
	for what, tags := range map[string]map[string]string{"key pair": k.Tags, "security group": g.Tags,
		"instance": in.Tags, "volume": in.VolumeTags} {
		if tags["kobako-lab"] != "lab1" {
			t.Errorf("%s not tagged kobako-lab=lab1: %v", what, tags)
		}
	}
	if want := []fakeRule{{"tcp", "22", "203.0.113.7/32"}}; !slices.Equal(g.Ingress, want) {
		t.Errorf("ingress %v, want only %v (SSH from the address curl gave)", g.Ingress, want)
	}
	if in.State != "running" || in.Type != "t3.micro" || in.Image != fakeAMIs["amd64"] || in.Key != k.Name ||
		!slices.Equal(in.Groups, []string{g.ID}) || in.Credits != "CpuCredits=standard" {
		t.Errorf("instance %+v", in)
	}
	keyfile := filepath.Join(l.home, ".ssh", "kobako-lab-lab1.pem")
	if fi, err := os.Stat(keyfile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key %s: %v, mode %v, want 0600", keyfile, err, fi)
	}
	if data, _ := os.ReadFile(keyfile); !strings.Contains(string(data), "fake "+k.ID) {
		t.Errorf("private key file holds %q", data)
	}

	// on the instance: the checkout arrived, setup.sh ran, the last word
	// is the ssh command into the tutorial
	ssh := l.log("ssh")
	for _, w := range []string{"ubuntu@198.51.100.23", "-i " + keyfile, "cd kobako && bash scripts/setup.sh"} {
		if !strings.Contains(ssh, w) {
			t.Errorf("ssh was not called with %q:\n%s", w, ssh)
		}
	}
	checkCheckout(t, filepath.Join(l.dir, "checkout.tgz"))
	if !strings.Contains(stdout, "-t ubuntu@198.51.100.23 sudo kobako tutorial") || !strings.Contains(stdout, "--destroy --name lab1") {
		t.Errorf("no ssh command into the tutorial, or no way out:\n%s", stdout)
	}
	if !strings.Contains(stderr, "roughly US$0.01 an hour") {
		t.Errorf("no line on cost:\n%s", stderr)
	}

	// a second lab of the same name is refused, and makes nothing
	if _, stderr, err := l.run(nil, append([]string{"--name", "lab1"}, aws...)...); err == nil || !strings.Contains(stderr, "exists already") {
		t.Errorf("second launch of lab1: %v\n%s", err, stderr)
	}
	if got := ops(l.calls()); slices.ContainsFunc(got, func(op string) bool { return strings.Contains(op, "create") }) {
		t.Errorf("the refused launch created something: %q", got)
	}

	stdout, stderr, err = l.run(nil, append([]string{"--destroy", "--name", "lab1"}, aws...)...)
	if err != nil {
		t.Fatalf("--destroy: %v\n%s%s", err, stdout, stderr)
	}
	want = []string{"--version", "sts get-caller-identity", "ec2 describe-instances", "ec2 terminate-instances",
		"ec2 wait instance-terminated", "ec2 describe-security-groups", "ec2 delete-security-group",
		"ec2 describe-key-pairs", "ec2 delete-key-pair"}
	if got := ops(l.calls()); !slices.Equal(got, want) {
		t.Fatalf("--destroy made\n  %q\nwant\n  %q", got, want)
	}
	c = l.cloud()
	if len(c.Keys) != 0 || len(c.Groups) != 0 || len(c.Instances) != 1 || c.Instances[0].State != "terminated" {
		t.Errorf("after --destroy: %+v", c)
	}
	if _, err := os.Stat(keyfile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there: %v", keyfile, err)
	}
	// and again: nothing left to do
	if _, stderr, err := l.run(nil, append([]string{"--destroy", "--name", "lab1"}, aws...)...); err != nil || !strings.Contains(stderr, "nothing tagged kobako-lab=lab1") {
		t.Errorf("second --destroy: %v\n%s", err, stderr)
	}
}

// checkCheckout: what reached the instance is the checkout — the
// scripts, the module — without .git or built binaries.
func checkCheckout(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no checkout reached the instance: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		names[name] = true
		if strings.HasPrefix(name, ".git/") || strings.HasPrefix(name, "bin/") {
			t.Errorf("the copy holds %s", name)
		}
	}
	for _, want := range []string{"go.mod", "scripts/setup.sh", "scripts/ec2/launch", "tests/ec2_test.go"} {
		if !names[want] {
			t.Errorf("the copy lacks %s (%d files)", want, len(names))
		}
	}
}

// With --key, the user's key pair is used and never deleted.
func TestEC2OwnKey(t *testing.T) {
	l := newEC2Lab(t)
	seed, _ := json.Marshal(fakeCloud{Keys: []fakeKey{{Name: "mine", ID: "key-mine"}}})
	if err := os.WriteFile(filepath.Join(l.dir, "state.json"), seed, 0o644); err != nil {
		t.Fatal(err)
	}
	if stdout, stderr, err := l.run(nil, "--key", "mine", "--ssh-from", "198.51.100.7/32", "--arch", "arm64"); err != nil {
		t.Fatalf("launch --key mine: %v\n%s%s", err, stdout, stderr)
	}
	got := ops(l.calls())
	if slices.Contains(got, "ec2 create-key-pair") {
		t.Errorf("made a key pair although --key was given: %q", got)
	}
	if l.log("curl") != "" {
		t.Errorf("asked checkip although --ssh-from was given")
	}
	c := l.cloud()
	if in := c.Instances[0]; in.Key != "mine" || in.Type != "t4g.micro" || in.Image != fakeAMIs["arm64"] {
		t.Errorf("instance %+v", in)
	}
	if g := c.Groups[0]; len(g.Ingress) != 1 || g.Ingress[0].CIDR != "198.51.100.7/32" {
		t.Errorf("ingress %v", g.Ingress)
	}
	if _, stderr, err := l.run(nil, "--destroy"); err != nil {
		t.Fatalf("--destroy: %v\n%s", err, stderr)
	}
	if c := l.cloud(); len(c.Keys) != 1 || c.Keys[0].Name != "mine" || len(c.Groups) != 0 {
		t.Errorf("after --destroy: %+v", c)
	}
}

// A launch that fails half-way removes what it made: before the
// instance exists, and after (it is terminated and waited for).
func TestEC2RollBack(t *testing.T) {
	for _, fail := range []string{"run-instances", "wait instance-running"} {
		t.Run(fail, func(t *testing.T) {
			l := newEC2Lab(t)
			_, stderr, err := l.run([]string{fakeFailEnv + "=" + fail}, "--name", "half")
			if err == nil {
				t.Fatalf("launch succeeded although %s failed", fail)
			}
			if !strings.Contains(stderr, "InsufficientInstanceCapacity") || !strings.Contains(stderr, "removing what it made") {
				t.Errorf("stderr does not say what failed and what it does:\n%s", stderr)
			}
			c := l.cloud()
			if len(c.Keys)+len(c.Groups) != 0 {
				t.Errorf("left behind: %+v", c)
			}
			for _, in := range c.Instances {
				if in.State != "terminated" {
					t.Errorf("instance %s left %s", in.ID, in.State)
				}
			}
			if _, err := os.Stat(filepath.Join(l.home, ".ssh", "kobako-lab-half.pem")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the private key is still there: %v", err)
			}
		})
	}
}

// No AWS CLI, or no credentials: one clear line, and nothing made.
func TestEC2Missing(t *testing.T) {
	for _, tt := range []struct {
		name  string
		env   []string
		noCLI bool
		want  []string
	}{
		{"no AWS CLI", nil, true, []string{"AWS CLI", "not installed"}},
		{"no credentials", []string{fakeNoCredsEnv + "=1"}, false, []string{"no usable AWS credentials", "aws sts get-caller-identity", "aws configure"}},
	} {
		for _, mode := range [][]string{nil, {"--destroy"}} {
			t.Run(strings.Join(append([]string{tt.name}, mode...), " "), func(t *testing.T) {
				l := newEC2Lab(t)
				if tt.noCLI {
					os.Remove(filepath.Join(l.dir, "bin", "aws"))
				}
				stdout, stderr, err := l.run(tt.env, mode...)
				if err == nil {
					t.Fatalf("succeeded:\n%s%s", stdout, stderr)
				}
				last := strings.TrimSpace(stderr)
				last = last[strings.LastIndex(last, "\n")+1:]
				for _, w := range tt.want {
					if !strings.Contains(last, w) {
						t.Errorf("the error line %q does not say %q", last, w)
					}
				}
				if got := ops(l.calls()); len(got) > 2 {
					t.Errorf("went on after the check: %q", got)
				}
				if l.log("ssh") != "" || l.log("curl") != "" {
					t.Error("went on to ssh or curl")
				}
			})
		}
	}
}

// shellcheck, Debian's package, on every script of scripts/ec2.
func TestEC2Shellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		testenv.Missing(t, "shellcheck (apt-get install shellcheck)")
	}
	scripts, err := filepath.Glob("../scripts/ec2/*")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts in ../scripts/ec2: %v", err)
	}
	out, err := exec.Command("shellcheck", append([]string{"--shell=bash", "--severity=style"}, scripts...)...).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck %s: %v\n%s", strings.Join(scripts, " "), err, out)
	}
}
