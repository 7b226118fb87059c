package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Log. The zero value is ready to use.
type Options struct {
	// SegmentBytes is the size past which the log moves on to a new segment; 0 means
	// DefaultSegmentBytes.
	SegmentBytes int64
}

// DefaultSegmentBytes is Options.SegmentBytes when left zero.
const DefaultSegmentBytes = 64 << 20

// Log appends records to the segments of one data directory. Write, Sync, Commit,
// Stats and Err are safe from any goroutine.
type Log struct {
	dir     string
	seed    [2]uint64
	segSize int64

	mu       sync.Mutex // guards the fields below and the order of writes
	f        *os.File   // the open segment
	segStart uint64     // its start position
	pos      uint64     // the position after the last byte written
	frames   uint64     // frames written
	retired  []*os.File // segments rolled over, fdatasynced, closed by the next Sync
	err      error      // the first write or fdatasync failure: every later call returns it
	closed   bool

	syncMu sync.Mutex // one Sync at a time; taken before mu

	dmu           sync.Mutex // guards durableFrames; a leaf
	durable       atomic.Uint64
	durableFrames uint64
	failed        atomic.Pointer[error]

	cmu     sync.Mutex // guards pending and cclosed
	pending []waiter
	cclosed bool
	kick    chan struct{} // wakes the syncer
	rolled  chan struct{} // wakes the compactor after a roll

	stop      chan struct{}
	stopOnce  sync.Once
	compactor sync.Once
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup

	stats counters
}

// counters are the Log's figures for /metrics.
type counters struct {
	syncs, records, bytes, syncedRecords, commits, rolls, compactions atomic.Uint64
}

// Stats is a snapshot of a Log's counters.
type Stats struct {
	Syncs         uint64 // fdatasyncs of records, those at a segment roll included
	Records       uint64 // frames written
	Bytes         uint64 // frame bytes written
	SyncedRecords uint64 // frames made durable, summed over Syncs: SyncedRecords/Syncs is the mean group
	Commits       uint64 // Commit requests
	Rolls         uint64 // segments closed and replaced
	Compactions   uint64 // snapshots written by the compactor
	Written       uint64 // the position after the last byte written
	Durable       uint64 // the position up to which every byte is on stable storage
	Failed        bool   // a write or fdatasync failed: nothing is acknowledged any more
}

// Open creates the segment that starts at position start (Recovery.Position) in dir, for
// records of a store hashed under seed, and starts the group-commit syncer. dir must not
// hold a segment of that name (Recover removes an empty last one).
func Open(dir string, seed [2]uint64, start uint64, opts Options) (*Log, error) {
	if seed == ([2]uint64{}) {
		return nil, fmt.Errorf("wal: zero seed")
	}
	f, err := createSegment(dir, seed, start)
	if err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	l := &Log{dir: dir, seed: seed, segSize: opts.SegmentBytes, f: f, segStart: start, pos: start,
		kick: make(chan struct{}, 1), rolled: make(chan struct{}, 1), stop: make(chan struct{})}
	if l.segSize <= 0 {
		l.segSize = DefaultSegmentBytes
	}
	l.durable.Store(start)
	l.wg.Add(1)
	go l.syncer()
	return l, nil
}

// Dir returns the directory of the log.
func (l *Log) Dir() string { return l.dir }

// Write appends frames (one or more whole frames, BeginRecord/EndRecord) with one
// write(2) and returns the position after them. Writes are ordered by a mutex, so the
// file order is the commit order of every loop. The frames are in the kernel, not yet on
// stable storage: a process crash keeps them, a power loss may not (Sync, Commit).
// After a failure every call returns the first error.
func (l *Log) Write(frames []byte) (end uint64, err error) {
	n, ok := countFrames(frames)
	if !ok || n == 0 {
		return 0, ErrNotFrames
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.pos, l.err
	}
	if l.closed {
		return l.pos, ErrClosed
	}
	if _, err := l.f.Write(frames); err != nil {
		// Some of the frames may be in the file: nothing may follow them.
		return l.pos, l.failLocked(fmt.Errorf("wal: write: %w", err))
	}
	l.pos += uint64(len(frames))
	l.frames += uint64(n)
	l.stats.records.Add(uint64(n))
	l.stats.bytes.Add(uint64(len(frames)))
	if int64(l.pos-l.segStart) >= l.segSize {
		if err := l.rollLocked(); err != nil {
			return l.pos, l.failLocked(fmt.Errorf("wal: roll: %w", err))
		}
	}
	return l.pos, nil
}

