package sysedit

import (
	"io/fs"
	"path/filepath"
	"sync"
	"syscall"
)

// faultFS is the real disk with injected failures: writes into a folder in
// failDir return its error (ENOSPC for a full disk, EROFS for a read-only
// mount), and reads of a path in corrupt return other bytes.
type faultFS struct {
	OS
	mu      sync.Mutex
	failDir map[string]error
	corrupt map[string][]byte
	writes  int
}

func newFaultFS() *faultFS {
	return &faultFS{failDir: map[string]error{}, corrupt: map[string][]byte{}}
}

func (f *faultFS) WriteTemp(dir, pattern string, data []byte, perm fs.FileMode) (string, error) {
	f.mu.Lock()
	err := f.failDir[filepath.Clean(dir)]
	f.writes++
	f.mu.Unlock()
	if err != nil {
		return "", &fs.PathError{Op: "write", Path: filepath.Join(dir, pattern), Err: err}
	}
	return f.OS.WriteTemp(dir, pattern, data, perm)
}

func (f *faultFS) ReadFile(name string) ([]byte, error) {
	f.mu.Lock()
	b, ok := f.corrupt[name]
	f.mu.Unlock()
	if ok {
		return b, nil
	}
	return f.OS.ReadFile(name)
}

var (
	errFull     = syscall.ENOSPC
	errReadOnly = syscall.EROFS
)
