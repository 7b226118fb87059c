package event

import "bytes"

// BatchFormat is how a POST /events body lays out its events.
type BatchFormat uint8

const (
	// NDJSON is newline-delimited JSON (application/x-ndjson, JSON Lines): one event
	// object per line, lines ended by LF (a CR before it is whitespace), the last LF
	// optional. A line of only whitespace is no element and is skipped.
	NDJSON BatchFormat = iota
	// Array is one JSON array (application/json) whose elements are event objects.
	Array
)

// SniffBatchFormat is the format of a body sent without a media type that names one:
// Array when its first non-whitespace byte is '[', else NDJSON. No NDJSON line may begin
// with '[' (an element is an object), so the guess never accepts what the other format
// would refuse.
func SniffBatchFormat(body []byte) BatchFormat {
	if i := skipJSONSpace(body, 0); i < len(body) && body[i] == '[' {
		return Array
	}
	return NDJSON
}

// Batch walks the events of one batch body, decoding each with the same rules as Decode
// (RFC 8259, an object with a string "userId" and a number "value"). It is an iterator
// so that a caller can validate a whole batch before it counts any of it, then walk it
// again: Reset, Next until false, Err. The zero value is an empty NDJSON batch.
//
// Invariant: a batch is accepted (Err is nil after Next returned false) only if every
// element decodes and the framing around them (the array's brackets and commas, or the
// lines) is valid: all or nothing is the caller's to build on that.
type Batch struct {
	body   []byte
	format BatchFormat
	max    int    // the most elements accepted
	pos    int    // the first byte not yet walked
	index  int    // elements decoded so far: the index of the next one
	opened bool   // Array: the '[' was read
	done   bool   // the end was reached, or an error stopped the walk
	err    *Error // why the walk stopped early
}

// Reset starts a walk over body in format f, of at most maxEvents elements (more is
// ErrTooManyEvents, reported at the first element past the limit). The events Next returns are views into body
// (or into the Decoder's scratch, see Event): body must stay unchanged meanwhile.
func (b *Batch) Reset(body []byte, f BatchFormat, maxEvents int) {
	*b = Batch{body: body, format: f, max: maxEvents}
}

// Next decodes the next event into ev and reports whether there was one. It returns false
// at the end of the batch and on the first invalid element or framing error, which Err
// then reports; ev is untouched when it returns false.
func (b *Batch) Next(d *Decoder, ev *Event) bool {
	if b.done {
		return false
	}
	var (
		got Event
		err *Error
		ok  bool
	)
	if b.format == Array {
		ok, err = b.nextInArray(d, &got)
	} else {
		ok, err = b.nextLine(d, &got)
	}
	if ok && b.index == b.max {
		ok, err = false, ErrTooManyEvents
	}
	if !ok {
		b.done, b.err = true, err
		return false
	}
	*ev = got
	b.index++
	return true
}

// Err is nil after a walk that reached the end of a valid batch, else the first
// problem: a sentinel of this package.
func (b *Batch) Err() error {
	if b.err == nil {
		return nil
	}
	return b.err
}

// Index is the number of events Next returned; after an error, the index (from 0) of the
// element the error is in, counting only elements (blank lines are none).
func (b *Batch) Index() int { return b.index }

func (b *Batch) nextLine(d *Decoder, ev *Event) (bool, *Error) {
	for b.pos < len(b.body) {
		rest := b.body[b.pos:]
		line := rest
		if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
			line = rest[:nl]
			b.pos += nl + 1
		} else {
			b.pos = len(b.body)
		}
		if skipJSONSpace(line, 0) == len(line) {
			continue
		}
		if err := d.Decode(line, ev); err != nil {
			return false, err.(*Error)
		}
		return true, nil
	}
	return false, nil
}

