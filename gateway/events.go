package gateway

import (
	"context"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// EventSource subscribes to the node's events matching a query; each value
// is an event's attributes ("type.key" -> values).
type EventSource func(ctx context.Context, query string) (<-chan map[string][]string, error)

// cometEvents subscribes over the node's RPC websocket.
func cometEvents(nodeURI string) EventSource {
	return func(ctx context.Context, query string) (<-chan map[string][]string, error) {
		c, err := rpchttp.New(nodeURI, "/websocket")
		if err != nil {
			return nil, err
		}
		if err := c.Start(); err != nil {
			return nil, err
		}
		in, err := c.Subscribe(ctx, "w3bd-gateway", query, 1000)
		if err != nil {
			c.Stop()
			return nil, err
		}
		out := make(chan map[string][]string, 100)
		go func() {
			defer close(out)
			defer c.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, open := <-in:
					if !open {
						return
					}
					out <- ev.Events
				}
			}
		}()
		return out, nil
	}
}
