package initproc

// InitError is a failure the init reported before the user's command ran.
// Code is the exit status it stands for: 126 (cannot execute), 127 (not
// found) or 125 (anything else: kobako's own failure).
type InitError struct {
	Code int
	Msg  string
}

func (e *InitError) Error() string { return e.Msg }
