package wire

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"

	"github.com/autovpn/autovpn/internal/netx"
)

// A resolve stream carries one request, names(1) then len(1)+name each, and
// one answer: for each name in order, code(1) count(1) then count records of
// atyp(1: IPv4, 4: IPv6) + address + ttl(4).

// Record is one A or AAAA answer with its TTL in seconds.
type Record struct {
	IP  netip.Addr
	TTL uint32
}

// NameAnswer is the answer for one name.
type NameAnswer struct {
	Code    netx.Code // OK, NotFound, Timeout, GeneralFailure
	Records []Record
}

// AppendResolveRequest appends a request for names.
func AppendResolveRequest(b []byte, names []string) ([]byte, error) {
	if len(names) == 0 || len(names) > MaxNames {
		return b, fmt.Errorf("%w: %d names (1-%d)", ErrTooMany, len(names), MaxNames)
	}
	b = append(b, byte(len(names)))
	for _, n := range names {
		if n == "" || len(n) > MaxName {
			return b, fmt.Errorf("%w: name of %d bytes", ErrAddress, len(n))
		}
		b = append(b, byte(len(n)))
		b = append(b, n...)
	}
	return b, nil
}

// ReadResolveRequest decodes a request.
func ReadResolveRequest(r io.Reader) ([]string, error) {
	var buf [256]byte
	if _, err := io.ReadFull(r, buf[:1]); err != nil {
		return nil, err
	}
	count := int(buf[0])
	if count == 0 || count > MaxNames {
		return nil, fmt.Errorf("%w: %d names (1-%d)", ErrTooMany, count, MaxNames)
	}
	names := make([]string, 0, count)
	for range count {
		if _, err := io.ReadFull(r, buf[:1]); err != nil {
			return nil, unexpected(err)
		}
		n := int(buf[0])
		if n == 0 || n > MaxName {
			return nil, fmt.Errorf("%w: name length %d", ErrAddress, n)
		}
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return nil, unexpected(err)
		}
		names = append(names, string(buf[:n]))
	}
	return names, nil
}

// AppendResolveAnswer appends the answers (one per requested name, in order).
func AppendResolveAnswer(b []byte, answers []NameAnswer) ([]byte, error) {
	for _, a := range answers {
		if len(a.Records) > MaxRecords {
			a.Records = capRecords(a.Records)
		}
		b = append(b, byte(a.Code), byte(len(a.Records)))
		for _, rec := range a.Records {
			if rec.IP.Is4() || rec.IP.Is4In6() {
				ip := rec.IP.Unmap().As4()
				b = append(b, atypIPv4)
				b = append(b, ip[:]...)
			} else if rec.IP.Is6() {
				ip := rec.IP.As16()
				b = append(b, atypIPv6)
				b = append(b, ip[:]...)
			} else {
				return b, fmt.Errorf("%w: invalid record address", ErrAddress)
			}
			b = binary.BigEndian.AppendUint32(b, rec.TTL)
		}
	}
	return b, nil
}

// capRecords keeps MaxRecords of recs, both families alike: half for each,
// and what one family leaves unused goes to the other. A name with 70 A
// records and 2 AAAA keeps its AAAA (the resolver lists A first; a plain cut
// would drop every one). The order within each family is kept.
func capRecords(recs []Record) []Record {
	n4 := 0
	for _, r := range recs {
		if r.IP.Unmap().Is4() {
			n4++
		}
	}
	n6 := len(recs) - n4
	keep4 := min(n4, max(MaxRecords/2, MaxRecords-n6))
	keep6 := MaxRecords - keep4
	out := make([]Record, 0, MaxRecords)
	for _, r := range recs {
		if r.IP.Unmap().Is4() {
			if keep4 > 0 {
				out = append(out, r)
				keep4--
			}
		} else if keep6 > 0 {
			out = append(out, r)
			keep6--
		}
	}
	return out
}

// ReadResolveAnswer decodes the answers for n names.
func ReadResolveAnswer(r io.Reader, n int) ([]NameAnswer, error) {
	if n <= 0 || n > MaxNames {
		return nil, fmt.Errorf("%w: %d names (1-%d)", ErrTooMany, n, MaxNames)
	}
	out := make([]NameAnswer, n)
	var buf [20]byte
	for i := range out {
		if _, err := io.ReadFull(r, buf[:2]); err != nil {
			return nil, unexpected(err)
		}
		out[i].Code = netx.Code(buf[0])
		count := int(buf[1])
		if count > MaxRecords {
			return nil, fmt.Errorf("%w: %d records", ErrTooMany, count)
		}
		for range count {
			rec, err := readRecord(r, buf[:])
			if err != nil {
				return nil, err
			}
			out[i].Records = append(out[i].Records, rec)
		}
	}
	return out, nil
}

func readRecord(r io.Reader, buf []byte) (Record, error) {
	if _, err := io.ReadFull(r, buf[:1]); err != nil {
		return Record{}, unexpected(err)
	}
	var rec Record
	switch buf[0] {
	case atypIPv4:
		if _, err := io.ReadFull(r, buf[:8]); err != nil {
			return rec, unexpected(err)
		}
		rec.IP = netip.AddrFrom4([4]byte(buf[:4]))
		rec.TTL = binary.BigEndian.Uint32(buf[4:8])
	case atypIPv6:
		if _, err := io.ReadFull(r, buf[:20]); err != nil {
			return rec, unexpected(err)
		}
		rec.IP = netip.AddrFrom16([16]byte(buf[:16])).Unmap() // as for addresses: a mapped IPv4 is IPv4
		rec.TTL = binary.BigEndian.Uint32(buf[16:20])
	default:
		return rec, fmt.Errorf("%w: record type %d", ErrAddress, buf[0])
	}
	return rec, nil
}
