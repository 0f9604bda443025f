package spool

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashOpts makes segments small so that a crash lands amid rotations,
// carry-forwards and deletions too, not only amid appends.
var crashOpts = Options{MaxSegmentBytes: 16 << 10}

// TestCrashChild is the process TestCrashRecovery kills. It appends
// continuously from several goroutines and reports on stdout, one write
// per line (atomic on a pipe):
//
//	A dev first n      dev/first..first+n-1 are durable (Append returned)
//	M dev seq...       about to mark these final (they may vanish from now on)
//	C dev seq...       their final state is fsynced (must never come back as pending)
//
// Keys with seq%3 == 0 are never marked: they must stay pending forever.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("GO_SPOOL_CRASH_DIR")
	if dir == "" {
		t.Skip("helper process: runs only when TestCrashRecovery re-executes the test binary with GO_SPOOL_CRASH_DIR set")
	}
	round := os.Getenv("GO_SPOOL_CRASH_ROUND")
	if os.Getenv("GO_SPOOL_CRASH_TEAR") != "" {
		// Die in the middle of a write, some batches in: a torn tail.
		countdown := 5 + rand.IntN(60)
		testHookBeforeWrite = func(f *os.File, data []byte) {
			if countdown--; countdown > 0 || len(data) < 2 {
				return
			}
			f.Write(data[:1+rand.IntN(len(data)-1)])
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	s, err := Open(dir, crashOpts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child Open:", err)
		os.Exit(2)
	}
	var outMu sync.Mutex
	emit := func(line string) {
		outMu.Lock()
		defer outMu.Unlock()
		if _, err := os.Stdout.WriteString(line); err != nil {
			os.Exit(4)
		}
	}
	fail := func(what string, err error) {
		fmt.Fprintln(os.Stderr, "child", what+":", err)
		os.Exit(3)
	}
	emit("READY\n")
	go func() { // large envelopes make long writes, so some kills land mid-write
		dev := fmt.Sprintf("r%s-big", round)
		for seq := uint64(1); ; seq++ {
			r := item(dev, seq)
			r.Data = bigPayload(seq)
			if _, err := s.Append([]Record{r}); err != nil {
				fail("Append", err)
			}
			emit(fmt.Sprintf("A %s %d 1\n", dev, seq))
			emit(fmt.Sprintf("M %s %d\n", dev, seq))
			if err := s.MarkCommitted([]Key{r.Key}, 1, "TX"); err != nil {
				fail("MarkCommitted", err)
			}
		}
	}()
	for w := range 6 {
		go func() {
			dev := fmt.Sprintf("r%s-w%d", round, w)
			var seq uint64
			var acked []Key
			for {
				n := 1 + rand.IntN(8)
				batch := make([]Record, n)
				for i := range batch {
					seq++
					batch[i] = item(dev, seq)
				}
				if _, err := s.Append(batch); err != nil {
					fail("Append", err)
				}
				emit(fmt.Sprintf("A %s %d %d\n", dev, batch[0].Key.Seq, n))
				acked = append(acked, keysOf(batch)...)
				if len(acked) < 24 {
					continue
				}
				var fin []Key
				var line strings.Builder
				for _, k := range acked {
					if k.Seq%3 != 0 {
						fin = append(fin, k)
						fmt.Fprintf(&line, " %d", k.Seq)
					}
				}
				emit("M " + dev + line.String() + "\n")
				if err := s.MarkSubmitted(acked, "TX-"+dev); err != nil {
					fail("MarkSubmitted", err)
				}
				if err := s.MarkCommitted(fin[:len(fin)/2], int64(seq), "TX-"+dev); err != nil {
					fail("MarkCommitted", err)
				}
				for _, k := range fin[len(fin)/2:] {
					if err := s.MarkRejected(k, "stale_seq"); err != nil {
						fail("MarkRejected", err)
					}
				}
				if rand.IntN(2) == 0 { // otherwise leave them to the next group commit
					if err := s.Sync(); err != nil {
						fail("Sync", err)
					}
					emit("C " + dev + line.String() + "\n")
				}
				acked = acked[:0]
			}
		}()
	}
	select {}
}

func bigPayload(seq uint64) []byte {
	b := make([]byte, 64<<10+int(seq%7)*8<<10)
	for i := range b {
		b[i] = byte(seq + uint64(i)*7)
	}
	return b
}

type crashLog struct {
	acked   map[Key]bool
	marked  map[Key]bool
	durable map[Key]bool // final state fsynced
}

func (l *crashLog) parse(t *testing.T, line string) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return
	}
	num := func(s string) uint64 {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Errorf("bad child line %q", line)
		}
		return n
	}
	switch f[0] {
	case "A":
		first, n := num(f[2]), num(f[3])
		for i := range n {
			l.acked[Key{f[1], first + i}] = true
		}
	case "M", "C":
		for _, s := range f[2:] {
			k := Key{f[1], num(s)}
			if f[0] == "M" {
				l.marked[k] = true
			} else {
				l.durable[k] = true
			}
		}
	}
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv("GO_SPOOL_CRASH_DIR") != "" {
		t.Skip("inside TestCrashRecovery's child process (GO_SPOOL_CRASH_DIR set): the parent runs this test")
	}
	dir := t.TempDir()
	log := &crashLog{acked: map[Key]bool{}, marked: map[Key]bool{}, durable: map[Key]bool{}}
	rounds := 6
	if testing.Short() {
		rounds = 3
	}
	truncated := 0
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GO_SPOOL_CRASH_DIR="+dir, fmt.Sprint("GO_SPOOL_CRASH_ROUND=", round))
		tear := round%2 == 1 // odd rounds: the child kills itself mid-write
		if tear {
			cmd.Env = append(cmd.Env, "GO_SPOOL_CRASH_TEAR=1")
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())

		ready := make(chan struct{})
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			r := bufio.NewReader(out)
			for {
				line, err := r.ReadString('\n')
				if err != nil { // EOF: a line cut short by the kill is not an ack
					return
				}
				if line == "READY\n" {
					close(ready)
				}
				lines <- line
			}
		}()
		select {
		case <-ready:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("child never became ready: %s", stderr.String())
		}
		if tear {
			// The child kills itself mid-write; lines arrive until then.
			stuck := time.AfterFunc(60*time.Second, func() { cmd.Process.Signal(syscall.SIGKILL) })
			defer stuck.Stop()
		} else {
			time.Sleep(time.Duration(50+rand.IntN(350)) * time.Millisecond)
			cmd.Process.Signal(syscall.SIGKILL) // an error here means it died already: Wait reports how
		}
		n := 0
		for line := range lines {
			log.parse(t, line)
			n++
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child did not die by SIGKILL (%v): %s", round, err, stderr.String())
		}

		s, err := Open(dir, crashOpts)
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		rc := s.Recovery()
		if rc.TruncatedBytes > 0 {
			truncated++
		}
		if tear && rc.TruncatedBytes == 0 {
			t.Logf("round %d: the torn write ended on a record boundary", round)
		}
		if !tear && rc.TruncatedBytes > 0 {
			t.Logf("round %d: a SIGKILL from outside landed mid-write", round)
		}
		segs := segFiles(t, dir)
		var size int64
		for _, p := range segs {
			if fi, err := os.Stat(p); err == nil {
				size += fi.Size()
			}
		}
		t.Logf("round %d: %d lines, %d acked so far; recovery %+v; after Open: segments %s..%s (%d KiB), %d pending",
			round, n, len(log.acked), rc, filepath.Base(segs[0]), filepath.Base(segs[len(segs)-1]), size>>10, s.PendingCount())
		log.check(t, s)
		must(t, s.Close())
	}
	t.Logf("%d of %d crashes left a torn tail", truncated, rounds)
	if truncated == 0 {
		t.Error("no crash left a torn tail: the truncation path was not exercised")
	}
	if len(log.acked) == 0 {
		t.Fatal("the child acknowledged nothing")
	}
}

