package program

// A program's bytes: what the parent writes to the init's pipe and to the
// cache file, and what the init reads back. bwrap --seccomp FD reads a bare
// array of struct sock_filter; this adds what bwrap's caller knows by
// other means: the flags, and where one filter ends and the next begins.
//
//	offset  size  what
//	0       4     magic "KBPF"
//	4       2     format version: 1
//	6       2     n, the number of filters
//	8       4     flags (SECCOMP_FILTER_FLAG_*)
//	12            n filters, each:
//	          2     m, its number of instructions (1 to BPF_MAXINSNS)
//	          8·m   its instructions, as struct sock_filter:
//	                code (2), jt (1), jf (1), k (4)
//
// Every number is little-endian, whatever the machine, so the same
// program has the same bytes everywhere (the instructions themselves name
// this machine's system calls; the cache key says which machine). The
// bytes may come from a file anyone with root can write, so Unmarshal
// trusts nothing in them: each length is checked against the bytes left
// and the kernel's limits before anything is allocated for it. Whether
// the instructions make a valid program is the kernel's to say, as
// seccomp(2) checks each filter (EINVAL).

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

const (
	magic       = "KBPF"
	version     = 1
	headerSize  = 12
	insnSize    = 8 // sizeof(struct sock_filter)
	lengthSize  = 2 // a filter's m
	minFilterSz = lengthSize + insnSize
)

// MarshalBinary is p in the format above. It refuses what the kernel
// would, so that only programs Install can put up are ever sent.
func (p *Program) MarshalBinary() ([]byte, error) {
	if p == nil {
		return nil, errNil
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("marshal seccomp program: %w", err)
	}
	size := headerSize
	for _, f := range p.Filters {
		size += lengthSize + insnSize*len(f)
	}
	b := make([]byte, 0, size)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint16(b, version)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(p.Filters)))
	b = binary.LittleEndian.AppendUint32(b, uint32(p.Flags))
	for _, f := range p.Filters {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f)))
		for _, ins := range f {
			b = binary.LittleEndian.AppendUint16(b, ins.Code)
			b = append(b, ins.Jt, ins.Jf)
			b = binary.LittleEndian.AppendUint32(b, ins.K)
		}
	}
	return b, nil
}

// Unmarshal reads a program MarshalBinary wrote, and refuses anything
// else: another magic or format version, a length past the end or over the
// kernel's limits, an unsupported flag, bytes after the last filter.
func Unmarshal(data []byte) (*Program, error) {
	p, err := unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("unmarshal seccomp program: %w", err)
	}
	return p, nil
}

func unmarshal(data []byte) (*Program, error) {
	if len(data) < headerSize {
		return nil, fmt.Errorf("%d bytes: shorter than the %d-byte header", len(data), headerSize)
	}
	if string(data[:4]) != magic {
		return nil, fmt.Errorf("magic %q: want %q", data[:4], magic)
	}
	if v := binary.LittleEndian.Uint16(data[4:]); v != version {
		return nil, fmt.Errorf("format version %d: this kobako reads %d", v, version)
	}
	n := int(binary.LittleEndian.Uint16(data[6:]))
	p := &Program{Flags: uint(binary.LittleEndian.Uint32(data[8:]))}
	rest := data[headerSize:]
	// Each filter takes at least minFilterSz bytes: a count that could not
	// fit is refused before the slice for it is made.
	if n > len(rest)/minFilterSz {
		return nil, fmt.Errorf("%d filters announced, %d bytes hold at most %d", n, len(rest), len(rest)/minFilterSz)
	}
	p.Filters = make([][]unix.SockFilter, n)
	for i := range p.Filters {
		if len(rest) < lengthSize {
			return nil, fmt.Errorf("filter %d of %d: truncated before its length", i+1, n)
		}
		m := int(binary.LittleEndian.Uint16(rest))
		rest = rest[lengthSize:]
		if m == 0 || m > BPFMaxInsns {
			return nil, fmt.Errorf("filter %d of %d: %d instructions: the kernel takes 1 to %d", i+1, n, m, BPFMaxInsns)
		}
		if len(rest) < insnSize*m {
			return nil, fmt.Errorf("filter %d of %d: %d instructions announced, %d bytes left", i+1, n, m, len(rest))
		}
		p.Filters[i] = make([]unix.SockFilter, m)
		for j := range p.Filters[i] {
			ins := rest[insnSize*j:]
			p.Filters[i][j] = unix.SockFilter{
				Code: binary.LittleEndian.Uint16(ins[0:]),
				Jt:   ins[2],
				Jf:   ins[3],
				K:    binary.LittleEndian.Uint32(ins[4:]),
			}
		}
		rest = rest[insnSize*m:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d bytes after the last filter", len(rest))
	}
	// The flags, and the total over all filters.
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}