func (b *Batch) nextInArray(d *Decoder, ev *Event) (bool, *Error) {
	body := b.body
	i := skipJSONSpace(body, b.pos)
	if !b.opened {
		if i >= len(body) || body[i] != '[' {
			return false, ErrNotArray
		}
		b.opened = true
		i = skipJSONSpace(body, i+1)
		if i < len(body) && body[i] == ']' {
			return false, b.closeArray(i + 1)
		}
	} else {
		// After an element: a comma and the next element, or the end of the array.
		switch {
		case i >= len(body):
			return false, ErrMalformedJSON
		case body[i] == ']':
			return false, b.closeArray(i + 1)
		case body[i] != ',':
			return false, ErrMalformedJSON
		}
		i = skipJSONSpace(body, i+1)
	}
	if i >= len(body) {
		return false, ErrMalformedJSON
	}
	if body[i] != '{' {
		// Not an event: report the syntax error of a malformed element first, as
		// Decode does for a body.
		if _, err := d.skipValue(body, i); err != nil {
			return false, err
		}
		return false, ErrNotObject
	}
	d.scratch = d.scratch[:0]
	end, problem, err := d.object(body, i, ev)
	switch {
	case err != nil:
		return false, err
	case problem != nil:
		return false, problem
	}
	b.pos = end
	return true, nil
}

// closeArray ends the walk at the ']' before i: only whitespace may follow it.
func (b *Batch) closeArray(i int) *Error {
	b.pos = len(b.body)
	if skipJSONSpace(b.body, i) != len(b.body) {
		return ErrTrailingData
	}
	return nil
}

// Staged is a batch decoded once, kept as offsets into its body: a caller validates the
// whole batch (Batch.Stage) before it counts any of it, then counts it without decoding
// again. Offsets, not views, keep it free of pointers, so filling it costs no write
// barriers. The zero value is ready; reuse one.
type Staged struct {
	body   []byte
	events []stagedEvent
	arena  []byte // the unescaped userIds that were written with escapes
}

type stagedEvent struct {
	nanos            int64
	idOff, idLen     uint32 // in body, or in arena when inArena
	textOff, textLen uint32 // Value.Text in body, when !small
	small, inArena   bool
}

// MaxStagedBody is the largest body Stage accepts: offsets are 32 bits.
const MaxStagedBody = 1 << 30

// Stage walks the batch to its end, keeping each event in st, and returns Err. st holds
// the events of a walk that ended without error; body must stay unchanged while st is
// read.
func (b *Batch) Stage(d *Decoder, st *Staged) error {
	if len(b.body) > MaxStagedBody {
		panic("BUG: event: a batch body larger than MaxStagedBody")
	}
	st.body, st.events, st.arena = b.body, st.events[:0], st.arena[:0]
	var ev Event
	for b.Next(d, &ev) {
		e := stagedEvent{nanos: ev.Value.Nanos, small: ev.Value.Small, idLen: uint32(len(ev.UserID))}
		// The scratch holds something after a successful decode only when the userId
		// had escapes and was unescaped there (member names use it and give it back).
		if len(d.scratch) > 0 {
			e.idOff, e.inArena = uint32(len(st.arena)), true
			st.arena = append(st.arena, ev.UserID...)
		} else {
			e.idOff = offsetIn(b.body, ev.UserID)
		}
		if !ev.Value.Small {
			e.textOff, e.textLen = offsetIn(b.body, ev.Value.Text), uint32(len(ev.Value.Text))
		}
		st.events = append(st.events, e)
	}
	return b.Err()
}

// offsetIn is where v, a view into body sliced with two indices, starts in body.
func offsetIn(body, v []byte) uint32 { return uint32(cap(body) - cap(v)) }

// Len is the number of events staged.
func (st *Staged) Len() int { return len(st.events) }

// Event sets ev to the i-th event staged: views into the body and st, valid until the
// next Stage.
func (st *Staged) Event(i int, ev *Event) {
	e := &st.events[i]
	if e.inArena {
		ev.UserID = st.arena[e.idOff : e.idOff+e.idLen]
	} else {
		ev.UserID = st.body[e.idOff : e.idOff+e.idLen]
	}
	ev.Value = Value{Nanos: e.nanos, Small: e.small}
	if !e.small {
		ev.Value.Text = st.body[e.textOff : e.textOff+e.textLen]
	}
}

// Release forgets the body and drops a list grown past keepEvents events, or an arena
// past keepArena bytes, so that one large batch does not pin its memory on an idle loop.
func (st *Staged) Release(keepEvents, keepArena int) {
	st.body = nil
	if cap(st.events) > keepEvents {
		st.events = nil
	}
	if cap(st.arena) > keepArena {
		st.arena = nil
	}
}
