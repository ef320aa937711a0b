package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testContext makes a context directory with files and a link outside.
func testContext(t *testing.T) *buildContext {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"a.txt": "a", "d/b.txt": "b", "d/e/c.txt": "c", "x.key": "k", ".dockerignore": "*.key\n"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("/etc", filepath.Join(dir, "etc"))
	os.Symlink("../../..", filepath.Join(dir, "up"))
	os.Symlink("a.txt", filepath.Join(dir, "d", "inlink"))
	c, err := openContext(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func names(p *copyPlan) string {
	var n []string
	for _, e := range p.entries {
		n = append(n, e.name)
	}
	return p.dest + ":" + strings.Join(n, ",")
}

func TestPlan(t *testing.T) {
	c := testContext(t)
	for _, tc := range []struct {
		src      []string
		dest, wd string
		want     string
	}{
		{[]string{"a.txt"}, "/x", "", "/:x"},
		{[]string{"a.txt"}, "/x/", "", "/x:a.txt"},
		{[]string{"/a.txt"}, "rel", "/w", "/w:rel"},
		{[]string{"d"}, "/dst", "", "/dst:b.txt,e,e/c.txt,inlink"},
		{[]string{"*.txt", "d/b.txt"}, "/m/", "", "/m:a.txt,b.txt"},
		{[]string{"."}, "/all/", "", "/all:.dockerignore,a.txt,d,d/b.txt,d/e,d/e/c.txt,d/inlink,etc,up"},
	} {
		p, err := c.plan(tc.src, tc.dest, tc.wd, false)
		if err != nil {
			t.Errorf("plan(%v, %s): %v", tc.src, tc.dest, err)
			continue
		}
		if got := names(p); got != tc.want {
			t.Errorf("plan(%v, %s) = %s, want %s", tc.src, tc.dest, got, tc.want)
		}
	}
	for _, bad := range []struct{ src, want string }{
		{"../x", "outside the build context"},
		{"etc/passwd", "leads outside the build context"},
		{"up/etc/passwd", "leads outside the build context"},
		{"x.key", "excluded by .dockerignore"},
		{"nope", "no such file or directory"},
		{"http://example.com/x", "local files only"},
		{"*.none", "no file in the build context matches"},
	} {
		if _, err := c.plan([]string{bad.src}, "/x", "", false); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("plan(%s) = %v, want an error with %q", bad.src, err, bad.want)
		}
	}
	if _, err := c.plan([]string{"a.txt", "d/b.txt"}, "/x", "", false); err == nil {
		t.Errorf("two sources to a destination without / gave no error")
	}
}

func TestDigest(t *testing.T) {
	c := testContext(t)
	p, err := c.plan([]string{"d"}, "/d", "", false)
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.digest(p)
	if err != nil {
		t.Fatal(err)
	}
	// a touch changes nothing; new bytes change the digest
	now := p.entries[0].info.ModTime().Add(3600e9)
	os.Chtimes(filepath.Join(c.dir, "d/b.txt"), now, now)
	if same, _ := c.digest(p); same != first {
		t.Errorf("touching a file changed the digest")
	}
	os.WriteFile(filepath.Join(c.dir, "d/b.txt"), []byte("B"), 0o644)
	if other, _ := c.digest(p); other == first {
		t.Errorf("new content left the digest as it was")
	}
}
