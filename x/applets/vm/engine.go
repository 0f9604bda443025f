package vm

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero"
)

// EngineKind selects wazero's backend. Both must produce identical results;
// tests run every fixture under both.
type EngineKind int

const (
	EngineCompiler    EngineKind = iota // native code (amd64, arm64): production
	EngineInterpreter                   // portable, slower: cross-checking and unsupported platforms
)

func (k EngineKind) String() string {
	if k == EngineInterpreter {
		return "interpreter"
	}
	return "compiler"
}

// Config is the node-local engine configuration plus the consensus Params.
type Config struct {
	Kind             EngineKind
	CacheDir         string // optional: wazero's on-disk compilation cache (compiler only)
	MaxCachedModules int    // compiled modules kept in memory (LRU); default 64
	Params           Params
}

// DefaultConfig returns a compiler engine with DefaultParams.
func DefaultConfig() Config {
	return Config{Kind: EngineCompiler, MaxCachedModules: 64, Params: DefaultParams()}
}

// Engine runs applets. It is safe for concurrent use: RunBlock calls for
// different applet instances may run in parallel.
type Engine struct {
	cfg   Config
	rt    wazero.Runtime
	cache wazero.CompilationCache

	mu   sync.Mutex
	mods map[[32]byte]*compiledCode
	tick uint64
}

// compiledCode is one cache entry: an instrumented, compiled module.
type compiledCode struct {
	ready   chan struct{} // closed once mod/info/err are set
	mod     wazero.CompiledModule
	info    moduleInfo
	err     error // deterministic rejection by the instrumenter (cached)
	refs    int
	lastUse uint64
	evicted bool
}

// NewEngine creates the wazero runtime and registers the host modules.
func NewEngine(ctx context.Context, cfg Config) (*Engine, error) {
	if err := cfg.Params.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxCachedModules <= 0 {
		cfg.MaxCachedModules = 64
	}
	var rc wazero.RuntimeConfig
	switch cfg.Kind {
	case EngineCompiler:
		rc = wazero.NewRuntimeConfigCompiler()
	case EngineInterpreter:
		rc = wazero.NewRuntimeConfigInterpreter()
	default:
		return nil, fmt.Errorf("vm: unknown engine kind %d", cfg.Kind)
	}
	rc = rc.WithCoreFeatures(wazeroFeatures).
		WithMemoryLimitPages(cfg.Params.MaxMemoryPages).
		WithCloseOnContextDone(false) // gas, not the context, bounds execution
	e := &Engine{cfg: cfg, mods: map[[32]byte]*compiledCode{}}
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("vm: compilation cache: %w", err)
		}
		e.cache = c
		rc = rc.WithCompilationCache(c)
	}
	e.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	if err := registerHostModules(ctx, e.rt); err != nil {
		_ = e.rt.Close(ctx)
		return nil, err
	}
	return e, nil
}

// Params returns the consensus parameters the engine was built with.
func (e *Engine) Params() Params { return e.cfg.Params }

// Kind returns the wazero backend in use.
func (e *Engine) Kind() EngineKind { return e.cfg.Kind }

// Close releases the runtime and all compiled modules.
func (e *Engine) Close(ctx context.Context) error {
	err := e.rt.Close(ctx)
	if e.cache != nil {
		err = errors.Join(err, e.cache.Close(ctx))
	}
	return err
}

// Precompile instruments and compiles code into the cache (e.g. right after
// upload or at start-up), returning a validation error if it is rejected.
func (e *Engine) Precompile(ctx context.Context, code CodeRef) error {
	c, err := e.acquire(ctx, code)
	if err != nil {
		return err
	}
	e.release(c)
	return nil
}

// acquire returns the compiled module for code, instrumenting and compiling
// it at most once per hash even under concurrent callers.
func (e *Engine) acquire(ctx context.Context, code CodeRef) (*compiledCode, error) {
	e.mu.Lock()
	c, ok := e.mods[code.Hash]
	if !ok {
		c = &compiledCode{ready: make(chan struct{})}
		e.mods[code.Hash] = c
	}
	c.refs++
	e.tick++
	c.lastUse = e.tick
	e.mu.Unlock()

	if !ok {
		c.mod, c.info, c.err = e.compile(ctx, code)
		if c.err != nil && !isValidationError(c.err) {
			// Transient (load/compile) failures are not cached.
			e.mu.Lock()
			if e.mods[code.Hash] == c {
				delete(e.mods, code.Hash)
			}
			e.mu.Unlock()
		}
		close(c.ready)
		e.evict(ctx)
	} else {
		<-c.ready
	}
	if c.err != nil {
		e.release(c)
		return nil, c.err
	}
	return c, nil
}

func (e *Engine) release(c *compiledCode) {
	e.mu.Lock()
	c.refs--
	closeNow := c.evicted && c.refs == 0 && c.mod != nil
	e.mu.Unlock()
	if closeNow {
		_ = c.mod.Close(context.Background())
	}
}

// evict drops least-recently-used entries beyond MaxCachedModules; modules
// still in use are closed by the last release.
func (e *Engine) evict(ctx context.Context) {
	var toClose []wazero.CompiledModule
	e.mu.Lock()
	for len(e.mods) > e.cfg.MaxCachedModules {
		var victimKey [32]byte
		var victim *compiledCode
		for k, c := range e.mods {
			select {
			case <-c.ready:
			default:
				continue // still compiling
			}
			if victim == nil || c.lastUse < victim.lastUse {
				victimKey, victim = k, c
			}
		}
		if victim == nil {
			break
		}
		delete(e.mods, victimKey)
		victim.evicted = true
		if victim.refs == 0 && victim.mod != nil {
			toClose = append(toClose, victim.mod)
		}
	}
	e.mu.Unlock()
	for _, m := range toClose {
		_ = m.Close(ctx)
	}
}

func (e *Engine) compile(ctx context.Context, code CodeRef) (wazero.CompiledModule, moduleInfo, error) {
	if code.Load == nil {
		return nil, moduleInfo{}, fmt.Errorf("vm: no loader for code %x", code.Hash[:8])
	}
	raw, err := code.Load()
	if err != nil {
		return nil, moduleInfo{}, fmt.Errorf("vm: load code %x: %w", code.Hash[:8], err)
	}
	if sha256.Sum256(raw) != code.Hash {
		return nil, moduleInfo{}, fmt.Errorf("vm: code %x: loaded bytes do not match the hash", code.Hash[:8])
	}
	out, info, err := instrument(raw, e.cfg.Params)
	if err != nil {
		return nil, info, err
	}
	cm, err := e.rt.CompileModule(ctx, out)
	if err != nil {
		// Code that passed Validate always compiles (the instrumenter keeps
		// valid modules valid), so this is a bug or a resource failure: an
		// engine error, never a consensus outcome.
		return nil, info, fmt.Errorf("vm: compile instrumented code %x: %w", code.Hash[:8], err)
	}
	return cm, info, nil
}
