package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	querytypes "github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/w3bd/w3bd/x/devices/devicekey"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// ChainQuerier is what the checker reads from the chain.
type ChainQuerier interface {
	Device(ctx context.Context, id string) (devicestypes.Device, bool, error)
	Stream(ctx context.Context, id uint64) (streamstypes.Stream, bool, error)
	StreamParams(ctx context.Context) (streamstypes.Params, error)
	// DeviceRecord finds the device's record with seq in a stream, if any.
	DeviceRecord(ctx context.Context, device string, stream, seq uint64) (streamstypes.Record, bool, error)
}

// Rejection is an envelope the chain would reject, with its reason code.
type Rejection struct {
	Reason string
	Err    string
}

func (r *Rejection) Error() string { return r.Reason + ": " + r.Err }

func reject(reason, format string, args ...any) *Rejection {
	return &Rejection{Reason: reason, Err: fmt.Sprintf(format, args...)}
}

// Checker applies x/streams' and x/devices' admission rules before an
// envelope costs a transaction, against chain state it caches: entries live
// for TTL and are dropped at once when the chain reports a change (device
// status events, a rejection by the chain).
type Checker struct {
	chainID string
	q       ChainQuerier
	ttl     time.Duration
	now     func() time.Time
	sigs    *verifier

	mu      sync.Mutex
	params  streamstypes.Params
	paramAt time.Time
	devices map[string]*deviceEntry
	streams map[uint64]*streamEntry
}

type deviceEntry struct {
	dev     devicestypes.Device
	found   bool
	key     devicekey.PublicKey
	fetched time.Time
	// reserved is the highest seq this gateway has taken for the device
	// (pending or committed): a lower or equal seq would be stale on chain.
	reserved uint64
	previous uint64 // reserved before the latest reservation, for Release
}

type streamEntry struct {
	stream  streamstypes.Stream
	found   bool
	fetched time.Time
}

// verifyWindow is how long a signature check waits for others to share its
// batch (see verifier).
const verifyWindow = 3 * time.Millisecond

// NewChecker returns a checker for chainID with the given cache TTL.
func NewChecker(chainID string, q ChainQuerier, ttl time.Duration) *Checker {
	return &Checker{chainID: chainID, q: q, ttl: ttl, now: time.Now, sigs: newVerifier(128, verifyWindow),
		devices: map[string]*deviceEntry{}, streams: map[uint64]*streamEntry{}}
}

// Check judges env like the chain would, and on success reserves its seq.
// A *Rejection names the reason; any other error is the chain's being
// unreachable (the envelope should be refused for now, not rejected).
func (c *Checker) Check(ctx context.Context, env *streamstypes.Envelope) error {
	return c.check(ctx, env, false)
}

// check is Check; sigVerified says VerifySignatures found env's signature
// good already.
func (c *Checker) check(ctx context.Context, env *streamstypes.Envelope, sigVerified bool) error {
	params, err := c.streamParams(ctx)
	if err != nil {
		return err
	}
	switch {
	case env.DeviceId == "":
		return reject(streamstypes.ReasonMalformed, "device_id is empty")
	case len(env.Signature) == 0:
		return reject(streamstypes.ReasonMalformed, "signature is empty")
	case env.Seq == 0:
		return reject(streamstypes.ReasonMalformed, "seq must start at 1")
	case len(env.Payload) > int(params.MaxPayloadBytes):
		return reject(streamstypes.ReasonPayloadTooLarge, "%d bytes, at most %d", len(env.Payload), params.MaxPayloadBytes)
	}
	if horizon := uint64(c.now().Add(params.MaxClockSkew).UnixMilli()); env.TimestampMs > horizon {
		return reject(streamstypes.ReasonFutureTimestamp, "timestamp %d ms is ahead of the clock + max_clock_skew", env.TimestampMs)
	}
	if _, err := devicekey.ParseDeviceID(env.DeviceId); err != nil {
		return reject(streamstypes.ReasonMalformed, "%v", err)
	}
	stream, err := c.stream(ctx, env.StreamId)
	if err != nil {
		return err
	}
	if !stream.found {
		return reject(streamstypes.ReasonUnknownStream, "stream %d", env.StreamId)
	}
	if stream.stream.ProducerInstanceId != 0 {
		return reject(streamstypes.ReasonNotDeviceStream, "stream %d carries applet outputs", env.StreamId)
	}
	dev, err := c.device(ctx, env.DeviceId)
	if err != nil {
		return err
	}
	if !dev.found {
		return reject(streamstypes.ReasonUnknownDevice, "%s is not registered", env.DeviceId)
	}
	switch {
	case dev.dev.ProjectId != stream.stream.ProjectId:
		return reject(streamstypes.ReasonWrongProject, "device is in project %d, stream in %d", dev.dev.ProjectId, stream.stream.ProjectId)
	case dev.dev.Status == devicestypes.StatusSuspended:
		return reject(streamstypes.ReasonDeviceSuspended, "%s", env.DeviceId)
	case dev.dev.Status == devicestypes.StatusRevoked:
		return reject(streamstypes.ReasonDeviceRevoked, "%s", env.DeviceId)
	}
	if !sigVerified {
		if err := c.sigs.Verify(dev.key, env.SignBytes(c.chainID), env.Signature); err != nil {
			return reject(streamstypes.ReasonBadSignature, "%v", err)
		}
	}
	return c.reserve(env.DeviceId, env.Seq)
}

