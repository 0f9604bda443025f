package vm

import "sort"

// overlay buffers one event's state writes; they reach the StateStore only
// if the event succeeds.
type overlay struct {
	store StateStore
	w     map[string]*Write
}

func newOverlay(store StateStore) *overlay {
	return &overlay{store: store, w: map[string]*Write{}}
}

func (o *overlay) get(key []byte) ([]byte, bool) {
	if w, ok := o.w[string(key)]; ok {
		return w.Value, !w.Delete
	}
	if o.store == nil {
		return nil, false
	}
	return o.store.Get(key)
}

func (o *overlay) set(key, value []byte) {
	o.w[string(key)] = &Write{Key: key, Value: value}
}

func (o *overlay) delete(key []byte) {
	o.w[string(key)] = &Write{Key: key, Delete: true}
}

// commit applies the writes in key order and returns them.
func (o *overlay) commit() []Write {
	if len(o.w) == 0 {
		return nil
	}
	keys := make([]string, 0, len(o.w))
	for k := range o.w {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Write, 0, len(keys))
	for _, k := range keys {
		w := o.w[k]
		if w.Delete {
			o.store.Delete(w.Key)
		} else {
			o.store.Set(w.Key, w.Value)
		}
		out = append(out, *w)
	}
	return out
}
