package pipeline

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/httpparse"
)

// POST /events takes a batch: NDJSON or a JSON array of events, optionally gzipped. A
// batch is all or nothing: it is decoded once into a staging list (event.Staged: offsets
// into the body, 32 bytes an event), and only a batch found valid throughout is
// recorded, from that list, so a refused batch has changed no counter.
//
// Limits: the body the parser frames is bounded by MaxBatchBytes (httpparse's large-body
// path, 413 at the header when Content-Length says more); a gzip body's inflated size by
// MaxBatchBytes too (413); the elements by MaxBatchEvents (413).

// Defaults of the batch limits, the one statement of each (the daemon's
// -max-batch-bytes and -max-batch-events).
const (
	DefaultMaxBatchBytes  = 4 << 20
	DefaultMaxBatchEvents = 100_000
)

// batchState is one pipeline's batch machinery, reused across batches.
type batchState struct {
	walk     event.Batch
	staged   event.Staged
	inflater event.Inflater
	body     []byte // the JSON answer being built
}

// What a loop keeps between batches: its buffers of body bytes (an inflated gzip body, a
// chunked body gathered into the Request's scratch, unescaped userIds) up to keepBytes
// each, and a staging list of up to keepStaged events (32 bytes each).
const (
	keepBytes  = 1 << 20
	keepStaged = 16 << 10
)

// serveBatch answers the POST /events just parsed into p.req and returns its status.
func (p *Pipeline) serveBatch(mode connMode) int {
	req := &p.req
	b := &p.batch
	body := req.Body
	// A batch sent in many chunks was gathered into the Request's scratch: once served,
	// a large one does not stay pinned on the loop. (body stays valid: only the
	// Request's reference goes.)
	defer req.ReleaseScratch(keepBytes)
	switch req.Encoding {
	case httpparse.EncodingGzip:
		inflated, err := b.inflater.Gunzip(body, p.maxBatchBytes)
		if err != nil {
			return p.refuseBatch(mode, err, 0)
		}
		body = inflated
		defer b.inflater.Release(keepBytes)
	case httpparse.EncodingOther:
		return p.refuseBatch(mode, event.ErrUnsupportedEncoding, 0)
	}
	format := batchFormat(req.ContentType, body)

	b.walk.Reset(body, format, p.maxBatchEvents)
	defer b.staged.Release(keepStaged, keepBytes) // a refused batch's staging too
	if err := b.walk.Stage(&p.dec, &b.staged); err != nil {
		return p.refuseBatch(mode, err.(*event.Error), b.walk.Index())
	}
	// ev lives on the stack: writing an event's views into it needs no write barrier,
	// which a field of the Pipeline (on the heap) would while the GC runs.
	var ev event.Event
	accepted := b.staged.Len()
	for i := range accepted {
		b.staged.Event(i, &ev)
		p.shard.Record(&ev)
	}
	p.recorded += uint64(accepted)
	if accepted > 0 {
		p.batches++
	}

	b.body = append(b.body[:0], `{"accepted":`...)
	b.body = strconv.AppendInt(b.body, int64(accepted), 10)
	b.body = append(b.body, '}')
	p.out = appendJSON(p.out, mode, b.body, false)
	return http.StatusOK
}

// refuseBatch answers a batch that changed nothing: {"error":reason,"index":n}, n the
// element the error is in (0 for an error of the whole body).
func (p *Pipeline) refuseBatch(mode connMode, err *event.Error, index int) int {
	status := http.StatusBadRequest
	switch err {
	case event.ErrTooManyEvents, event.ErrBatchTooLarge:
		status = http.StatusRequestEntityTooLarge
	case event.ErrUnsupportedEncoding:
		status = http.StatusUnsupportedMediaType
	}
	b := &p.batch
	b.body = append(b.body[:0], `{"error":"`...)
	b.body = append(b.body, err.Reason...) // no escaping needed: see event.Error
	b.body = append(b.body, `","index":`...)
	b.body = strconv.AppendInt(b.body, int64(index), 10)
	b.body = append(b.body, '}')
	p.out = appendHead(p.out, status, mode, jsonType, len(b.body), "")
	p.out = append(p.out, b.body...)
	p.metrics.add(offBodyErrors+err.Code(), 1)
	return status
}

// batchFormat is the layout the request's media type names, or else the one its body
// shows (event.SniffBatchFormat): a client that sends no type, or curl's default
// application/x-www-form-urlencoded, is still understood.
func batchFormat(contentType, body []byte) event.BatchFormat {
	mediaType, _, _ := bytes.Cut(contentType, []byte(";"))
	mediaType = bytes.TrimRight(mediaType, " \t")
	for _, t := range ndjsonTypes {
		if bytes.EqualFold(mediaType, []byte(t)) {
			return event.NDJSON
		}
	}
	if bytes.EqualFold(mediaType, []byte("application/json")) {
		return event.Array
	}
	return event.SniffBatchFormat(body)
}

// ndjsonTypes are the media types newline-delimited JSON goes by.
var ndjsonTypes = [...]string{
	"application/x-ndjson", "application/ndjson", "application/jsonl",
	"application/x-jsonlines", "application/jsonlines",
}