// VerifySignatures checks the signatures of envs, whose devices are known,
// as one batch; good[i] says envelope i's signature is valid. Envelopes
// that arrive together (an HTTP array) are so verified at once instead of
// one verifier window each; everything else is left to Check.
func (c *Checker) VerifySignatures(ctx context.Context, envs []streamstypes.Envelope) (good []bool) {
	good = make([]bool, len(envs))
	batch := devicekey.NewBatch(len(envs))
	var added []int
	for i := range envs {
		env := &envs[i]
		if len(env.Signature) == 0 {
			continue
		}
		if _, err := devicekey.ParseDeviceID(env.DeviceId); err != nil {
			continue
		}
		if dev, err := c.device(ctx, env.DeviceId); err == nil && dev.found {
			batch.Add(dev.key, env.SignBytes(c.chainID), env.Signature)
			added = append(added, i)
		}
	}
	for j, err := range batch.Verify() {
		good[added[j]] = err == nil
	}
	return good
}

// reserve takes seq for the device if it is above everything taken so far.
func (c *Checker) reserve(device string, seq uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.devices[device]
	if e == nil {
		return errors.New("device entry evicted during check") // retried by the caller
	}
	last := max(e.reserved, e.dev.LastSeq)
	if seq <= last {
		return reject(streamstypes.ReasonStaleSeq, "seq %d, last taken %d", seq, last)
	}
	e.previous, e.reserved = e.reserved, seq
	return nil
}

// Release undoes the reservation of seq if it is still the latest (the
// envelope could not be spooled, so the device may send it again).
func (c *Checker) Release(device string, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.devices[device]; e != nil && e.reserved == seq {
		e.reserved = e.previous
	}
}

// Reserved primes the seq reservation of a device, e.g. from envelopes the
// spool still holds after a restart.
func (c *Checker) Reserved(device string, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.devices[device]
	if e == nil {
		e = &deviceEntry{}
		c.devices[device] = e
	}
	e.reserved = max(e.reserved, seq)
}

// Forget drops what is cached of a device (its status changed, the chain
// rejected one of its envelopes); its seq reservation stays.
func (c *Checker) Forget(device string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.devices[device]; e != nil {
		e.fetched = time.Time{}
	}
}

// SameOnChain tells whether the chain already holds exactly this envelope
// (a resubmission after a crash, or a device repeating itself), and where.
func (c *Checker) SameOnChain(ctx context.Context, env *streamstypes.Envelope) (streamstypes.Record, bool, error) {
	rec, ok, err := c.q.DeviceRecord(ctx, env.DeviceId, env.StreamId, env.Seq)
	if err != nil || !ok {
		return rec, false, err
	}
	hash := sha256.Sum256(env.Payload)
	same := rec.StreamId == env.StreamId && rec.TimestampMs == env.TimestampMs && bytes.Equal(rec.PayloadHash, hash[:])
	return rec, same, nil
}

