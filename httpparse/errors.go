package httpparse

import "errors"

// ErrNeedMore means buf holds only a prefix of a request that could still be
// valid; call Parse again with at least Request.Need bytes. It is not an *Error.
var ErrNeedMore = errors.New("httpparse: need more data")

// Error is a malformed or over-limit request. Every *Error is a framing error:
// the caller answers Status with Reason and closes the connection.
type Error struct {
	Status int    // 400, 413, 414, 417, 431, 501 or 505
	Reason string // short, lower-case English, safe inside a JSON string
	code   int    // 1 + the position in Errors; 0 for an Error made elsewhere
}

// Error returns "httpparse: " + Reason.
func (e *Error) Error() string { return "httpparse: " + e.Reason }

// The sentinel errors below are the only *Error values Parse returns; compare
// them by identity (err == ErrBadHeader) or with errors.Is.
var (
	// ErrBadRequestLine: the request line is not method SP request-target SP HTTP-version CRLF (RFC 9112 §3).
	ErrBadRequestLine = &Error{Status: 400, Reason: "malformed request line", code: 1}
	// ErrBadMethod: the method is not a token (RFC 9110 §9.1, §5.6.2).
	ErrBadMethod = &Error{Status: 400, Reason: "invalid method", code: 2}
	// ErrBadTarget: the request-target fits none of the forms allowed for its method (RFC 9112 §3.2).
	ErrBadTarget = &Error{Status: 400, Reason: "invalid request target", code: 3}
	// ErrBadVersion: the HTTP-version is not "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3).
	ErrBadVersion = &Error{Status: 400, Reason: "malformed http version", code: 4}
	// ErrVersionNotSupported: a well-formed HTTP-version whose major version is not 1 (RFC 9110 §15.6.6).
	ErrVersionNotSupported = &Error{Status: 505, Reason: "http version not supported", code: 5}
	// ErrRequestLineTooLong: the request line exceeds Limits.MaxRequestLine (RFC 9112 §3).
	ErrRequestLineTooLong = &Error{Status: 414, Reason: "request line too long", code: 6}
	// ErrHeadersTooLarge: the header or trailer section exceeds Limits.MaxHeaderBytes or Limits.MaxHeaders (RFC 6585 §5).
	ErrHeadersTooLarge = &Error{Status: 431, Reason: "header section too large", code: 7}
	// ErrBadHeader: a field line has a bad name, whitespace before the colon, no colon or a bad value byte (RFC 9112 §5).
	ErrBadHeader = &Error{Status: 400, Reason: "malformed header field", code: 8}
	// ErrObsFold: a field line starts with whitespace (obsolete line folding, RFC 9112 §5.2).
	ErrObsFold = &Error{Status: 400, Reason: "obsolete line folding", code: 9}
	// ErrBadLineEnding: a bare LF or bare CR where framing expects CRLF (RFC 9112 §2.2).
	ErrBadLineEnding = &Error{Status: 400, Reason: "bare cr or lf", code: 10}
	// ErrMissingHost: an HTTP/1.1 request without a Host field (RFC 9112 §3.2).
	ErrMissingHost = &Error{Status: 400, Reason: "missing host header", code: 11}
	// ErrDuplicateHost: more than one Host field line (RFC 9112 §3.2).
	ErrDuplicateHost = &Error{Status: 400, Reason: "duplicate host header", code: 12}
	// ErrBadContentLength: a Content-Length that is not 1*DIGIT of at most 18 digits (RFC 9110 §8.6).
	ErrBadContentLength = &Error{Status: 400, Reason: "invalid content-length", code: 13}
	// ErrDuplicateContentLength: a second Content-Length field line, even an identical one (RFC 9112 §6.3).
	ErrDuplicateContentLength = &Error{Status: 400, Reason: "duplicate content-length", code: 14}
	// ErrContentLengthWithTransferEncoding: both Content-Length and Transfer-Encoding (RFC 9112 §6.1).
	ErrContentLengthWithTransferEncoding = &Error{Status: 400, Reason: "content-length with transfer-encoding", code: 15}
	// ErrBadTransferEncoding: chunked twice or not last, an empty coding list, or TE in HTTP/1.0 (RFC 9112 §6.1).
	ErrBadTransferEncoding = &Error{Status: 400, Reason: "invalid transfer-encoding", code: 16}
	// ErrUnsupportedTransferEncoding: a transfer coding other than chunked (RFC 9112 §6.1).
	ErrUnsupportedTransferEncoding = &Error{Status: 501, Reason: "unsupported transfer-encoding", code: 17}
	// ErrBadChunk: malformed chunk size, chunk extension, chunk data end or trailer field (RFC 9112 §7.1).
	ErrBadChunk = &Error{Status: 400, Reason: "malformed chunked body", code: 18}
	// ErrBodyTooLarge: the decoded body, or the raw chunked framing, exceeds its limit (RFC 9110 §15.5.14).
	ErrBodyTooLarge = &Error{Status: 413, Reason: "body too large", code: 19}
	// ErrTooManyChunks: a chunked body of more than 1,024 data chunks, or one per 64
	// bytes of a larger body limit (413).
	ErrTooManyChunks = &Error{Status: 413, Reason: "too many chunks", code: 20}
	// ErrExpectationFailed: an Expect value other than 100-continue (RFC 9110 §10.1.1).
	ErrExpectationFailed = &Error{Status: 417, Reason: "expectation failed", code: 21}
)

// Errors is the catalogue of the sentinels, in code order: per-error counters index an
// array of NumErrorCodes by Code and name their series by Reason.
var Errors = [...]*Error{
	ErrBadRequestLine,
	ErrBadMethod,
	ErrBadTarget,
	ErrBadVersion,
	ErrVersionNotSupported,
	ErrRequestLineTooLong,
	ErrHeadersTooLarge,
	ErrBadHeader,
	ErrObsFold,
	ErrBadLineEnding,
	ErrMissingHost,
	ErrDuplicateHost,
	ErrBadContentLength,
	ErrDuplicateContentLength,
	ErrContentLengthWithTransferEncoding,
	ErrBadTransferEncoding,
	ErrUnsupportedTransferEncoding,
	ErrBadChunk,
	ErrBodyTooLarge,
	ErrTooManyChunks,
	ErrExpectationFailed,
}

// NumErrorCodes is the number of distinct codes: one per sentinel and one for any other
// *Error.
const NumErrorCodes = len(Errors) + 1

// Code is e's position in Errors, or len(Errors) for an *Error that is not a sentinel.
// It is a field read: the error path of the hot loop does not search.
func (e *Error) Code() int {
	if e.code == 0 {
		return len(Errors)
	}
	return e.code - 1
}
