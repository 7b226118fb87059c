package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// errBadResponse means the daemon's answer was not an HTTP/1.1 response this
// program can frame (status line, headers, Content-Length body).
var errBadResponse = errors.New("hostile: malformed response")

// readResponse reads one response from br and returns its status code and body.
// Only Content-Length framing is understood: the daemon uses nothing else.
func readResponse(br *bufio.Reader) (status int, body []byte, err error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, nil, err
	}
	// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4)
	if len(line) < 12 || !strings.HasPrefix(line, "HTTP/1.") || line[8] != ' ' {
		return 0, nil, fmt.Errorf("%w: status line %q", errBadResponse, line)
	}
	status, err = strconv.Atoi(line[9:12])
	if err != nil {
		return 0, nil, fmt.Errorf("%w: status line %q", errBadResponse, line)
	}
	length := 0
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			return status, nil, err
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			break
		}
		name, value, _ := strings.Cut(h, ":")
		if strings.EqualFold(name, "Content-Length") {
			if length, err = strconv.Atoi(strings.TrimSpace(value)); err != nil || length < 0 {
				return status, nil, fmt.Errorf("%w: Content-Length %q", errBadResponse, value)
			}
		}
	}
	body = make([]byte, length)
	if _, err := io.ReadFull(br, body); err != nil {
		return status, nil, err
	}
	return status, body, nil
}

const healthRequest = "GET /health HTTP/1.1\r\nHost: onemrc\r\n\r\n"

// probeResult is one fresh-connection request.
type probeResult struct {
	status  int
	connect time.Duration // from dial to the connection established
	latency time.Duration // from dial to the end of the response
	err     error
}

// probeOnce opens a fresh connection, asks GET /health and reads the answer, all
// within timeout.
func probeOnce(addr string, timeout time.Duration) probeResult {
	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return probeResult{err: err}
	}
	defer c.Close()
	connect := time.Since(start)
	_ = c.SetDeadline(start.Add(timeout))
	if _, err := io.WriteString(c, healthRequest); err != nil {
		return probeResult{connect: connect, err: err}
	}
	status, _, err := readResponse(bufio.NewReader(c))
	return probeResult{status: status, connect: connect, latency: time.Since(start), err: err}
}

// probeSummary condenses the probes of one scenario.
type probeSummary struct {
	OK, Total   int
	Median, Max time.Duration // over the successful probes, dial to response
	ConnectMax  time.Duration // the longest of their connects
	FirstError  string
	Note        string
}

func summarizeProbes(results []probeResult) probeSummary {
	s := probeSummary{Total: len(results)}
	var lat []time.Duration
	for _, r := range results {
		switch {
		case r.err == nil && r.status == 200:
			s.OK++
			lat = append(lat, r.latency)
			s.ConnectMax = max(s.ConnectMax, r.connect)
		case s.FirstError == "" && r.err != nil:
			s.FirstError = r.err.Error()
		case s.FirstError == "":
			s.FirstError = fmt.Sprintf("status %d", r.status)
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		s.Median, s.Max = lat[len(lat)/2], lat[len(lat)-1]
	}
	return s
}

func (s probeSummary) String() string {
	if s.Total == 0 {
		return "no probe"
	}
	out := fmt.Sprintf("%d/%d answered 200", s.OK, s.Total)
	if s.OK > 0 {
		out += fmt.Sprintf(", median %s, max %s (of which connect: max %s)", ms(s.Median), ms(s.Max), ms(s.ConnectMax))
	}
	if s.FirstError != "" {
		out += "; first failure: " + s.FirstError
	}
	if s.Note != "" {
		out += "; " + s.Note
	}
	return out
}

// ms formats d in milliseconds with two decimals.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}
