package redistest

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Do renders every RESP2 reply type as its doc says.
func TestDoRendersReplies(t *testing.T) {
	s := Start(t)
	require.Equal(t, "OK", s.Do("SET", "k", "a value\r\nwith CRLF"))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bulk string", []string{"GET", "k"}, "a value\r\nwith CRLF"},
		{"nil bulk string", []string{"GET", "missing"}, ""},
		{"integer", []string{"INCRBY", "n", "-42"}, "-42"},
		{"simple string", []string{"PING"}, "PONG"},
		{"empty bulk string", []string{"ECHO", ""}, ""},
		{"array", []string{"MGET", "n", "missing", "n"}, "-42\n\n-42"},
		{"empty array", []string{"KEYS", "nothing*"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, s.Do(tc.args...))
		})
	}
	assert.True(t, strings.HasPrefix(s.Do("NOSUCHCOMMAND"), "-ERR unknown command"), "an error keeps its '-'")
}

func TestReadReplyRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "\r\n", "?x\r\n", "+OK\n", "$x\r\n", "$-2\r\n", "$3\r\nabcd\r\n", "$3\r\nab", "*-2\r\n", "*2\r\n+a\r\n", "$99999999999\r\n"} {
		_, err := readReply(bufio.NewReader(strings.NewReader(in)))
		assert.Error(t, err, "%q", in)
	}
}

func TestAppendCommand(t *testing.T) {
	assert.Equal(t, "*2\r\n$3\r\nGET\r\n$0\r\n\r\n", string(appendCommand(nil, []string{"GET", ""})))
}

// Restart keeps the port and the directory: a SAVEd dump.rdb comes back, while what was
// written after the SAVE is lost (Stop is a crash). Extra arguments are replaced.
func TestRestartKeepsPortAndDir(t *testing.T) {
	s := Start(t)
	addr := s.Addr()
	require.Equal(t, "OK", s.Do("SET", "saved", "1"))
	require.Equal(t, "OK", s.Do("SAVE"))
	require.Equal(t, "OK", s.Do("SET", "unsaved", "1"))
	assert.FileExists(t, s.Dir()+"/dump.rdb")

	s.Restart("--requirepass", "pw")
	assert.Equal(t, addr, s.Addr())
	assert.Equal(t, "1", s.Do("GET", "saved"), "Do authenticates")
	assert.Equal(t, "", s.Do("GET", "unsaved"))

	s.Restart()
	assert.Equal(t, "1", s.Do("GET", "saved"))
	s.Stop()
	s.Stop() // idempotent
}

func TestRequirePass(t *testing.T) {
	s := Start(t, "--requirepass", "s3cr/et")
	assert.Equal(t, "PONG", s.Do("PING"))
	assert.Equal(t, "redis://"+s.Addr()+"/0", s.URL())
}

func TestSentinelNamesItsMaster(t *testing.T) {
	master := Start(t)
	sentinel := StartSentinel(t, master, "mymaster")
	assert.Equal(t, strings.Replace(master.Addr(), ":", "\n", 1), sentinel.Do("SENTINEL", "get-master-addr-by-name", "mymaster"))
}
