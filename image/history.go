// An image's history: which step made each layer, as `docker history`
// shows it. kobako build writes one entry per Dockerfile step; a step that
// only changes the image's config (ENV, CMD …) has an entry and no layer,
// as the OCI image config's history marks it "empty_layer".
//
// Shell twin: jq -r '.history[] | .createdBy' images/NAME/image.json
package image

import "time"

// HistoryEntry is one step that made the image.
type HistoryEntry struct {
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"createdBy"`       // the step, as written: "RUN /bin/sh -c make"
	Layer     string    `json:"layer,omitempty"` // the layer it made, "sha256:…"; "" for a config-only step
}

// Row is one line of an image's history, the top first.
type Row struct {
	Layer     int    // index into LayerIDs and Layers; -1 for a step that made no layer
	CreatedBy string // "" where nothing says (an imported image's layers)
}

// Rows pairs img's layers with its history entries, the top first: each
// layer once, each history entry once, in the order they were made. A
// layer that no entry names (an imported or committed one) has an empty
// CreatedBy.
func (img *Image) Rows() []Row {
	var rows []Row
	next := 0 // the lowest layer not shown yet
	for _, h := range img.History {
		if h.Layer == "" {
			rows = append(rows, Row{Layer: -1, CreatedBy: h.CreatedBy})
			continue
		}
		at := -1
		for i := next; i < len(img.LayerIDs); i++ {
			if img.LayerIDs[i] == h.Layer {
				at = i
				break
			}
		}
		if at < 0 {
			continue // an entry whose layer is not the image's: say nothing false
		}
		for ; next < at; next++ {
			rows = append(rows, Row{Layer: next})
		}
		rows = append(rows, Row{Layer: at, CreatedBy: h.CreatedBy})
		next = at + 1
	}
	for ; next < len(img.LayerIDs); next++ {
		rows = append(rows, Row{Layer: next})
	}
	// top first, as overlayfs stacks them
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows
}
