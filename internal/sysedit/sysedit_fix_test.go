package sysedit

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// meddleFS appends a user's line to target just before the n-th WriteTemp
// whose pattern starts with prefix: after Commit's first check, while the
// backup (".backup-") or the new content (".NAME.autovpn-") is written.
type meddleFS struct {
	*faultFS
	target, prefix string
	done           bool
}

func (m *meddleFS) WriteTemp(dir, pattern string, data []byte, perm fs.FileMode) (string, error) {
	if !m.done && strings.HasPrefix(pattern, m.prefix) {
		m.done = true
		f, err := os.OpenFile(m.target, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return "", err
		}
		f.WriteString("10.0.0.9\tadded-by-user\n")
		f.Close()
	}
	return m.faultFS.WriteTemp(dir, pattern, data, perm)
}

func TestChangeDuringCommitRefused(t *testing.T) {
	for _, prefix := range []string{".backup-", ".hosts.autovpn-"} {
		t.Run(prefix, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "hosts")
			writeFile(t, p, "127.0.0.1 localhost\n", 0o644)
			tx := New(Options{FS: &meddleFS{faultFS: newFaultFS(), target: p, prefix: prefix}, BackupDir: filepath.Join(dir, "bak")})
			cur, _ := tx.Read(p, "hosts file")
			tx.Write(p, append(cur, "# BEGIN AUTOVPN\n# END AUTOVPN\n"...))
			_, err := tx.Commit()
			if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "run the command again") {
				t.Fatalf("err = %v, want ErrChanged", err)
			}
			if got := readFile(t, p); got != "127.0.0.1 localhost\n10.0.0.9\tadded-by-user\n" {
				t.Errorf("the user's line was lost: file = %q", got)
			}
			noStrays(t, dir)
		})
	}
}

// A change of the second file while the first is written undoes the first.
func TestChangeDuringCommitUndoesEarlierFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.conf"), filepath.Join(dir, "hosts")
	writeFile(t, a, "a-old\n", 0o644)
	writeFile(t, b, "b-old\n", 0o644)
	tx := New(Options{FS: &meddleFS{faultFS: newFaultFS(), target: b, prefix: ".hosts.autovpn-"}, BackupDir: filepath.Join(dir, "bak")})
	tx.Read(a, "config file")
	tx.Read(b, "hosts file")
	tx.Write(a, []byte("a-new\n"))
	tx.Write(b, []byte("b-new\n"))
	_, err := tx.Commit()
	if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "restored the files already written: "+a) {
		t.Fatalf("err = %v", err)
	}
	if readFile(t, a) != "a-old\n" || readFile(t, b) != "b-old\n10.0.0.9\tadded-by-user\n" {
		t.Errorf("a = %q, b = %q", readFile(t, a), readFile(t, b))
	}
}

// TestLockSerialises runs read-modify-write cycles under Lock from many
// goroutines (each lock is its own open file, as in separate processes):
// without mutual exclusion some increments are lost.
func TestLockSerialises(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "counter")
	writeFile(t, p, "0", 0o644)
	const n = 40
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			release, err := Lock(p)
			if err != nil {
				t.Error(err)
				return
			}
			defer release()
			b, _ := os.ReadFile(p)
			v, _ := strconv.Atoi(string(b))
			time.Sleep(time.Millisecond)
			os.WriteFile(p, []byte(strconv.Itoa(v+1)), 0o644)
		})
	}
	wg.Wait()
	if got := readFile(t, p); got != strconv.Itoa(n) {
		t.Errorf("counter = %s, want %d", got, n)
	}
	if des, _ := os.ReadDir(dir); len(des) != 1 {
		t.Errorf("lock file left behind: %v", des)
	}
}

func TestCommitWaitsForLock(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hosts")
	writeFile(t, p, "a\n", 0o644)
	release, err := Lock(p)
	if err != nil {
		t.Fatal(err)
	}
	tx := New(Options{})
	tx.Read(p, "hosts file")
	tx.Write(p, []byte("a\nb\n"))
	done := make(chan error, 1)
	go func() { _, err := tx.Commit(); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("Commit did not wait for the lock: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if readFile(t, p) != "a\nb\n" {
		t.Errorf("file = %q", readFile(t, p))
	}
}

func TestSymlinkedFileEditedThroughLink(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "real"), 0o755)
	realFile := filepath.Join(dir, "real", "hosts")
	writeFile(t, realFile, "127.0.0.1 localhost\n", 0o640)
	link := filepath.Join(dir, "hosts")
	if err := os.Symlink(filepath.Join("real", "hosts"), link); err != nil {
		t.Skip("symlink:", err)
	}
	bdir := filepath.Join(dir, "bak")
	tx := New(Options{BackupDir: bdir, Now: fixedNow})
	old, err := tx.Read(link, "hosts file")
	if err != nil || string(old) != "127.0.0.1 localhost\n" {
		t.Fatalf("Read = %q, %v", old, err)
	}
	tx.Write(link, append(old, "1.2.3.4 x.test\n"...))
	res, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if got := readFile(t, realFile); got != "127.0.0.1 localhost\n1.2.3.4 x.test\n" {
		t.Errorf("real file = %q", got)
	}
	if fi, _ := os.Stat(realFile); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v", fi.Mode().Perm())
	}
	if want := filepath.Join(bdir, "hosts.20261124T150405Z.bak"); len(res.Backups) != 1 || res.Backups[0] != want {
		t.Errorf("backups = %v, want %s", res.Backups, want)
	}
	if bs, _ := ListBackups(nil, bdir, link); len(bs) != 1 {
		t.Errorf("ListBackups(link) = %v", bs)
	}
	noStrays(t, dir)
	noStrays(t, filepath.Join(dir, "real"))

	// A changed real file is refused as before.
	tx = New(Options{BackupDir: bdir})
	tx.Read(link, "hosts file")
	os.WriteFile(realFile, []byte("user\n"), 0o640)
	tx.Write(link, []byte("ours\n"))
	if _, err := tx.Commit(); !errors.Is(err, ErrChanged) {
		t.Errorf("err = %v, want ErrChanged", err)
	}
}

