package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// doTimeout bounds one Do: dialing, writing and reading the reply.
const doTimeout = 10 * time.Second

// maxBulk caps the length of one bulk string Do reads: a test's replies are small, and a
// garbled length must not allocate gigabytes.
const maxBulk = 64 << 20

// Do sends one command on a connection of its own (after AUTH, when the server was
// started with --requirepass) and returns the reply as text: a bulk string's value ("" for
// nil), an integer in decimal, a simple string without its '+', an error with its '-'
// ("-ERR unknown command ..."), and an array as its elements' texts, one per line ("" for
// nil or empty). An I/O error fails the test.
func (s *Server) Do(args ...string) string {
	s.t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr(), doTimeout)
	if err != nil {
		s.t.Fatalf("redistest: %s: %v", s.Addr(), err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(doTimeout)); err != nil {
		s.t.Fatalf("redistest: %s: %v", s.Addr(), err)
	}
	r := bufio.NewReader(c)
	if pw := s.password(); pw != "" {
		if reply := s.roundTrip(c, r, "AUTH", pw); reply != "OK" {
			s.t.Fatalf("redistest: %s answered AUTH with %q", s.Addr(), reply)
		}
	}
	return s.roundTrip(c, r, args...)
}

// roundTrip writes one command and reads its reply, failing the test on an I/O error.
func (s *Server) roundTrip(c net.Conn, r *bufio.Reader, args ...string) string {
	s.t.Helper()
	if _, err := c.Write(appendCommand(nil, args)); err != nil {
		s.t.Fatalf("redistest: %s: sending %s: %v", s.Addr(), commandName(args), err)
	}
	reply, err := readReply(r)
	if err != nil {
		s.t.Fatalf("redistest: %s: reading the reply to %s: %v", s.Addr(), commandName(args), err)
	}
	return reply
}

// commandName is what errors call a command: its name, not its arguments (a password).
func commandName(args []string) string {
	if len(args) == 0 {
		return "an empty command"
	}
	return strings.ToUpper(args[0])
}

// appendCommand appends args as a RESP array of bulk strings, the form every Redis
// command takes: *<n>\r\n then $<len>\r\n<bytes>\r\n for each argument.
func appendCommand(dst []byte, args []string) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, "\r\n"...)
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, "\r\n"...)
		dst = append(dst, a...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// readReply reads one RESP2 reply and renders it as Do documents.
func readReply(r *bufio.Reader) (string, error) {
	line, err := readLine(r)
	if err != nil {
		return "", err
	}
	if line == "" {
		return "", errors.New("an empty reply line")
	}
	switch body := line[1:]; line[0] {
	case '+', ':':
		return body, nil
	case '-':
		return line, nil
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > maxBulk {
			return "", fmt.Errorf("a bad bulk length %q", body)
		}
		if n == -1 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		if string(buf[n:]) != "\r\n" {
			return "", errors.New("a bulk string not ended by CRLF")
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > maxBulk {
			return "", fmt.Errorf("a bad array length %q", body)
		}
		elems := make([]string, 0, max(n, 0))
		for range n {
			e, err := readReply(r)
			if err != nil {
				return "", err
			}
			elems = append(elems, e)
		}
		return strings.Join(elems, "\n"), nil
	default:
		return "", fmt.Errorf("an unknown reply type %q", line[0])
	}
}

// readLine reads a line ended by CRLF and returns it without the CRLF.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", errors.New("a reply line not ended by CRLF")
	}
	return line[:len(line)-2], nil
}
