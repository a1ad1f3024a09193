//go:build !unix

package sysedit

import "io/fs"

// owner reports no ownership on systems without Unix uids (Windows keeps
// the ACL of the folder for a renamed file).
func owner(fs.FileInfo) (uid, gid int, ok bool) { return 0, 0, false }

// unrenamable is false where files are not bind-mounted.
func unrenamable(error) bool { return false }
