package app

import (
	"context"
	"fmt"
	"path/filepath"

	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	"github.com/spf13/cast"

	"github.com/w3bd/w3bd/x/applets/vm"
)

// App options (app.toml [applets] or flags) of the node-local applet engine.
// Neither changes results: both engines give identical state and gas.
const (
	// OptAppletEngine is "compiler" (default, native code) or "interpreter".
	OptAppletEngine = "applets.engine"
	// OptAppletCacheDir is where compiled applets are cached; default <home>/data/applets-cache.
	OptAppletCacheDir = "applets.cache-dir"
	// OptAppletWorkers bounds the instances run in parallel (default: one per CPU).
	OptAppletWorkers = "applets.workers"
)

// newAppletEngine builds the node's applet engine. The VM parameters are
// consensus rules fixed with the instrumenter version (vm.DefaultParams).
func newAppletEngine(appOpts servertypes.AppOptions, home string) (*vm.Engine, error) {
	cfg := vm.DefaultConfig()
	switch kind := cast.ToString(appOpts.Get(OptAppletEngine)); kind {
	case "", "compiler":
	case "interpreter":
		cfg.Kind = vm.EngineInterpreter
	default:
		return nil, fmt.Errorf("%s = %q: want compiler or interpreter", OptAppletEngine, kind)
	}
	cfg.CacheDir = cast.ToString(appOpts.Get(OptAppletCacheDir))
	if cfg.CacheDir == "" && home != "" && cfg.Kind == vm.EngineCompiler {
		cfg.CacheDir = filepath.Join(home, "data", "applets-cache")
	}
	return vm.NewEngine(context.Background(), cfg)
}
