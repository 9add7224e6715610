// A test.Failer for running Istio's own test fixtures outside `go test`: a failure panics with its message and the
// harness reports it; Cleanup functions run when the fixture is closed.
package main

import (
	"fmt"
	"os"
)

type fatal struct{ msg string }

type failer struct {
	cleanups []func()
	dirs     []string
}

func (f *failer) Fail()                          { panic(fatal{"failed"}) }
func (f *failer) FailNow()                       { panic(fatal{"failed"}) }
func (f *failer) Fatal(args ...any)              { panic(fatal{fmt.Sprint(args...)}) }
func (f *failer) Fatalf(format string, a ...any) { panic(fatal{fmt.Sprintf(format, a...)}) }
func (f *failer) Skip(args ...any)               { panic(fatal{"skipped: " + fmt.Sprint(args...)}) }
func (f *failer) Log(args ...any)                { fmt.Fprintln(os.Stderr, args...) }
func (f *failer) Logf(format string, a ...any)   { fmt.Fprintf(os.Stderr, format+"\n", a...) }
func (f *failer) Helper()                        {}
func (f *failer) Cleanup(fn func())              { f.cleanups = append(f.cleanups, fn) }

func (f *failer) TempDir() string {
	dir, err := os.MkdirTemp("", "meshmcp-istiod-")
	if err != nil {
		panic(fatal{err.Error()})
	}
	f.dirs = append(f.dirs, dir)
	return dir
}

// close runs the cleanups in reverse order, as testing.T does.
func (f *failer) close() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	f.cleanups = nil
	for _, d := range f.dirs {
		_ = os.RemoveAll(d)
	}
}
