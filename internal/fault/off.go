//go:build !faultinject

package fault

// Check never fails in the shipped binary: a constant the compiler
// inlines and removes, with the branch that tests its result.
func Check(point string) error { return nil }

// Inherit carries nothing in the shipped binary: it counts as zero, so an
// initConfig never sends it ("omitzero"), and a config that holds one
// anyway (from a test build) is read without it.
type Inherit struct{}

// IsZero is always true: there is nothing to carry.
func (Inherit) IsZero() bool { return true }

// UnmarshalJSON ignores whatever a test build sent.
func (*Inherit) UnmarshalJSON([]byte) error { return nil }
