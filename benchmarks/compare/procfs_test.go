package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStatCPU(t *testing.T) {
	// Fields after comm: state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime(14) stime(15) cutime cstime ...
	const tail = " S 1 42 42 0 -1 4194560 1200 0 3 0 1234 567 8 9 20 0 3 0 100 1000000 500"
	cases := []struct {
		name string
		stat string
		want uint64
	}{
		{"plain comm", "42 (onemrcd)" + tail, 1234 + 567},
		{"comm with spaces", "42 (my server)" + tail, 1801},
		{"comm with parentheses and spaces", "42 (a) b (c) 9 9)" + tail, 1801},
		{"comm that is only a parenthesis", "42 ())" + tail, 1801},
		{"trailing newline", "42 (nginx)" + tail + "\n", 1801},
		{"zero times", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tc.stat))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseStatCPURejects(t *testing.T) {
	cases := map[string]string{
		"no comm":         "42 onemrcd S 1 2 3",
		"too few fields":  "42 (onemrcd) S 1 42 42 0 -1 4194560 1200 0 3 0 1234",
		"utime not digit": "42 (x) S 1 42 42 0 -1 4194560 1200 0 3 0 12a4 567 8 9",
		"negative stime":  "42 (x) S 1 42 42 0 -1 4194560 1200 0 3 0 1234 -5 8 9",
	}
	for name, stat := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := parseStatCPU([]byte(stat))
			require.ErrorIs(t, err, errProcFormat)
		})
	}
}

func TestParseStatCPUOfThisProcess(t *testing.T) {
	ticks, err := processCPUTicks(os.Getpid())
	require.NoError(t, err)
	assert.Less(t, ticks, uint64(1)<<40, "a test process has not run for years")
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tonemrcd\nVmPeak:\t  1300000 kB\nVmHWM:\t    18944 kB\nVmRSS:\t    17000 kB\n"
	got, err := parseVmHWM([]byte(status))
	require.NoError(t, err)
	assert.Equal(t, uint64(18944), got)

	_, err = parseVmHWM([]byte("Name:\tx\nVmRSS:\t 1 kB\n"))
	require.ErrorIs(t, err, errProcFormat)
	_, err = parseVmHWM([]byte("VmHWM:\t 12 MB\n"))
	require.ErrorIs(t, err, errProcFormat)

	hwm, err := processPeakRSSKiB(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, hwm)
}

func TestParseCoreTimes(t *testing.T) {
	stat := "cpu  100 0 50 1000 5 0 3 0 0 0\n" +
		"cpu0 60 1 30 400 2 4 3 7 0 0\n" +
		"cpu1 40 0 20 600 3 0 0 0 0 0\n" +
		"cpu10 9 9 9 9 9 9 9 9 0 0\n" +
		"intr 12345\n"
	got, err := parseCoreTimes([]byte(stat), 0)
	require.NoError(t, err)
	assert.Equal(t, coreTimes{Busy: 60 + 1 + 30 + 4 + 3 + 7, Idle: 400 + 2}, got)
	got, err = parseCoreTimes([]byte(stat), 1)
	require.NoError(t, err)
	assert.Equal(t, coreTimes{Busy: 60, Idle: 603}, got, "cpu1 must not match cpu10")

	_, err = parseCoreTimes([]byte(stat), 2)
	require.ErrorIs(t, err, errProcFormat)
	_, err = parseCoreTimes([]byte("cpu0 1 2 3\n"), 0)
	require.ErrorIs(t, err, errProcFormat)

	_, err = readCoreTimes(0)
	require.NoError(t, err)
}