func TestDanglingSymlinkCreatesTarget(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "proxy.pac")
	target := filepath.Join(dir, "store", "proxy.pac")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("symlink:", err)
	}
	tx := New(Options{})
	tx.Read(link, "PAC file")
	tx.Write(link, []byte("pac"))
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 || readFile(t, target) != "pac" {
		t.Errorf("link %v %v, target %q", fi, err, readFile(t, target))
	}
}

// syncFS records renames and folder syncs, in order.
type syncFS struct {
	*faultFS
	log []string
}

func (s *syncFS) Rename(o, n string) error {
	s.log = append(s.log, "rename "+filepath.Base(n))
	return s.faultFS.Rename(o, n)
}

func (s *syncFS) SyncDir(dir string) error {
	s.log = append(s.log, "sync "+filepath.Base(dir))
	return s.faultFS.SyncDir(dir)
}

func TestBackupFolderSyncedBeforeEdit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hosts")
	writeFile(t, p, "a\n", 0o644)
	sfs := &syncFS{faultFS: newFaultFS()}
	tx := New(Options{FS: sfs, BackupDir: filepath.Join(dir, "bak"), Now: fixedNow})
	tx.Read(p, "hosts file")
	tx.Write(p, []byte("b\n"))
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	want := "rename hosts.20261124T150405Z.bak, sync bak, rename hosts, sync " + filepath.Base(dir)
	if got := strings.Join(sfs.log, ", "); got != want {
		t.Errorf("order = %s\nwant    %s", got, want)
	}
}

// busyFS fails renames onto target as a bind mount does.
type busyFS struct {
	*faultFS
	target string
	err    error
}

func (b *busyFS) Rename(o, n string) error {
	if n == b.target {
		return &os.LinkError{Op: "rename", Old: o, New: n, Err: b.err}
	}
	return b.faultFS.Rename(o, n)
}

func TestUnrenamableFileWrittenInPlace(t *testing.T) {
	for _, e := range []error{syscall.EBUSY, syscall.EXDEV} {
		t.Run(e.Error(), func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "hosts")
			writeFile(t, p, "127.0.0.1 localhost\nlong line that will be cut away\n", 0o644)
			before, _ := os.Stat(p)
			bdir := filepath.Join(dir, "bak")
			tx := New(Options{FS: &busyFS{faultFS: newFaultFS(), target: p, err: e}, BackupDir: bdir})
			old, _ := tx.Read(p, "hosts file")
			tx.Write(p, []byte("1.2.3.4 x\n"))
			res, err := tx.Commit()
			if err != nil {
				t.Fatal(err)
			}
			after, _ := os.Stat(p)
			if readFile(t, p) != "1.2.3.4 x\n" || !os.SameFile(before, after) {
				t.Errorf("file = %q, same file %v", readFile(t, p), os.SameFile(before, after))
			}
			if len(res.InPlace) != 1 || len(res.Backups) != 1 || readFile(t, res.Backups[0]) != string(old) {
				t.Errorf("result %+v", res)
			}
			noStrays(t, dir)
		})
	}
}

// A file created by the transaction has no backup: no in-place fallback.
func TestUnrenamableNewFileRefused(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hosts")
	tx := New(Options{FS: &busyFS{faultFS: newFaultFS(), target: p, err: syscall.EBUSY}})
	tx.Read(p, "hosts file")
	tx.Write(p, []byte("x\n"))
	_, err := tx.Commit()
	if !errors.Is(err, syscall.EBUSY) || !strings.Contains(err.Error(), "mount point") {
		t.Fatalf("err = %v", err)
	}
	noStrays(t, dir)
}

// TestRealBindMount edits a bind-mounted file, as /etc/hosts in a container.
func TestRealBindMount(t *testing.T) {
	dir := t.TempDir()
	src, p := filepath.Join(dir, "src.hosts"), filepath.Join(dir, "hosts")
	writeFile(t, src, "127.0.0.1 localhost\n", 0o644)
	writeFile(t, p, "", 0o644)
	if out, err := exec.Command("mount", "--bind", src, p).CombinedOutput(); err != nil {
		t.Skipf("bind mount unavailable: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", p).Run() })
	tx := New(Options{BackupDir: filepath.Join(dir, "bak")})
	old, _ := tx.Read(p, "hosts file")
	tx.Write(p, append(old, "1.2.3.4 x\n"...))
	res, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if readFile(t, src) != "127.0.0.1 localhost\n1.2.3.4 x\n" || len(res.InPlace) != 1 {
		t.Errorf("source = %q, result %+v", readFile(t, src), res)
	}
	noStrays(t, dir)
}
