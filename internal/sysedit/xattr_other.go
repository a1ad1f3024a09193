//go:build !linux

package sysedit

// copyXattrs is a no-op where the file's attributes are not carried over
// (macOS and Windows keep the folder's defaults for a renamed file).
func copyXattrs(from, to string) error { return nil }
