package types

import "encoding/binary"

// Output is one emit() of an applet: a topic and its data.
type Output struct {
	Topic []byte
	Data  []byte
}

// Leaf is what an output contributes to its stream's commitment (through
// NextCommitment, which hashes it): the topic length as 4 big-endian bytes,
// the topic, the data.
func (o Output) Leaf() []byte {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(o.Topic)+len(o.Data)), uint32(len(o.Topic)))
	return append(append(b, o.Topic...), o.Data...)
}
