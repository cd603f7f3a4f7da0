package lab

import (
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// workerPool is the chaos run's `chorusbill work` processes: started with
// an environment each (some with their clock skewed), killed and started
// again, stopped before the checks.
type workerPool struct {
	bin  string
	env  func(i int) []string
	logw io.Writer

	mu     sync.Mutex
	procs  []*exec.Cmd
	exited []chan struct{}
}

func newWorkerPool(bin string, n int, env func(i int) []string, logw io.Writer) *workerPool {
	return &workerPool{bin: bin, env: env, logw: logw, procs: make([]*exec.Cmd, n), exited: make([]chan struct{}, n)}
}

// start starts worker i (again).
func (w *workerPool) start(i int) error {
	cmd := exec.Command(w.bin, "work", "--no-auto-runs")
	cmd.Env, cmd.Stdout, cmd.Stderr = w.env(i), w.logw, w.logw
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start worker %d: %w", i, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	w.mu.Lock()
	w.procs[i], w.exited[i] = cmd, done
	w.mu.Unlock()
	return nil
}

// kill kills worker i (SIGKILL: no chance to hand its tasks back) and
// starts it again.
func (w *workerPool) kill(i int) error {
	w.mu.Lock()
	p, done := w.procs[i], w.exited[i]
	w.mu.Unlock()
	p.Process.Signal(syscall.SIGKILL)
	<-done
	return w.start(i)
}

// stopAll stops the workers and waits for them: the checks read books
// that nothing moves any more (payments keep arriving at the sandbox).
func (w *workerPool) stopAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, p := range w.procs {
		if p == nil {
			continue
		}
		p.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.exited[i]:
		case <-time.After(2 * time.Minute):
			p.Process.Kill()
			<-w.exited[i]
		}
	}
}

// restartExited starts again the workers that exited on their own (as a
// supervisor would) and returns their indexes.
func (w *workerPool) restartExited() ([]int, error) {
	var gone []int
	w.mu.Lock()
	for i, done := range w.exited {
		select {
		case <-done:
			gone = append(gone, i)
		default:
		}
	}
	w.mu.Unlock()
	for _, i := range gone {
		if err := w.start(i); err != nil {
			return gone, err
		}
	}
	return gone, nil
}
