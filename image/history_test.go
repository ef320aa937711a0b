package image

import (
	"slices"
	"testing"
)

func TestRows(t *testing.T) {
	img := Image{
		LayerIDs: []string{"sha256:a", "sha256:b", "sha256:c", "sha256:d"},
		History: []HistoryEntry{
			{CreatedBy: "FROM base", Layer: "sha256:b"},
			{CreatedBy: "ENV X=1"},
			{CreatedBy: "RUN x", Layer: "sha256:c"},
			{CreatedBy: "CMD y"},
		},
	}
	// d, which no entry names, was put on afterwards (a commit on top)
	want := []Row{{3, ""}, {-1, "CMD y"}, {2, "RUN x"}, {-1, "ENV X=1"}, {1, "FROM base"}, {0, ""}}
	if got := img.Rows(); !slices.Equal(got, want) {
		t.Errorf("Rows = %v, want %v", got, want)
	}
	plain := Image{LayerIDs: []string{"sha256:a"}}
	if got := plain.Rows(); !slices.Equal(got, []Row{{0, ""}}) {
		t.Errorf("Rows of an image without history = %v", got)
	}
}
