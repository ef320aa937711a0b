package image

// `kobako tag`: a second name for an image. An image is its record,
// image.json, listing its layers by id; the layers themselves are shared.
// So a tag is a copy of the record under the new name, and removing either
// name leaves the other whole (Collect keeps a layer while any image lists
// it).
//
// Shell twin:
//
//	mkdir $IMAGES/new && sed 's/"name": "old"/"name": "new"/' $IMAGES/old/image.json > $IMAGES/new/image.json
//
// As docker's tag does, a name already taken moves to the new image.

// Tag makes target name the image source names.
func (s *Store) Tag(source, target string) (*Image, error) {
	if err := ValidName(target); err != nil {
		return nil, err
	}
	img, err := s.Get(source)
	if err != nil {
		return nil, err
	}
	if target == img.Name {
		return img, nil
	}
	tagged := *img
	tagged.Name = target
	// Register writes the record aside and renames it into place,
	// replacing an image of that name in one step (build.go).
	return s.Register(tagged)
}
