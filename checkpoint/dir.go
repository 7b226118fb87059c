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
	tmp, err := os.CreateTemp(dir, ".onemrc-*.tmp")
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
