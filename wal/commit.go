package wal

// waiter is one Commit waiting for its fdatasync.
type waiter struct {
	end  uint64
	wake func(durable uint64)
}

// Commit asks for an fdatasync covering position end (a position Write returned) and
// returns at once; wake is called later, on the syncer goroutine, with the durable
// position. One fdatasync serves every Commit that arrived before it started (Commits
// arriving during it are served by the next), so its cost is shared by every loop whose
// records it covers. wake must not block (queue a task on the event loop).
//
// A wake with durable < end means the records will never be durable: the log failed
// (Err says why) and the caller must not acknowledge them. After a failure, or after
// Close, Commit returns the error and never calls wake.
func (l *Log) Commit(end uint64, wake func(durable uint64)) error {
	if err := l.Err(); err != nil {
		return err
	}
	l.cmu.Lock()
	if l.cclosed {
		l.cmu.Unlock()
		return ErrClosed
	}
	l.pending = append(l.pending, waiter{end: end, wake: wake})
	l.cmu.Unlock()
	l.stats.commits.Add(1)
	select {
	case l.kick <- struct{}{}:
	default: // a kick is pending: the syncer will take this request with it
	}
	return nil
}

// syncer serves Commits until Close, then serves those left.
func (l *Log) syncer() {
	defer l.wg.Done()
	var spare []waiter
	for {
		select {
		case <-l.kick:
		case <-l.stop:
			// Close refuses new Commits before it stops the syncer: this takes the last.
			l.cmu.Lock()
			batch := l.pending
			l.pending = nil
			l.cmu.Unlock()
			l.serve(batch)
			return
		}
		l.cmu.Lock()
		batch := l.pending
		l.pending = spare[:0]
		l.cmu.Unlock()
		l.serve(batch)
		clear(batch) // drop the closures
		spare = batch
	}
}

// serve runs one fdatasync for batch (unless what it asks is durable already) and wakes
// every waiter with the durable position.
func (l *Log) serve(batch []waiter) {
	if len(batch) == 0 {
		return
	}
	var need uint64
	for _, w := range batch {
		need = max(need, w.end)
	}
	durable := l.durable.Load()
	if need > durable {
		durable, _ = l.Sync() // on failure durable stays below what failed: the wakes say so
	}
	for _, w := range batch {
		w.wake(durable)
	}
}
