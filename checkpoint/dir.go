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

// Write stores st as the newest checkpoint in dir and removes all but the newest keep.
// It returns the new file's path. On error the previous checkpoints are untouched.
func Write(dir string, st store.State) (string, error) {
	names, seqs, err := list(dir)
	if err != nil {
		return "", err
	}
	next := uint64(1)
	if len(seqs) > 0 {
		next = seqs[0] + 1
	}
	final := filepath.Join(dir, fmt.Sprintf("%s%020d%s", prefix, next, suffix))
	tmp, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := Encode(tmp, st); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", err
	}
	if err := syncDir(dir); err != nil {
		return "", err
	}
	for _, old := range names[min(len(names), keep-1):] {
		_ = os.Remove(old)
	}
	return final, nil
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
	f, err := os.Open(name)
	if err != nil {
		return store.State{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return store.State{}, err
	}
	return Decode(f, info.Size())
}
