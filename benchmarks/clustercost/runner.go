package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
)

// challengeReport is the part of the challenge runner's -json report this program reads.
type challengeReport struct {
	Pass bool `json:"pass"`
	Load struct {
		ReqPerSec float64 `json:"reqPerSec"`
		Seconds   float64 `json:"seconds"`
		Sent      uint64  `json:"sent"`
		OK        uint64  `json:"ok"`
		Errors    uint64  `json:"errors"`
		Expected  struct {
			Requests uint64 `json:"totalRequests"`
			Users    uint64 `json:"uniqueUsers"`
			Sum      string `json:"sum"`
		} `json:"expected"`
	} `json:"load"`
	Server struct {
		CPUSecondsPer1000 float64 `json:"cpuSecondsPer1000Requests"`
		PeakRSSBytes      int64   `json:"peakRssBytes"`
	} `json:"server"`
	Failures []string `json:"failures"`
}

// runChallenge runs the challenge runner with args plus -json jsonPath and returns its
// report and output. A run that failed its checks still returns its report (nodes3
// judges a cluster's figures itself); only a run that wrote none is an error.
func runChallenge(ctx context.Context, runner, jsonPath string, args ...string) (challengeReport, []byte, error) {
	_ = os.Remove(jsonPath)
	out, runErr := exec.CommandContext(ctx, runner, append(args, "-json", jsonPath)...).CombinedOutput()
	var rep challengeReport
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		return rep, out, fmt.Errorf("challenge runner wrote no report (%v): %w\n%s", runErr, err, out)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return rep, out, fmt.Errorf("challenge report %s: %w", jsonPath, err)
	}
	return rep, out, nil
}
