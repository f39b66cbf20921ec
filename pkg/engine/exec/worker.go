package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/record"
)

// closeGrace is how long a worker process may take to exit once its
// stdin is closed before it is killed.
const closeGrace = 5 * time.Second

// worker is one engine process in worker mode (ENGINES.md §2). It is
// used by one goroutine at a time (engine.Worker).
type worker struct {
	*common
	hello []byte // the encoded hello message, sent to every process
	p     *proc  // nil after the process died or was killed
	// stderr keeps the tail of every process of this worker: after a
	// replacement, the dead one's last words stay visible.
	stderr tail
}

// proc is a running engine process.
type proc struct {
	cmd    *osexec.Cmd
	in     *os.File // its stdin (our end)
	out    *os.File // its stdout (our end)
	exited chan struct{}
	err    error // Wait's result, set before exited is closed
	engine string
}

func startWorker(ctx context.Context, c *common) (*worker, error) {
	sysBytes, _, err := record.Encode(c.rec)
	if err != nil {
		return nil, err
	}
	hello, err := codec.Marshal(Hello{Type: TypeHello, Protocol: Protocol, Worker: c.worker, System: sysBytes})
	if err != nil {
		return nil, err
	}
	w := &worker{common: c, hello: hello}
	if err := w.start(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// start starts a process and waits for its ready.
func (w *worker) start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cmd := osexec.Command(w.cfg.Command[0], w.cfg.Command[1:]...)
	cmd.Env = append(os.Environ(), "WE_WORKER="+strconv.Itoa(w.worker), "WE_PROTOCOL="+strconv.Itoa(Protocol))
	cmd.Env = append(cmd.Env, w.cfg.Env...)
	inR, inW, err := os.Pipe()
	if err != nil {
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, &w.stderr
	// The stderr copier ends when every holder of the pipe has closed it;
	// a grandchild that outlives a killed group must not hold Wait up.
	cmd.WaitDelay = time.Second
	ownGroup(cmd)
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return fmt.Errorf("start %s: %w", w.commandLine(), err)
	}
	p := &proc{cmd: cmd, in: inW, out: outR, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	w.p = p
	stop := context.AfterFunc(ctx, func() { killGroup(cmd) })
	defer stop()
	if err := w.exchange(w.hello, w.deadline()); err != nil {
		return w.fail(ctx, fmt.Errorf("start %s", w.commandLine()), err)
	}
	b, err := w.read(w.deadline())
	if err != nil {
		return w.fail(ctx, fmt.Errorf("start %s", w.commandLine()), err)
	}
	var r Ready
	if err := codec.UnmarshalStrict(b, &r); err != nil || r.Type != TypeReady {
		typ, _ := messageType(b)
		if typ == TypeError {
			var e Reply
			codec.UnmarshalStrict(b, &e)
			return w.fail(ctx, fmt.Errorf("start %s", w.commandLine()), fmt.Errorf("the engine refused: %s", e.Message))
		}
		return w.fail(ctx, fmt.Errorf("start %s", w.commandLine()), &malformed{fmt.Errorf("answer to hello is not a ready message (%v)", err)})
	}
	if r.Protocol != Protocol {
		return w.fail(ctx, fmt.Errorf("start %s", w.commandLine()), &malformed{fmt.Errorf("the engine speaks protocol %d, wepipe %d", r.Protocol, Protocol)})
	}
	p.engine = r.Engine
	return nil
}

// deadline is the end of a walker's (or a start's) time limit, or zero.
func (w *worker) deadline() time.Time {
	if w.cfg.Timeout <= 0 {
		return time.Time{}
	}
	return time.Now().Add(w.cfg.Timeout)
}

// exchange writes one framed message to the process.
func (w *worker) exchange(msg []byte, deadline time.Time) error {
	w.p.in.SetWriteDeadline(deadline)
	return writeFrame(w.p.in, msg)
}

// read reads one message from the process.
func (w *worker) read(deadline time.Time) ([]byte, error) {
	w.p.out.SetReadDeadline(deadline)
	b, err := ReadMessage(w.p.out)
	if errors.Is(err, ErrFrame) {
		return nil, &malformed{err}
	}
	return b, err
}

// malformed marks a protocol violation by the engine.
type malformed struct{ err error }

func (m *malformed) Error() string { return "malformed answer: " + m.err.Error() }

// fail ends the process after err and returns the error to report, with
// what is known of why: the interrupt, the time limit, the exit status or
// signal, and the tail of stderr.
func (w *worker) fail(ctx context.Context, what error, err error) error {
	p := w.p
	w.p = nil
	var why string
	switch {
	case ctx.Err() != nil:
		killGroup(p.cmd)
		<-p.exited
		p.close()
		return fmt.Errorf("%v: %w", what, context.Cause(ctx))
	case errors.Is(err, os.ErrDeadlineExceeded):
		killGroup(p.cmd)
		why = fmt.Sprintf("no answer within %v (exec.timeout); the engine was killed", w.cfg.Timeout)
	case isMalformed(err):
		killGroup(p.cmd)
		why = err.Error() + "; the engine was killed"
	default:
		// The process closed its end (EOF, broken pipe): it exited or is
		// exiting. Give it a moment to say how.
		select {
		case <-p.exited:
		case <-time.After(closeGrace):
			killGroup(p.cmd)
		}
		why = err.Error()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE) {
			why = "the engine stopped before answering"
		}
	}
	<-p.exited
	p.close()
	if !strings.HasSuffix(why, "killed") {
		why += " (" + exitStatus(p.err) + ")"
	}
	return fmt.Errorf("%v: %s; command %s%s", what, why, w.commandLine(), w.stderrTail())
}

func isMalformed(err error) bool {
	var m *malformed
	return errors.As(err, &m)
}

// stderrTail introduces the tail of the engine's stderr, once what the
// engine wrote before its last answer has arrived.
func (w *worker) stderrTail() string {
	if w.p != nil {
		w.stderr.settle(20*time.Millisecond, 200*time.Millisecond)
	}
	if s := w.stderr.String(); s != "" {
		return "; its stderr ends:" + s
	}
	return "; it wrote nothing to stderr"
}

// exitStatus describes how a process ended: "exit status 3", "signal:
// killed".
func exitStatus(err error) string {
	var ee *osexec.ExitError
	if errors.As(err, &ee) {
		return ee.Error()
	}
	if err != nil {
		return err.Error()
	}
	return "exit status 0"
}

func (p *proc) close() {
	p.in.Close()
	p.out.Close()
}

// Propagate sends one walker to the process and reads its answer. A
// process that died before (an earlier walker's failure) is replaced
// first.
func (w *worker) Propagate(ctx context.Context, in engine.State, req engine.Request) (engine.State, []engine.Frame, error) {
	if err := w.checkInput(in, req); err != nil {
		return engine.State{}, nil, fmt.Errorf("walker %d: %w", req.Walker, err)
	}
	if w.p == nil {
		if err := w.start(ctx); err != nil {
			return engine.State{}, nil, fmt.Errorf("walker %d: replace the dead engine worker %d: %w", req.Walker, w.worker, err)
		}
	}
	st, err := w.stateRecord(in)
	if err != nil {
		return engine.State{}, nil, fmt.Errorf("walker %d: %w", req.Walker, err)
	}
	msg, err := codec.Marshal(Request{
		Type: TypeWalker, Slot: req.Walker, Cycle: req.Cycle, Steps: req.Steps, Frames: req.Frames,
		Seed: req.Rand.Uint64(), State: st,
	})
	if err != nil {
		return engine.State{}, nil, fmt.Errorf("walker %d: %w", req.Walker, err)
	}
	what := fmt.Errorf("walker %d", req.Walker)
	cmd := w.p.cmd
	stop := context.AfterFunc(ctx, func() { killGroup(cmd) })
	defer stop()
	deadline := w.deadline()
	if err := w.exchange(msg, deadline); err != nil {
		return engine.State{}, nil, w.fail(ctx, what, err)
	}
	b, err := w.read(deadline)
	if err != nil {
		return engine.State{}, nil, w.fail(ctx, what, err)
	}
	rep, err := decodeReply(b)
	if err != nil {
		return engine.State{}, nil, w.fail(ctx, what, &malformed{err})
	}
	if rep.Type == TypeError {
		return engine.State{}, nil, fmt.Errorf("walker %d: the engine failed: %s%s", req.Walker, rep.Message, w.stderrTail())
	}
	out, frames, err := w.output(in, req, rep.State, rep.Frames, rep.Obs)
	if err != nil {
		return engine.State{}, nil, fmt.Errorf("walker %d: the engine's result is invalid: %w; command %s%s", req.Walker, err, w.commandLine(), w.stderrTail())
	}
	return out, frames, nil
}

// Close closes the process's stdin, which asks it to exit, and waits for
// it (killing it after closeGrace). An exit status other than 0 is an
// error.
func (w *worker) Close() error {
	p := w.p
	if p == nil {
		return nil
	}
	w.p = nil
	p.in.Close()
	select {
	case <-p.exited:
	case <-time.After(closeGrace):
		killGroup(p.cmd)
		<-p.exited
	}
	p.out.Close()
	if p.err != nil {
		return fmt.Errorf("engine worker %d: %s at exit%s", w.worker, exitStatus(p.err), w.stderrTail())
	}
	return nil
}
