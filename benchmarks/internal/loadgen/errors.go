package loadgen

import "errors"

// ErrNeedMore means the buffer ends inside a response; read more bytes.
var ErrNeedMore = errors.New("loadgen: incomplete response")

// ErrMalformedResponse means the daemon sent bytes that are not an HTTP/1.1 response.
var ErrMalformedResponse = errors.New("loadgen: malformed response")

// ErrUnsupportedResponse means a response framing this client does not read (chunked, no length).
var ErrUnsupportedResponse = errors.New("loadgen: unsupported response framing")

// ErrResponseTooLarge means a response header or body exceeded the client's limits.
var ErrResponseTooLarge = errors.New("loadgen: response too large")

// ErrUnsolicitedResponse means a response arrived with no request in flight.
var ErrUnsolicitedResponse = errors.New("loadgen: response without a request")
