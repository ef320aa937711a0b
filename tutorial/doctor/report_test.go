package doctor

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// --json: every finding with its status, the chapters it stops and its
// words in the chosen language; runnable and blocked as Runnable says.
func TestWriteJSON(t *testing.T) {
	h := fakeHost(t)
	write(t, h.Proc, "filesystems", "nodev\tproc\n")
	fs := Check(h)
	var b bytes.Buffer
	if err := WriteJSON(&b, "ja", fs); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Lang     string              `json:"lang"`
		Runnable bool                `json:"runnable"`
		Blocked  map[string][]string `json:"blocked"`
		Findings []struct {
			ID, Group, Status, Variant, Title, Text, Fix string
			Blocks                                       []string
			Args                                         map[string]string
		} `json:"findings"`
	}
	if err := json.Unmarshal(b.Bytes(), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	if rep.Lang != "ja" || rep.Runnable || len(rep.Findings) != len(fs) {
		t.Fatalf("lang %q runnable %v, %d findings (want ja false %d)", rep.Lang, rep.Runnable, len(rep.Findings), len(fs))
	}
	if got := rep.Blocked["cow"]; len(got) != 1 || got[0] != "overlay" {
		t.Errorf("blocked[cow] = %v, want [overlay]", got)
	}
	for _, f := range rep.Findings {
		if f.ID != "overlay" {
			continue
		}
		if f.Status != "fail" || f.Group != "kernel" || len(f.Blocks) == 0 || !isJapanese(f.Text) || !strings.Contains(f.Fix, "modprobe overlay") {
			t.Errorf("overlay finding in JSON: %+v", f)
		}
		return
	}
	t.Error("no overlay finding in JSON")
}

func TestParseRelease(t *testing.T) {
	for in, want := range map[string][2]int{
		"6.8.0-31-generic": {6, 8}, "4.15.0-213-generic": {4, 15}, "5.15-rc1": {5, 15}, "6.18.44-fc-v1300": {6, 18},
	} {
		major, minor, ok := parseRelease(in)
		if !ok || major != want[0] || minor != want[1] {
			t.Errorf("parseRelease(%q) = %d, %d, %v", in, major, minor, ok)
		}
	}
	for _, bad := range []string{"", "6", "x.y", "weird"} {
		if _, _, ok := parseRelease(bad); ok {
			t.Errorf("parseRelease(%q) ok", bad)
		}
	}
}
