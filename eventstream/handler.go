// Copyright The netlink_exporter Authors
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package eventstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// Defaults of Options.
const (
	DefaultMaxClients   = 8
	DefaultBuffer       = 4096
	DefaultHeartbeat    = 30 * time.Second
	DefaultWriteTimeout = 10 * time.Second
)

// A Subscriber is a source of events. *netlinkmon.Monitor is one.
type Subscriber interface {
	Subscribe(buffer int, match func(*netlinkmon.Event) bool) *netlinkmon.Subscription
}

// Options configure a Handler. Zero values take the defaults.
type Options struct {
	// MaxClients is how many streams may be open at once; a client over
	// the limit gets 503.
	MaxClients int
	// Buffer is how many events may wait for a client before they are
	// dropped for it. It must hold a batch of the monitor's: a burst
	// read at once, or the links of a namespace that died.
	Buffer int
	// Heartbeat is how long a stream may stay silent before a heartbeat
	// line is written.
	Heartbeat time.Duration
	// WriteTimeout is how long a write may block on a client that does not
	// read before the stream is closed.
	WriteTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxClients <= 0 {
		o.MaxClients = DefaultMaxClients
	}
	if o.Buffer <= 0 {
		o.Buffer = DefaultBuffer
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	return o
}

// A Handler serves event streams.
type Handler struct {
	src   Subscriber
	log   *slog.Logger
	opts  Options
	slots chan struct{}

	mu sync.Mutex
	// closing holds, for each server that served a stream, a channel
	// closed when it shuts down.
	closing map[*http.Server]chan struct{}
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a handler of event streams from src. A nil logger
// discards.
func NewHandler(src Subscriber, logger *slog.Logger, opts Options) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts = opts.withDefaults()
	return &Handler{
		src:     src,
		log:     logger,
		opts:    opts,
		slots:   make(chan struct{}, opts.MaxClients),
		closing: make(map[*http.Server]chan struct{}),
	}
}

// ServeHTTP streams events until the client goes away, the source stops or
// the server shuts down.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "eventstream: only GET streams events", http.StatusMethodNotAllowed)
		return
	}
	match, err := parseFilter(r.URL.Query())
	if err != nil {
		http.Error(w, "eventstream: "+err.Error(), http.StatusBadRequest)
		return
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		w.Header().Set("Retry-After", strconv.Itoa(int(h.opts.Heartbeat.Seconds())))
		http.Error(w, fmt.Sprintf("eventstream: all %d event streams are in use; try again later", h.opts.MaxClients),
			http.StatusServiceUnavailable)
		return
	}
	// Subscribed before the headers go out: a client that has them sees
	// every event from then on.
	sub := h.src.Subscribe(h.opts.Buffer, match)
	defer sub.Close()

	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	s := &stream{
		rc:   http.NewResponseController(w),
		enc:  newEncoder(w),
		sub:  sub,
		opts: h.opts,
	}
	log := h.log.With("client", r.RemoteAddr, "query", r.URL.RawQuery)
	log.Debug("Event stream opened")
	err = s.run(r.Context(), h.shutdown(r))
	log.Debug("Event stream closed", "why", err)
}

// shutdown returns a channel closed when the server serving r shuts down:
// http.Server.Shutdown waits for running handlers, and a stream never ends
// by itself.
func (h *Handler) shutdown(r *http.Request) <-chan struct{} {
	srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server)
	if !ok {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ch, ok := h.closing[srv]
	if !ok {
		ch = make(chan struct{})
		h.closing[srv] = ch
		srv.RegisterOnShutdown(func() { close(ch) })
	}
	return ch
}

// A stream writes the events of one subscription to one client.
type stream struct {
	rc   *http.ResponseController
	enc  *json.Encoder
	sub  *netlinkmon.Subscription
	opts Options
}

var (
	errClientGone = errors.New("client went away")
	errShutdown   = errors.New("server shut down")
	errSourceDone = errors.New("event source stopped")
)

// run writes until the stream ends, and returns why. It wakes once for each
// batch the monitor publishes, and writes the batch with one flush.
func (s *stream) run(ctx context.Context, shutdown <-chan struct{}) error {
	if err := s.rc.Flush(); err != nil {
		return fmt.Errorf("flush headers: %w", err)
	}
	heartbeat := time.NewTimer(s.opts.Heartbeat)
	defer heartbeat.Stop()
	var evs []netlinkmon.Event
	for {
		open := true
		select {
		case <-ctx.Done():
			return errClientGone
		case <-shutdown:
			return errShutdown
		case <-s.sub.Ready():
			evs, open = s.sub.Take(evs)
			if len(evs) == 0 && open {
				continue
			}
		case <-heartbeat.C:
			evs = append(evs[:0], netlinkmon.Event{Type: typeHeartbeat, Time: time.Now()})
		}
		if err := s.write(evs); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		if !open {
			return errSourceDone
		}
		heartbeat.Reset(s.opts.Heartbeat)
	}
}

// write writes evs and flushes them, within the write timeout: a client
// that stops reading blocks the stream only until then. The monitor goes on
// meanwhile, and the client's events are dropped.
func (s *stream) write(evs []netlinkmon.Event) error {
	if len(evs) == 0 {
		return nil
	}
	err := s.rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
	if err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	for i := range evs {
		if err := s.enc.Encode(line(&evs[i])); err != nil {
			return err
		}
	}
	if err := s.rc.Flush(); err != nil {
		return err
	}
	// Without this, the deadline would still hold when the stream ends
	// long after its last write, and the response's final chunk would fail:
	// the client would see a truncated stream, not its end.
	if err := s.rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// newEncoder writes one JSON object per line. Link names are shown as they
// are, not with <, > and & escaped for HTML.
func newEncoder(w http.ResponseWriter) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}
