package loadgen

import "strconv"

// The challenge's event stream: event i (0 <= i < n) belongs to user
// "user_"+(i % users) and carries value i % valueCycle, or i % valueCycle + 0.5
// in half mode (what the challenge's Go clients send). Every connection
// derives its requests from i alone, so any spread of indices over
// connections sends the same multiset of events.
const valueCycle = 1000

// requestHead is everything before the Content-Length digits. Host is
// mandatory in HTTP/1.1 requests (RFC 9112 §3.2); the rest mirrors the
// header set of Go's net/http client so the daemon parses what real
// clients send.
const (
	headStart  = "POST /event HTTP/1.1\r\nHost: "
	headMiddle = "\r\nUser-Agent: onemrc-challenge\r\nContent-Type: application/json\r\nContent-Length: "
	bodyStart  = "\r\n\r\n{\"userId\":\"user_"
	bodyValue  = "\",\"value\":"
	bodyHalf   = ".5"
	bodyEnd    = "}"

	// A batch: the same header set with NDJSON, then one line per event.
	batchStart  = "POST /events HTTP/1.1\r\nHost: "
	batchMiddle = "\r\nUser-Agent: onemrc-challenge\r\nContent-Type: application/x-ndjson\r\nContent-Length: "
	lineStart   = "{\"userId\":\"user_"
	lineEnd     = "}\n"
)

// Encoder appends the request bytes of event i. It is a fixed template in
// which only the Content-Length, user number and value digits vary; Append
// allocates nothing once dst has room (about 200 bytes per request).
type Encoder struct {
	head      []byte // headStart + host + headMiddle
	batchHead []byte // batchStart + host + batchMiddle
	users     uint64
	half      bool
}

// NewEncoder returns an Encoder for requests to host (the Host header value)
// with the given number of distinct users (at least 1).
func NewEncoder(host string, users int, half bool) *Encoder {
	return &Encoder{
		head:      []byte(headStart + host + headMiddle),
		batchHead: []byte(batchStart + host + batchMiddle),
		users:     uint64(max(users, 1)),
		half:      half,
	}
}

// Event returns the user number and value of event i, the value doubled so
// half values stay integers.
func (e *Encoder) Event(i uint64) (user, doubledValue uint64) {
	doubled := 2 * (i % valueCycle)
	if e.half {
		doubled++
	}
	return i % e.users, doubled
}

// Append appends the full HTTP request of event i to dst.
func (e *Encoder) Append(dst []byte, i uint64) []byte {
	user, value := i%e.users, i%valueCycle
	bodyLen := len(bodyStart) - 4 + decimalDigits(user) + len(bodyValue) +
		decimalDigits(value) + len(bodyEnd)
	if e.half {
		bodyLen += len(bodyHalf)
	}
	dst = append(dst, e.head...)
	dst = strconv.AppendUint(dst, uint64(bodyLen), 10)
	dst = append(dst, bodyStart...)
	dst = strconv.AppendUint(dst, user, 10)
	dst = append(dst, bodyValue...)
	dst = strconv.AppendUint(dst, value, 10)
	if e.half {
		dst = append(dst, bodyHalf...)
	}
	return append(dst, bodyEnd...)
}

// AppendBatch appends one POST /events request carrying events first..first+count-1
// as NDJSON, one line each, to dst.
func (e *Encoder) AppendBatch(dst []byte, first, count uint64) []byte {
	fixed := len(lineStart) + len(bodyValue) + len(lineEnd)
	if e.half {
		fixed += len(bodyHalf)
	}
	bodyLen := 0
	for i := first; i < first+count; i++ {
		bodyLen += fixed + decimalDigits(i%e.users) + decimalDigits(i%valueCycle)
	}
	dst = append(dst, e.batchHead...)
	dst = strconv.AppendUint(dst, uint64(bodyLen), 10)
	dst = append(dst, "\r\n\r\n"...)
	for i := first; i < first+count; i++ {
		dst = append(dst, lineStart...)
		dst = strconv.AppendUint(dst, i%e.users, 10)
		dst = append(dst, bodyValue...)
		dst = strconv.AppendUint(dst, i%valueCycle, 10)
		if e.half {
			dst = append(dst, bodyHalf...)
		}
		dst = append(dst, lineEnd...)
	}
	return dst
}

// decimalDigits is the length of v written in base 10.
func decimalDigits(v uint64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}
