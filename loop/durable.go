package loop

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/onemrc/onemrc/internal/clock"
)

// With a write-ahead log (Config.Log) an answer that acknowledges an event leaves only
// once the event's record is in the log: written (a process crash then loses nothing
// answered) and, with FsyncAlways, covered by an fdatasync (nor does a power loss).
//
// A loop never waits for the disk. A batch that recorded events holds its answers on its
// connection (conn.held) and makes sure a flush is queued on the loop (EventLoop.Execute:
// it runs once the loop has handled every connection that was ready), so one record and
// one write(2) serve every batch of that turn of the loop. With FsyncAlways the flush
// hands the record's end to the log's group commit, whose syncer wakes the loop once an
// fdatasync covers it; the loop meanwhile reads and answers other connections. Answers
// on one connection keep their order: while some are held, later ones queue behind them.
// /stats may include an event before its 200 is sent (it reads published counters), never
// the reverse.

// Log is the write-ahead log as a loop uses it (package wal, adapted by the daemon).
type Log interface {
	// BeginRecord and EndRecord frame one record appended to dst between them.
	BeginRecord(dst []byte) ([]byte, int)
	EndRecord(dst []byte, start int) []byte
	// Write appends whole records with one write(2) and returns the log position after
	// them. An error is final: nothing is acknowledged after it.
	Write(frames []byte) (end uint64, err error)
	// Commit calls wake, on the log's syncer goroutine, once an fdatasync covers end;
	// a wake with durable < end, or an error, means it never will.
	Commit(end uint64, wake func(durable uint64)) error
}

// FsyncMode says when answers held for the log leave.
type FsyncMode uint8

const (
	// FsyncAlways answers once an fdatasync covers the record: nothing acknowledged is
	// lost, even to a power cut.
	FsyncAlways FsyncMode = iota
	// FsyncInterval answers once the record is written; the log is synced every
	// interval by the daemon: a power cut loses at most that window, a crash nothing.
	FsyncInterval
	// FsyncOff answers once the record is written and leaves syncing to the kernel.
	FsyncOff
)

// durability is one loop's side of the log. Loop goroutine only, but for synced,
// which the syncer advances.
type durability struct {
	log       Log
	mode      FsyncMode
	logFailed func(error) // Config.LogFailed

	frames       []byte  // this turn's record, not yet written
	held         []*conn // connections with answers waiting for a flush or a sync
	flushQueued  bool
	turn         uint64        // the turn whose answers are being held (conn.heldTurn)
	written      uint64        // the last turn whose record is written
	synced       atomic.Uint64 // the last turn whose record is durable (FsyncAlways)
	releaseQueue atomic.Bool   // a release task is queued on the loop
	syncFailed   atomic.Bool   // a wake said the log will never be durable
	ends         []turnEnd     // written turns waiting for a sync, oldest first
	failed       error
}

// turnEnd maps a written turn to the log position its record ends at.
type turnEnd struct{ turn, end uint64 }

// flusher and releaser are the loop's tasks for EventLoop.Execute.
type (
	flusher  struct{ l *eventLoop }
	releaser struct{ l *eventLoop }
)

func (f flusher) Run(context.Context) error  { f.l.flush(); return nil }
func (r releaser) Run(context.Context) error { r.l.releaseSynced(); return nil }

// hold keeps out, a batch's answers, on c until the loop's next flush (and sync) covers
// the batch, and makes sure that flush is queued.
func (l *eventLoop) hold(c *conn, out []byte) {
	d := l.dur
	if len(c.held) == 0 {
		d.held = append(d.held, c)
	}
	c.held = append(c.held, out...)
	c.heldTurn = d.turn
	if !d.flushQueued {
		d.flushQueued = true
		if err := l.el.Execute(context.Background(), flusher{l}); err != nil {
			l.flush() // the engine is stopping: flush now rather than never
		}
	}
}

// mustHold reports whether a batch's answers on c wait for the log: the batch recorded
// events, or answers held earlier on c must leave first.
func (l *eventLoop) mustHold(c *conn, recorded bool) bool {
	return l.dur != nil && (recorded || len(c.held) > 0)
}

// flush writes this turn's record and releases the answers it covers (or, with
// FsyncAlways, asks the log to sync it and releases them when woken).
func (l *eventLoop) flush() {
	d := l.dur
	d.flushQueued = false
	l.endRecord()
	switch {
	case d.failed != nil:
		l.dropHeld()
	case d.mode != FsyncAlways:
		l.release(d.written)
	default:
		// Turns before the oldest one waiting for its sync may go, this one too when
		// it recorded nothing.
		l.release(l.syncedOrWritten())
	}
}

