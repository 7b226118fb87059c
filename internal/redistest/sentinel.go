package redistest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// StartSentinel starts a redis-sentinel (redis-server --sentinel) that watches master
// under the name masterName, with a quorum of 1: alone, it can declare the master down.
// If master was started with --requirepass, the sentinel is given the password. It
// returns once the sentinel answers PING; ask it SENTINEL get-master-addr-by-name.
func StartSentinel(t testing.TB, master *Server, masterName string) *Server {
	t.Helper()
	// A sentinel rewrites its config file, so the file must be its own and writable.
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	text := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 2000\n",
		masterName, master.port, masterName)
	if pw := master.password(); pw != "" {
		text += fmt.Sprintf("sentinel auth-pass %s %s\n", masterName, strconv.Quote(pw))
	}
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return start(t, freePort(t), []string{conf, "--sentinel"}, nil, nil)
}