func (l *crashLog) check(t *testing.T, s *Spool) {
	t.Helper()
	for k := range l.acked {
		r, ok := s.Get(k)
		switch {
		case !ok && !l.marked[k]:
			t.Fatalf("acknowledged %v lost", k)
		case !ok:
			// finalized, fsynced, compacted away: fine
		case l.durable[k] && !r.Status.Final():
			t.Fatalf("%v resurrected as %v after its final state was fsynced", k, r.Status)
		case !l.marked[k] && r.Status.Final():
			t.Fatalf("%v final without being marked", k)
		case !r.Status.Final() && strings.HasSuffix(k.Device, "-big") && string(r.Data) != string(bigPayload(k.Seq)):
			t.Fatalf("%v: data damaged", k)
		case !r.Status.Final() && !strings.HasSuffix(k.Device, "-big") && string(r.Data) != string(payload(k.Device, k.Seq)):
			t.Fatalf("%v: data damaged", k)
		}
	}
	last := map[string]uint64{}
	for _, r := range s.Pending() {
		if r.Status.Final() {
			t.Fatalf("final %v in Pending", r.Key)
		}
		if r.Key.Seq <= last[r.Key.Device] {
			t.Fatalf("Pending out of receive order at %v", r.Key)
		}
		last[r.Key.Device] = r.Key.Seq
	}
}