// endRecord writes what the loop recorded since the last record as one record and starts
// a new turn. The queued flush releases the answers it covers; a batch (POST /events)
// calls it at once, so that the next batch of the same turn starts a record of its own:
// a record then holds at most one batch, whose keys are bounded by -max-batch-bytes,
// beside the turn's single events.
func (l *eventLoop) endRecord() {
	d := l.dur
	turn := d.turn
	d.turn++
	if d.failed == nil {
		var ok bool
		frames, start := d.log.BeginRecord(d.frames[:0])
		if frames, ok = l.pipe.AppendLogRecord(frames); ok {
			frames = d.log.EndRecord(frames, start)
			end, err := d.log.Write(frames)
			if err != nil {
				l.logFailed(err)
			} else if d.mode == FsyncAlways {
				d.ends = append(d.ends, turnEnd{turn, end})
				err = d.log.Commit(end, func(durable uint64) {
					if durable < end {
						d.syncFailed.Store(true)
					} else {
						advance(&d.synced, turn)
					}
					if !d.releaseQueue.Swap(true) {
						if l.el.Execute(context.Background(), releaser{l}) != nil {
							d.releaseQueue.Store(false)
						}
					}
				})
				if err != nil {
					l.logFailed(err)
				}
			}
		}
		d.frames = frames[:0]
	}
	d.written = turn
}

// syncedOrWritten is the last turn whose answers may leave under FsyncAlways: every
// turn up to the oldest one still waiting for its sync.
func (l *eventLoop) syncedOrWritten() uint64 {
	d := l.dur
	for len(d.ends) > 0 && d.ends[0].turn <= d.synced.Load() {
		d.ends = d.ends[1:]
	}
	if len(d.ends) > 0 {
		return d.ends[0].turn - 1
	}
	return d.written
}

// releaseSynced runs on the loop when the syncer has made turns durable.
func (l *eventLoop) releaseSynced() {
	d := l.dur
	d.releaseQueue.Store(false)
	if d.syncFailed.Load() {
		l.logFailed(errors.New("loop: the log could not be synced"))
	}
	if d.failed != nil {
		l.dropHeld()
		return
	}
	l.release(l.syncedOrWritten())
}

// release writes the held answers of every connection whose last held batch is in a
// turn up to upTo, in the order they were held.
func (l *eventLoop) release(upTo uint64) {
	d := l.dur
	now := clock.Coarse.Load()
	kept := d.held[:0]
	for _, c := range d.held {
		switch {
		case c.gone:
			c.held = c.held[:0]
			continue
		case c.heldTurn > upTo:
			kept = append(kept, c)
			continue
		}
		out := c.held
		c.held = c.held[:0]
		if !c.write(c.gc, out) {
			continue
		}
		if c.closeAfterHeld {
			c.closeAfterHeld = false
			if l.closeAfterAnswer(c.gc, c, now) == gnet.Close {
				c.closing = true
				_ = c.gc.Close()
			}
			continue
		}
		l.pauseIfQueued(c, now)
	}
	clear(d.held[len(kept):])
	d.held = kept
	l.pipe.PublishMetrics()
}

// dropHeld closes every connection with held answers after the log failed: their events
// are counted in memory but not logged, so no 200 may leave for them.
func (l *eventLoop) dropHeld() {
	d := l.dur
	for _, c := range d.held {
		c.held = c.held[:0]
		if !c.gone && !c.closing {
			c.closing = true
			_ = c.gc.Close()
		}
	}
	clear(d.held)
	d.held = d.held[:0]
}

func (l *eventLoop) logFailed(err error) {
	d := l.dur
	if d.failed != nil {
		return
	}
	d.failed = err
	if d.logFailed != nil {
		d.logFailed(err)
	}
}

// advance raises a to v unless it is there already (turns only go up).
func advance(a *atomic.Uint64, v uint64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// Flush writes every loop's held answers out as soon as the log allows, and waits until
// none is held or ctx ends: before a graceful stop closes the connections, so that no
// event the log keeps goes unanswered.
func (s *Server) Flush(ctx context.Context) error {
	for {
		s.mu.Lock()
		loops := append([]*eventLoop(nil), s.order...)
		s.mu.Unlock()
		held := make(chan int, len(loops))
		for _, l := range loops {
			if l.dur == nil {
				held <- 0
				continue
			}
			task := gnet.RunnableFunc(func(context.Context) error {
				if l.dur.flushQueued || len(l.dur.held) > 0 {
					l.flush()
				}
				held <- len(l.dur.held)
				return nil
			})
			if err := l.el.Execute(ctx, task); err != nil {
				return err
			}
		}
		total := 0
		for range loops {
			select {
			case n := <-held:
				total += n
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if total == 0 {
			return nil
		}
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
