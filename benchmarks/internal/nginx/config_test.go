package nginx

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteGivesTheArgsOfItsFile(t *testing.T) {
	dir := t.TempDir()
	c := Config{Dir: dir, Listen: "127.0.0.1:1", Main: []string{"worker_processes 2"}, WorkerConnections: 64,
		HTTP: []string{"client_header_timeout 30s"}}
	args, err := c.Write()
	require.NoError(t, err)
	conf := filepath.Join(dir, "nginx.conf")
	assert.Equal(t, []string{"-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log")}, args)
	written, err := os.ReadFile(conf)
	require.NoError(t, err)
	assert.Equal(t, c.String(), string(written))
	assert.Contains(t, c.String(), "daemon off;\nworker_processes 2;\npid ")
	assert.Contains(t, c.String(), "    keepalive_timeout 75s;\n    client_header_timeout 30s;\n    client_body_temp_path ")
	assert.Contains(t, c.String(), "        listen 127.0.0.1:1;\n")

	bin, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("no nginx to check the file with nginx -t")
	}
	out, err := exec.Command(bin, append([]string{"-t"}, args...)...).CombinedOutput()
	require.NoError(t, err, string(out))
}