// rollLocked makes the open segment durable, retires it and opens the next one.
func (l *Log) rollLocked() error {
	l.stats.syncs.Add(1)
	if err := fdatasync(l.f); err != nil {
		return err
	}
	l.markDurable(l.pos, l.frames)
	f, err := createSegment(l.dir, l.seed, l.pos)
	if err != nil {
		return err
	}
	l.retired = append(l.retired, l.f)
	l.f, l.segStart = f, l.pos
	l.stats.rolls.Add(1)
	select {
	case l.rolled <- struct{}{}:
	default:
	}
	return nil
}

// failLocked remembers the first failure. A failed write or fdatasync may have lost
// data the kernel had accepted (and a later fdatasync may report success for pages it
// dropped): the log never retries, it stops.
func (l *Log) failLocked(err error) error {
	if l.err == nil {
		l.err = err
		l.failed.Store(&err)
	}
	return l.err
}

func (l *Log) fail(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failLocked(err)
}

// Err returns the failure that stopped the log, or nil.
func (l *Log) Err() error {
	if p := l.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// markDurable records that every frame up to pos (frames of them) is on stable storage.
func (l *Log) markDurable(pos, frames uint64) {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	if pos <= l.durable.Load() {
		return
	}
	l.stats.syncedRecords.Add(frames - l.durableFrames)
	l.durableFrames = frames
	l.durable.Store(pos)
}

// Durable returns the position up to which the log is on stable storage.
func (l *Log) Durable() uint64 { return l.durable.Load() }

// Sync runs one fdatasync covering every byte written before the call and returns the
// durable position. After a failure it returns the first error and the position that
// was durable before it.
func (l *Log) Sync() (durable uint64, err error) {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return l.durable.Load(), l.err
	}
	if l.closed {
		l.mu.Unlock()
		return l.durable.Load(), ErrClosed
	}
	f, pos, frames := l.f, l.pos, l.frames
	retired := l.retired
	l.retired = nil
	l.mu.Unlock()
	// A roll fdatasynced these before retiring them, and no other Sync runs.
	for _, r := range retired {
		r.Close()
	}
	if pos <= l.durable.Load() {
		return l.durable.Load(), nil
	}
	l.stats.syncs.Add(1)
	if err := fdatasync(f); err != nil {
		return l.durable.Load(), l.fail(fmt.Errorf("wal: %w", err))
	}
	l.markDurable(pos, frames)
	return pos, nil
}

// Stats returns the log's counters (any goroutine).
func (l *Log) Stats() Stats {
	l.mu.Lock()
	written := l.pos
	l.mu.Unlock()
	return Stats{
		Syncs:         l.stats.syncs.Load(),
		Records:       l.stats.records.Load(),
		Bytes:         l.stats.bytes.Load(),
		SyncedRecords: l.stats.syncedRecords.Load(),
		Commits:       l.stats.commits.Load(),
		Rolls:         l.stats.rolls.Load(),
		Compactions:   l.stats.compactions.Load(),
		Written:       written,
		Durable:       l.durable.Load(),
		Failed:        l.failed.Load() != nil,
	}
}

// SyncEvery starts a goroutine that runs Sync every d while anything written is not yet
// durable (the interval mode: acknowledgements do not wait, a power loss loses at most
// about d). It stops at Close.
func (l *Log) SyncEvery(d time.Duration) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				l.mu.Lock()
				pos := l.pos
				l.mu.Unlock()
				if pos > l.durable.Load() {
					if _, err := l.Sync(); err != nil {
						return
					}
				}
			}
		}
	}()
}

// Close stops the syncer (serving every Commit made before it), the interval syncer and
// the compactor, makes everything written durable and closes the open segment.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		l.cmu.Lock()
		l.cclosed = true
		l.cmu.Unlock()
		l.stopOnce.Do(func() { close(l.stop) })
		l.wg.Wait()
		_, err := l.Sync()
		l.syncMu.Lock()
		l.mu.Lock()
		l.closed = true
		for _, r := range l.retired {
			r.Close()
		}
		l.retired = nil
		if cerr := l.f.Close(); err == nil {
			err = cerr
		}
		l.mu.Unlock()
		l.syncMu.Unlock()
		l.closeErr = err
	})
	return l.closeErr
}

// openSegmentStart returns the start of the open segment: every segment before it is
// closed (whole and durable).
func (l *Log) openSegmentStart() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.segStart
}

// path of the open segment, for tests.
func (l *Log) segmentPath() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return filepath.Join(l.dir, segName(l.segStart))
}
