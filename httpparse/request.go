package httpparse

// Request is a view of one parsed request. Every []byte field points into the
// buffer given to Parse (or into the Request's own scratch for a multi-chunk
// body): valid until the caller discards that buffer or calls Parse again;
// copy to keep. The zero value is ready; reuse one Request per event loop.
//
// After an error the fields hold whatever was parsed before it and must not
// be trusted.
type Request struct {
	Method         Method
	MethodName     []byte // the method token as sent (case-sensitive, RFC 9110 §9.1)
	Target         []byte // the raw request-target
	Path           []byte // path of an origin-form or absolute-form target, without query; "*" for asterisk-form; empty for authority-form
	Minor          int    // 0 for HTTP/1.0, 1 for HTTP/1.1 (and for HTTP/1.2-1.9, processed as 1.1 per RFC 9110 §2.5)
	KeepAlive      bool   // persistence after this request per RFC 9112 §9.3
	ExpectContinue bool   // HTTP/1.1 request with "Expect: 100-continue"
	HeaderDone     bool   // the header section was complete (also on ErrNeedMore while waiting for the body)
	Need           int    // on ErrNeedMore: the smallest len(buf) at which Parse can make progress (len(buf)+1 when unknown)
	ContentLength  int64  // -1 when absent
	Chunked        bool   // Transfer-Encoding: chunked
	Host           []byte // the Host field value, OWS trimmed; nil when absent
	ContentType    []byte // the first Content-Type field value, OWS trimmed; nil when absent
	Encoding       Encoding
	Body           []byte // the decoded body (view into buf for Content-Length and for a chunked body with exactly one data chunk; else the scratch)

	// scratch receives the data of a chunked body sent in more than one
	// chunk. It is truncated, never reallocated, per request: it only grows
	// when a body is larger than any seen before on this Request.
	scratch []byte
}

// ReleaseScratch drops the scratch when it grew past keep bytes (one large chunked body),
// so that it does not stay pinned for the life of the Request.
func (r *Request) ReleaseScratch(keep int) {
	if cap(r.scratch) > keep {
		r.scratch = nil
	}
}

// Reset clears every field, keeping the scratch capacity for reuse.
func (r *Request) Reset() {
	*r = Request{ContentLength: -1, scratch: r.scratch[:0]}
}

// Encoding is the content coding a request body was sent in (Content-Encoding,
// RFC 9110 §8.4). The parser frames the body and leaves decoding it to the
// caller; it only names the coding.
type Encoding uint8

const (
	// EncodingIdentity: no Content-Encoding field, or only "identity".
	EncodingIdentity Encoding = iota
	// EncodingGzip: exactly one coding, gzip (or its alias x-gzip, RFC 9110 §8.4.1.3).
	EncodingGzip
	// EncodingOther: any other coding, or more than one coding applied.
	EncodingOther
)
