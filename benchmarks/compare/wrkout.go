package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// errWrkOutput reports wrk output without the script's report line, or whose
// report disagrees with wrk's own summary text.
var errWrkOutput = errors.New("compare: unusable wrk output")

// wrkReportPrefix starts the line benchmarks/wrk/common.lua prints in done().
const wrkReportPrefix = "ONEMRC_WRK "

// wrkErrors are wrk's error counters. Status counts responses with a status
// above 399; the others are socket errors (a read or write error makes wrk
// reconnect; timeout counts round trips slower than --timeout, 2 s by default).
type wrkErrors struct {
	Connect int64 `json:"connect"`
	Read    int64 `json:"read"`
	Write   int64 `json:"write"`
	Status  int64 `json:"status"`
	Timeout int64 `json:"timeout"`
}

// total is every error wrk saw: socket errors plus error statuses.
func (e wrkErrors) total() int64 {
	return e.Connect + e.Read + e.Write + e.Status + e.Timeout
}

// wrkLatency is one round trip (one batch when pipelined), in microseconds.
type wrkLatency struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
}

// wrkThread says which requests one wrk thread sent: `Calls` writes of
// `depth` requests each, indices First .. First+Calls*depth-1.
type wrkThread struct {
	ID    int   `json:"id"`
	First int64 `json:"first"`
	Calls int64 `json:"calls"`
}

// wrkReport is the script's done() line. Requests counts responses wrk read
// completely.
type wrkReport struct {
	Requests   int64       `json:"requests"`
	DurationUS int64       `json:"duration_us"`
	Bytes      int64       `json:"bytes"`
	Depth      int64       `json:"depth"`
	Errors     wrkErrors   `json:"errors"`
	LatencyUS  wrkLatency  `json:"latency_us"`
	Threads    []wrkThread `json:"threads"`
}

// generated is how many requests wrk built and began to write.
func (r wrkReport) generated() int64 {
	var n int64
	for _, t := range r.Threads {
		n += t.Calls * r.Depth
	}
	return n
}

// reqPerSec is wrk's completed requests over its measured duration.
func (r wrkReport) reqPerSec() float64 {
	if r.DurationUS <= 0 {
		return 0
	}
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

// Lines of wrk's human summary (wrk 4.x), read to cross-check the report.
var (
	wrkRequestsLine = regexp.MustCompile(`(?m)^\s*(\d+) requests in `)
	wrkSocketLine   = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkStatusLine   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)
)

// parseWrkOutput finds the report line in wrk's stdout and checks it against
// wrk's own summary text (requests, socket errors, non-2xx count).
func parseWrkOutput(out []byte) (wrkReport, error) {
	var rep wrkReport
	found := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line, ok := bytes.CutPrefix(sc.Bytes(), []byte(wrkReportPrefix))
		if !ok {
			continue
		}
		if err := json.Unmarshal(line, &rep); err != nil {
			return rep, fmt.Errorf("%w: report line: %v", errWrkOutput, err)
		}
		found = true
	}
	if !found {
		return rep, fmt.Errorf("%w: no %q line", errWrkOutput, wrkReportPrefix)
	}
	if rep.Depth < 1 || len(rep.Threads) == 0 {
		return rep, fmt.Errorf("%w: depth %d, %d threads", errWrkOutput, rep.Depth, len(rep.Threads))
	}

	m := wrkRequestsLine.FindSubmatch(out)
	if m == nil {
		return rep, fmt.Errorf("%w: no \"N requests in\" line", errWrkOutput)
	}
	if n := atoi64(m[1]); n != rep.Requests {
		return rep, fmt.Errorf("%w: summary says %d requests, report %d", errWrkOutput, n, rep.Requests)
	}
	var socket [4]int64
	if m := wrkSocketLine.FindSubmatch(out); m != nil {
		for i := range socket {
			socket[i] = atoi64(m[i+1])
		}
	}
	e := rep.Errors
	if socket != [4]int64{e.Connect, e.Read, e.Write, e.Timeout} {
		return rep, fmt.Errorf("%w: socket errors %v in summary, report %+v", errWrkOutput, socket, e)
	}
	var status int64
	if m := wrkStatusLine.FindSubmatch(out); m != nil {
		status = atoi64(m[1])
	}
	if status != e.Status {
		return rep, fmt.Errorf("%w: %d non-2xx in summary, report %d", errWrkOutput, status, e.Status)
	}
	return rep, nil
}

// atoi64 parses digits the regexps already matched.
func atoi64(b []byte) int64 {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		panic("BUG: regexp matched non-digits: " + err.Error())
	}
	return n
}
