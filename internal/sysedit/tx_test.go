package sysedit

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 24, 15, 4, 5, 0, time.UTC) }

func writeFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noStrays fails if a temp file was left in dir.
func noStrays(t *testing.T, dir string) {
	t.Helper()
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.Contains(de.Name(), ".autovpn-") || strings.HasPrefix(de.Name(), ".backup-") {
			t.Errorf("temp file left behind: %s", de.Name())
		}
	}
}

func TestCommitWritesBacksUpAndKeepsMode(t *testing.T) {
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts")
	writeFile(t, hosts, "127.0.0.1\tlocalhost\r\n", 0o640)
	if err := os.Chown(hosts, 1234, 5678); err != nil {
		t.Skip("chown:", err)
	}
	bdir := filepath.Join(dir, "backups")
	tx := New(Options{BackupDir: bdir, Now: fixedNow})
	old, err := tx.Read(hosts, "hosts file")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Write(hosts, append(old, "1.2.3.4\tx.test\r\n"...)); err != nil {
		t.Fatal(err)
	}
	res, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, hosts); got != "127.0.0.1\tlocalhost\r\n1.2.3.4\tx.test\r\n" {
		t.Errorf("content = %q", got)
	}
	fi, _ := os.Stat(hosts)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
	}
	if uid, gid, _ := owner(fi); uid != 1234 || gid != 5678 {
		t.Errorf("owner = %d:%d, want 1234:5678", uid, gid)
	}
	want := filepath.Join(bdir, "hosts.20261124T150405Z.bak")
	if len(res.Backups) != 1 || res.Backups[0] != want || readFile(t, want) != string(old) {
		t.Errorf("backups = %v, want %s holding the old content", res.Backups, want)
	}
	bs, err := ListBackups(nil, bdir, hosts)
	if err != nil || len(bs) != 1 || bs[0].ID != "20261124T150405Z" {
		t.Errorf("ListBackups = %v, %v", bs, err)
	}
	noStrays(t, dir)
}

func TestCommitCreatesMissingFileAndFolder(t *testing.T) {
	dir := t.TempDir()
	pac := filepath.Join(dir, "pac", "proxy.pac")
	tx := New(Options{})
	if b, err := tx.Read(pac, "PAC file"); err != nil || b != nil || tx.Exists(pac) {
		t.Fatalf("Read missing = %q, %v, exists %v", b, err, tx.Exists(pac))
	}
	tx.Write(pac, []byte("x"))
	res, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if readFile(t, pac) != "x" || len(res.Backups) != 0 {
		t.Errorf("content %q backups %v", readFile(t, pac), res.Backups)
	}
}

func TestCommitNoChangeWritesNothing(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	writeFile(t, f, "same", 0o644)
	tx := New(Options{})
	old, _ := tx.Read(f, "file")
	tx.Write(f, old)
	res, err := tx.Commit()
	if err != nil || len(res.Written) != 0 || tx.Diff() != "" {
		t.Errorf("res %+v err %v diff %q", res, err, tx.Diff())
	}
}

func TestConcurrentModificationRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		initial *string
		meddle  func(path string)
		want    string
	}{
		{"edited", ptr("a\n"), func(p string) { os.WriteFile(p, []byte("a\nuser line\n"), 0o644) }, "size 2 → 12 bytes"},
		{"deleted", ptr("a\n"), func(p string) { os.Remove(p) }, "deleted meanwhile"},
		{"created", nil, func(p string) { os.WriteFile(p, []byte("new"), 0o644) }, "created meanwhile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hosts")
			if tc.initial != nil {
				writeFile(t, path, *tc.initial, 0o644)
			}
			tx := New(Options{})
			tx.Read(path, "hosts file")
			tc.meddle(path)
			after, _ := os.ReadFile(path)
			tx.Write(path, []byte("ours\n"))
			_, err := tx.Commit()
			if !errors.Is(err, ErrChanged) {
				t.Fatalf("err = %v, want ErrChanged", err)
			}
			msg := err.Error()
			for _, w := range []string{"hosts file " + path + " changed since it was read", tc.want, "nothing written — run the command again"} {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			now, _ := os.ReadFile(path)
			if string(now) != string(after) {
				t.Errorf("file = %q, want the other writer's %q", now, after)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestWriteFailureLosesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{{"full disk", errFull}, {"read-only", errReadOnly}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a, bdir := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			os.Mkdir(bdir, 0o755)
			b := filepath.Join(bdir, "b")
			writeFile(t, a, "a-old\n", 0o644)
			writeFile(t, b, "b-old\n", 0o644)
			ffs := newFaultFS()
			ffs.failDir[bdir] = tc.err
			tx := New(Options{FS: ffs, BackupDir: filepath.Join(dir, "bak")})
			tx.Read(a, "config file")
			tx.Read(b, "hosts file")
			tx.Write(a, []byte("a-new\n"))
			tx.Write(b, []byte("b-new\n"))
			_, err := tx.Commit()
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			for _, w := range []string{"write hosts file " + b, "restored the files already written: " + a} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if readFile(t, a) != "a-old\n" || readFile(t, b) != "b-old\n" {
				t.Errorf("files changed: a=%q b=%q", readFile(t, a), readFile(t, b))
			}
			noStrays(t, dir)
			noStrays(t, bdir)
		})
	}
}

func TestCreatedFileRemovedOnLaterFailure(t *testing.T) {
	dir := t.TempDir()
	a, bdir := filepath.Join(dir, "new.pac"), filepath.Join(dir, "ro")
	os.Mkdir(bdir, 0o755)
	b := filepath.Join(bdir, "b")
	writeFile(t, b, "b-old\n", 0o644)
	ffs := newFaultFS()
	ffs.failDir[bdir] = errFull
	tx := New(Options{FS: ffs})
	tx.Read(a, "PAC file")
	tx.Read(b, "hosts file")
	tx.Write(a, []byte("pac"))
	tx.Write(b, []byte("b-new\n"))
	if _, err := tx.Commit(); err == nil {
		t.Fatal("Commit succeeded")
	}
	if _, err := os.Stat(a); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("created file survives a failed transaction: %v", err)
	}
}

func TestVerifyFailureRestores(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "hosts")
	writeFile(t, f, "old\n", 0o644)
	tx := New(Options{FS: &verifyFS{faultFS: newFaultFS(), path: f}})
	tx.Read(f, "hosts file")
	tx.Write(f, []byte("new\n"))
	_, err := tx.Commit()
	if err == nil || !strings.Contains(err.Error(), "verify hosts file") {
		t.Fatalf("err = %v", err)
	}
	if readFile(t, f) != "old\n" {
		t.Errorf("file = %q after failed verify", readFile(t, f))
	}
}

// verifyFS returns wrong bytes for the read right after the rename.
type verifyFS struct {
	*faultFS
	path    string
	renamed bool
	lied    bool
}

func (v *verifyFS) Rename(o, n string) error {
	v.renamed = n == v.path
	return v.faultFS.Rename(o, n)
}

func (v *verifyFS) ReadFile(name string) ([]byte, error) {
	if name == v.path && v.renamed && !v.lied {
		v.lied = true
		return []byte("torn"), nil
	}
	return v.faultFS.ReadFile(name)
}

// TestRealReadOnlyFolder uses an immutable folder (chattr +i), which stops
// even root from creating or renaming files in it.
func TestRealReadOnlyFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etc")
	os.Mkdir(dir, 0o755)
	f := filepath.Join(dir, "hosts")
	writeFile(t, f, "user line\n", 0o644)
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("chattr +i unavailable: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
	tx := New(Options{BackupDir: filepath.Join(t.TempDir(), "bak")})
	tx.Read(f, "hosts file")
	tx.Write(f, []byte("user line\nours\n"))
	_, err := tx.Commit()
	if !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EACCES) && !errors.Is(err, syscall.EROFS) {
		t.Fatalf("err = %v, want a permission error", err)
	}
	if readFile(t, f) != "user line\n" {
		t.Errorf("file = %q", readFile(t, f))
	}
}

func TestWriteUnreadFile(t *testing.T) {
	if err := New(Options{}).Write("/nope", nil); err == nil {
		t.Error("Write of an unread file succeeded")
	}
}
