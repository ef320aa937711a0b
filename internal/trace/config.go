package trace

// The container's init is a new process (kobako-init, inside the new
// namespaces), with a tracer of its own on the same terminal. Config is
// what it needs to narrate as the parent does: the mode and the names,
// sent with the rest of its configuration over the config pipe.

import "io"

// Config is a tracer's settings, as JSON.
type Config struct {
	Mode  Mode   `json:"mode"`
	Names []Name `json:"names,omitempty"`
}

// Name is one abbreviation: $Name stands for Value.
type Name struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Told  bool   `json:"told,omitempty"` // introduced on the terminal already
}

// Config returns t's settings for a child's tracer; nil when t is off.
func (t *Tracer) Config() *Config {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c := &Config{Mode: t.mode}
	for _, a := range t.names {
		c.Names = append(c.Names, Name{Name: a.name, Value: a.value, Told: a.told})
	}
	return c
}

// FromConfig returns the tracer a parent's Config describes, writing to w
// (the init's fd 6, which ChildFile gave); nil (off) for a nil Config.
func FromConfig(w io.Writer, c *Config) *Tracer {
	if c == nil {
		return nil
	}
	t := NewMode(w, c.Mode)
	if c.Mode.Time {
		// The init times its steps for the parent's table: it sends
		// them, to the pipe that w is (child.go), and keeps nothing.
		t.emit, t.timeline = true, nil
	}
	for _, n := range c.Names {
		t.names = append(t.names, abbrev{name: n.Name, value: n.Value, told: n.Told})
	}
	return t
}
