package tutorial

// The Go code kobako runs for a step, quoted from kobako's own source: the
// binary embeds it (package kobako, source.go at the top of the module), and
// a quotation names a function, not a line number, so it can never drift.
// If a quoted function is renamed or moved, TestCodeRefsResolve fails.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"

	kobako "github.com/kobako/kobako"
)

// CodeRef names one function in kobako's source: "runtime/initproc/hostname.go" and
// "setHostname", or a method as "v1.setMemory". Around, when set, is a
// piece of one of its lines: the quotation shows the function's head and
// the lines from there, for a long function whose step is in its middle.
type CodeRef struct {
	File   string
	Func   string
	Around string
}

// Excerpt is a quoted function: where it is and its first lines.
type Excerpt struct {
	File string
	Line int
	Code string
}

// maxExcerptLines keeps a quotation short enough to read in a terminal.
const maxExcerptLines = 24

// excerpt finds ref in the embedded source and returns its doc comment and
// its first lines.
func excerpt(ref CodeRef) (Excerpt, error) {
	src, err := kobako.Source.ReadFile(ref.File)
	if err != nil {
		return Excerpt{}, fmt.Errorf("quote %s: %w", ref.File, err)
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, ref.File, src, parser.ParseComments)
	if err != nil {
		return Excerpt{}, fmt.Errorf("quote %s: %w", ref.File, err)
	}
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || funcName(fn) != ref.Func {
			continue
		}
		start := fn.Pos()
		if fn.Doc != nil {
			start = fn.Doc.Pos()
		}
		from, to := fset.Position(start), fset.Position(fn.End())
		lines := strings.Split(string(src[from.Offset:to.Offset]), "\n")
		line := fset.Position(fn.Pos()).Line
		if ref.Around != "" {
			var err error
			if lines, line, err = around(lines, line, fset.Position(fn.Pos()).Line-from.Line, ref); err != nil {
				return Excerpt{}, err
			}
		}
		if len(lines) > maxExcerptLines {
			lines = append(lines[:maxExcerptLines], "\t// …")
		}
		return Excerpt{File: ref.File, Line: line, Code: strings.Join(lines, "\n")}, nil
	}
	return Excerpt{}, fmt.Errorf("quote %s: no function %s in it", ref.File, ref.Func)
}

// around cuts a function's lines to its signature and the lines from the
// one holding ref.Around (a comment line above it included), and returns
// them with the line number that part starts at. sig is the index of the
// signature among lines (after the doc comment).
func around(lines []string, sigLine, sig int, ref CodeRef) ([]string, int, error) {
	for i, l := range lines {
		if i <= sig || !strings.Contains(l, ref.Around) {
			continue
		}
		from := i
		for from > sig+1 && strings.HasPrefix(strings.TrimSpace(lines[from-1]), "//") {
			from-- // the comment that says why
		}
		cut := append([]string{lines[sig], "\t// …"}, lines[from:]...)
		return cut, sigLine + from - sig, nil
	}
	return nil, 0, fmt.Errorf("quote %s: %s has no line with %q", ref.File, ref.Func, ref.Around)
}

// funcName is "name" for a function and "recv.name" for a method.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}
