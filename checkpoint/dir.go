package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/onemrc/onemrc/store"
)

// Files are named onemrc-<sequence>.ckpt with a zero-padded sequence, so names sort in
// write order. keep is how many of the newest survive a write.
const (
	prefix = "onemrc-"
	suffix = ".ckpt"
	keep   = 2
)

// Write first writes a checkpoint to a temporary file named tempPrefix, the decimal
// digits os.CreateTemp puts in place of its "*" (a uint32: 1 to 10 of them), and
// tempSuffix, then renames it into place. A crash in between leaves that file behind;
// RemoveStaleTemps deletes it.
const (
	tempPrefix    = ".onemrc-"
	tempSuffix    = ".tmp"
	tempPattern   = tempPrefix + "*" + tempSuffix
	maxTempDigits = 10
)

// isTempName reports whether name is exactly one that Write gives its temporary files.
func isTempName(name string) bool {
	digits, ok := strings.CutPrefix(name, tempPrefix)
	if !ok {
		return false
	}
	if digits, ok = strings.CutSuffix(digits, tempSuffix); !ok || len(digits) == 0 || len(digits) > maxTempDigits {
		return false
	}
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// RemoveStaleTemps deletes the temporary files that a Write interrupted by a crash left
// in dir, and returns their paths. It touches nothing but regular files named exactly as
// Write names them. Call it when opening dir, before this process writes there: a Write
// in progress (of this process or of another daemon wrongly given the same directory)
// cannot be told from a stale one. Every file it could not remove is in err.
func RemoveStaleTemps(dir string) (removed []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempName(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if err := os.Remove(path); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, path)
	}
	return removed, errors.Join(errs...)
}

// ErrNone means the directory holds no checkpoint.
var ErrNone = errors.New("checkpoint: none found")

// list returns the checkpoint files in dir, newest first, with their sequences.
func list(dir string) ([]string, []uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	var seqs []uint64
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, suffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, prefix), suffix), 10, 64)
		if err != nil {
			continue
		}
		names = append(names, name)
		seqs = append(seqs, seq)
	}
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case seqs[a] > seqs[b]:
			return -1
		case seqs[a] < seqs[b]:
			return 1
		}
		return 0
	})
	sortedNames := make([]string, len(order))
	sortedSeqs := make([]uint64, len(order))
	for i, o := range order {
		sortedNames[i], sortedSeqs[i] = filepath.Join(dir, names[o]), seqs[o]
	}
	return sortedNames, sortedSeqs, nil
}

// Write stores st as the newest checkpoint in dir, at log position 0, and removes all
// but the newest keep. It returns the new file's path. On error the previous checkpoints
// are untouched. It sorts st.Users in place.
func Write(dir string, st store.State) (string, error) { return WriteAt(dir, st, 0) }

// WriteAt is Write for a checkpoint that covers the write-ahead log up to pos.
func WriteAt(dir string, st store.State, pos uint64) (string, error) {
	if uint64(len(st.Users)) > st.TotalRequests {
		return "", fmt.Errorf("checkpoint: not writing an impossible state: %d users in %d events", len(st.Users), st.TotalRequests)
	}
	f, err := Create(dir, MetaOf(st, pos))
	if err != nil {
		return "", err
	}
	SortKeys(st.Users)
	for _, k := range st.Users {
		if err := f.Add(k); err != nil {
			f.Abort()
			return "", err
		}
	}
	path, err := f.Commit()
	if err != nil {
		return "", err
	}
	Prune(dir)
	return path, nil
}

// File is a checkpoint being written to a temporary file in its directory: Add the keys
// in ascending order, then Commit (or Abort).
type File struct {
	dir   string
	final string
	tmp   *os.File
	w     *Writer
}

// Create starts the next checkpoint in dir (its sequence follows the newest there) with
// the header of m. Nothing in dir changes but a temporary file until Commit.
func Create(dir string, m Meta) (*File, error) {
	_, seqs, err := list(dir)
	if err != nil {
		return nil, err
	}
	next := uint64(1)
	if len(seqs) > 0 {
		next = seqs[0] + 1
	}
	tmp, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return nil, err
	}
	w, err := NewWriter(tmp, m)
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return &File{dir: dir, final: filepath.Join(dir, fmt.Sprintf("%s%020d%s", prefix, next, suffix)), tmp: tmp, w: w}, nil
}

// Add writes the next key (see Writer.Add).
func (f *File) Add(k [2]uint64) error { return f.w.Add(k) }

// Abort removes the temporary file.
func (f *File) Abort() {
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}

// Commit finishes the file, fsyncs it, renames it into place and fsyncs the directory:
// once it returns nil the checkpoint survives a crash. It removes no older checkpoint
// (Prune does). On error the temporary file is removed.
func (f *File) Commit() (string, error) {
	err := f.w.Close()
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.final)
	}
	if err != nil {
		os.Remove(f.tmp.Name())
		return "", err
	}
	if err := syncDir(f.dir); err != nil {
		return "", err
	}
	return f.final, nil
}

// Prune removes every checkpoint in dir but the newest keep, and returns the paths it
// removed.
func Prune(dir string) []string {
	names, _, err := list(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, old := range names[min(len(names), keep):] {
		if os.Remove(old) == nil {
			removed = append(removed, old)
		}
	}
	return removed
}

// List returns the paths of the checkpoints in dir, newest first.
func List(dir string) ([]string, error) {
	names, _, err := list(dir)
	return names, err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Load reads the newest intact checkpoint in dir. Files it had to skip (corrupt,
// truncated, unreadable) come back in skipped, newest first, so the caller can report
// them; ErrNone when there is no intact checkpoint at all.
func Load(dir string) (st store.State, path string, skipped []error, err error) {
	names, _, err := list(dir)
	if err != nil {
		return st, "", nil, err
	}
	for _, name := range names {
		st, err := loadFile(name)
		if err == nil {
			return st, name, skipped, nil
		}
		skipped = append(skipped, fmt.Errorf("%s: %w", name, err))
	}
	return st, "", skipped, ErrNone
}

func loadFile(name string) (store.State, error) {
	st, _, err := LoadFile(name)
	return st, err
}

// LoadFile reads the checkpoint file at path.
func LoadFile(path string) (store.State, Meta, error) {
	f, err := os.Open(path)
	if err != nil {
		return store.State{}, Meta{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return store.State{}, Meta{}, err
	}
	return DecodeMeta(f, info.Size())
}

// LoadNewest is Load that also returns the Meta (version, log position) of the file read.
func LoadNewest(dir string) (st store.State, m Meta, path string, skipped []error, err error) {
	names, _, err := list(dir)
	if err != nil {
		return st, m, "", nil, err
	}
	for _, name := range names {
		st, m, err := LoadFile(name)
		if err == nil {
			return st, m, name, skipped, nil
		}
		skipped = append(skipped, fmt.Errorf("%s: %w", name, err))
	}
	return st, m, "", skipped, ErrNone
}

// OpenReader opens the checkpoint at path and reads its header; the caller streams the
// keys and closes the file.
func OpenReader(path string) (*Reader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	r, err := NewReader(f, info.Size())
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, f, nil
}
