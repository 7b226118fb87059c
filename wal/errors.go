package wal

import "errors"

var (
	// ErrClosed: the Log was closed.
	ErrClosed = errors.New("wal: log closed")
	// ErrNotFrames: Write was given bytes that are not whole frames.
	ErrNotFrames = errors.New("wal: not whole frames")
	// ErrSeedMismatch: a snapshot and a segment (or two segments) were written under
	// different hash seeds; their user keys cannot be combined.
	ErrSeedMismatch = errors.New("wal: hash seeds differ")
	// ErrGap: the records between a snapshot and the log that continues it are missing.
	ErrGap = errors.New("wal: the log does not continue the snapshot")
)
