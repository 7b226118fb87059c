package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// ParseFlags returns parse(os.Args[1:]). parse uses a flag.FlagSet with
// flag.ContinueOnError, which has already printed the usage or the error when
// it returns one: after -h ParseFlags exits 0, after any other error it prints
// "name: err" and exits 2.
func ParseFlags[T any](name string, parse func(args []string) (T, error)) T {
	opts, err := parse(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(2)
	}
	return opts
}

// SignalContext is cancelled on Ctrl-C or SIGTERM; stop releases the signals.
func SignalContext() (ctx context.Context, stop context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Fail prints "name: err" and exits 1: the end of a run that failed.
func Fail(name string, err error) {
	fmt.Fprintln(os.Stderr, name+":", err)
	os.Exit(1)
}
