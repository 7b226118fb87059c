package main

import (
	"fmt"
	"io"
	"log/slog"
)

// logFormatFlag is -log-format: text (slog's key=value lines, the default) or json (one
// JSON object per line, for a collector).
type logFormatFlag struct{ json bool }

func (f *logFormatFlag) String() string {
	if f != nil && f.json {
		return "json"
	}
	return "text"
}

func (f *logFormatFlag) Set(s string) error {
	switch s {
	case "text":
		f.json = false
	case "json":
		f.json = true
	default:
		return fmt.Errorf("want text or json")
	}
	return nil
}

// logLevelFlag is -log-level: the least severe level logged. Only slog's four names
// are accepted (not slog's "info+2" forms): an operator's typo must not pass.
type logLevelFlag struct{ level slog.Level }

var logLevels = []struct {
	name  string
	level slog.Level
}{{"debug", slog.LevelDebug}, {"info", slog.LevelInfo}, {"warn", slog.LevelWarn}, {"error", slog.LevelError}}

func (f *logLevelFlag) String() string {
	lv := slog.LevelInfo
	if f != nil {
		lv = f.level
	}
	for _, l := range logLevels {
		if l.level == lv {
			return l.name
		}
	}
	return lv.String()
}

func (f *logLevelFlag) Set(s string) error {
	for _, l := range logLevels {
		if l.name == s {
			f.level = l.level
			return nil
		}
	}
	return fmt.Errorf("want debug, info, warn or error")
}

// newLogger is the daemon's logger, writing to w (stderr: journald or the container
// runtime keeps it) as -log-format and -log-level say.
func newLogger(w io.Writer, format logFormatFlag, level logLevelFlag) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level.level}
	if format.json {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
