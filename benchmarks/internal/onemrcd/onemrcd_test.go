package onemrcd

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestModuleRootHoldsTheServer(t *testing.T) {
	root, err := ModuleRoot(context.Background())
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "server", "main.go"))
	assert.NoError(t, err)
}

func TestFreeLoopbackAddrCanBeListenedOn(t *testing.T) {
	addr, err := FreeLoopbackAddr()
	require.NoError(t, err)
	host, _, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", host)
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	ln.Close()
}
