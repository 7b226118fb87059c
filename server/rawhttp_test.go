package main

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawCase sends writes on one connection (pausing between them so they arrive as
// separate reads) and expects these statuses in order, then EOF when closed is set.
type rawCase struct {
	name   string
	writes []string
	want   []int
	closed bool
}

const ev = "POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 24\r\n\r\n{\"userId\":\"r\",\"value\":1}"

func TestRawHTTPOverTheWire(t *testing.T) {
	d := startDaemon(t)
	fifty := strings.Repeat(ev, 49) + "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n"
	cases := []rawCase{
		{name: "pipelined 50 in one write", writes: []string{fifty}, want: repeat(200, 50)},
		{name: "split mid request line", writes: []string{"GET /hea", "lth HTTP/1.1\r\nHo", "st: t\r\n\r\n"}, want: []int{200}},
		{name: "split mid body", writes: []string{ev[:len(ev)-7], ev[len(ev)-7:]}, want: []int{200}},
		{name: "chunked", writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n18;ext=1\r\n{\"userId\":\"r\",\"value\":1}\r\n0\r\nTrailer: x\r\n\r\n"}, want: []int{200}},
		{name: "expect continue", writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 24\r\n\r\n", "{\"userId\":\"r\",\"value\":1}"}, want: []int{100, 200}},
		{name: "connection close", writes: []string{"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"}, want: []int{200}, closed: true},
		{name: "http/1.0", writes: []string{"GET /health HTTP/1.0\r\n\r\n"}, want: []int{200}, closed: true},
		{name: "bad json keeps connection", writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}" + ev}, want: []int{400, 200}},
		{name: "cl and te smuggling", writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + ev}, want: []int{400}, closed: true},
		{name: "duplicate content-length", writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 24\r\nContent-Length: 24\r\n\r\n"}, want: []int{400}, closed: true},
		{name: "body over limit", writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n"}, want: []int{413}, closed: true},
		{name: "not found and wrong method", writes: []string{"GET /x HTTP/1.1\r\nHost: t\r\n\r\nDELETE /stats HTTP/1.1\r\nHost: t\r\n\r\n"}, want: []int{404, 405}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := d.dial()
			br := bufio.NewReader(c)
			for i, w := range tc.writes {
				if i > 0 {
					time.Sleep(30 * time.Millisecond)
				}
				_, err := c.Write([]byte(w))
				require.NoError(t, err)
			}
			for i, want := range tc.want {
				resp, err := http.ReadResponse(br, nil)
				require.NoError(t, err, "response %d", i)
				_, _ = io.Copy(io.Discard, resp.Body)
				assert.Equal(t, want, resp.StatusCode, "response %d", i)
			}
			if tc.closed {
				_, err := br.ReadByte()
				assert.ErrorIs(t, err, io.EOF, "the server closes the connection")
			}
		})
	}
	code, _ := d.get("/health")
	assert.Equal(t, 200, code)
}

func repeat(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}