func (c *Checker) streamParams(ctx context.Context) (streamstypes.Params, error) {
	c.mu.Lock()
	if !c.paramAt.IsZero() && c.now().Sub(c.paramAt) < c.ttl {
		p := c.params
		c.mu.Unlock()
		return p, nil
	}
	c.mu.Unlock()
	p, err := c.q.StreamParams(ctx)
	if err != nil {
		return p, fmt.Errorf("chain unreachable: stream params: %w", err)
	}
	c.mu.Lock()
	c.params, c.paramAt = p, c.now()
	c.mu.Unlock()
	return p, nil
}

func (c *Checker) stream(ctx context.Context, id uint64) (streamEntry, error) {
	c.mu.Lock()
	e := c.streams[id]
	if e != nil && c.now().Sub(e.fetched) < c.ttl {
		v := *e
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	s, found, err := c.q.Stream(ctx, id)
	if err != nil {
		return streamEntry{}, fmt.Errorf("chain unreachable: stream %d: %w", id, err)
	}
	v := streamEntry{stream: s, found: found, fetched: c.now()}
	c.mu.Lock()
	c.streams[id] = &v
	c.mu.Unlock()
	return v, nil
}

func (c *Checker) device(ctx context.Context, id string) (deviceEntry, error) {
	c.mu.Lock()
	e := c.devices[id]
	if e != nil && !e.fetched.IsZero() && c.now().Sub(e.fetched) < c.ttl {
		v := *e
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	d, found, err := c.q.Device(ctx, id)
	if err != nil {
		return deviceEntry{}, fmt.Errorf("chain unreachable: device %s: %w", id, err)
	}
	v := deviceEntry{dev: d, found: found, fetched: c.now()}
	if found {
		if v.key, err = devicekey.ParsePublicKey(devicekey.Algo(d.Algo), d.PubKey); err != nil {
			return deviceEntry{}, fmt.Errorf("device %s: stored key: %w", id, err)
		}
	}
	c.mu.Lock()
	if old := c.devices[id]; old != nil {
		v.reserved, v.previous = old.reserved, old.previous
	}
	c.devices[id] = &v
	c.mu.Unlock()
	return v, nil
}

// grpcChain reads the chain through its gRPC query services.
type grpcChain struct {
	devices devicestypes.QueryClient
	streams streamstypes.QueryClient
}

func isNotFound(err error) bool { return status.Code(err) == codes.NotFound }

func (g grpcChain) Device(ctx context.Context, id string) (devicestypes.Device, bool, error) {
	res, err := g.devices.Device(ctx, &devicestypes.QueryDeviceRequest{DeviceId: id})
	if isNotFound(err) {
		return devicestypes.Device{}, false, nil
	}
	if err != nil {
		return devicestypes.Device{}, false, err
	}
	return res.Device, true, nil
}

func (g grpcChain) Stream(ctx context.Context, id uint64) (streamstypes.Stream, bool, error) {
	res, err := g.streams.Stream(ctx, &streamstypes.QueryStreamRequest{Id: id})
	if isNotFound(err) {
		return streamstypes.Stream{}, false, nil
	}
	if err != nil {
		return streamstypes.Stream{}, false, err
	}
	return res.Stream, true, nil
}

func (g grpcChain) StreamParams(ctx context.Context) (streamstypes.Params, error) {
	res, err := g.streams.Params(ctx, &streamstypes.QueryParamsRequest{})
	if err != nil {
		return streamstypes.Params{}, err
	}
	return res.Params, nil
}

// DeviceRecord pages through the device's records in the stream, newest
// first, until it finds seq or passes below it: within a stream a device's
// seqs grow with the record index.
func (g grpcChain) DeviceRecord(ctx context.Context, device string, stream, seq uint64) (streamstypes.Record, bool, error) {
	req := &streamstypes.QueryDeviceRecordsRequest{DeviceId: device, StreamId: stream, Pagination: &querytypes.PageRequest{Limit: 100, Reverse: true}}
	for {
		res, err := g.streams.DeviceRecords(ctx, req)
		if err != nil {
			return streamstypes.Record{}, false, err
		}
		for _, r := range res.Records {
			if r.Seq == seq {
				return r, true, nil
			}
			if r.Seq < seq {
				return streamstypes.Record{}, false, nil
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return streamstypes.Record{}, false, nil
		}
		req.Pagination.Key = res.Pagination.NextKey
	}
}
