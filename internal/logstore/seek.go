package logstore

import (
	"bytes"
	"io"
	"time"
)

const (
	// seekLinear: below this many bytes the binary search stops and the
	// reader scans forward; a few small reads are cheaper than more probes.
	seekLinear = 64 << 10
	probeChunk = 4 << 10
)

// seekTS returns a line start at or before the first record with a timestamp
// at or after t, such that every record before it is older than t (records
// are in time order). It binary-searches byte offsets: probe the middle, skip
// to the next line start, read that record's timestamp, halve. Only about
// log2(size/64 KiB) small reads touch the file.
func seekTS(ra io.ReaderAt, size int64, t time.Time, d *decoder, read *int64) (int64, error) {
	p := prober{ra: ra, d: d}
	defer func() {
		if read != nil {
			*read += p.read
		}
	}()
	lo, hi := int64(0), size
	for hi-lo > seekLinear {
		mid := lo + (hi-lo)/2
		start, ts, ok, err := p.probe(mid, hi)
		if err != nil {
			return 0, err
		}
		switch {
		case !ok: // no record starts in [mid, hi)
			hi = mid
		case ts.Before(t):
			lo = start
		default:
			hi = start
		}
	}
	return lo, nil
}

type prober struct {
	ra   io.ReaderAt
	d    *decoder
	buf  []byte
	read int64
}

// probe finds the first record starting in [from, hi) that has a readable
// timestamp, skipping unreadable lines.
func (p *prober) probe(from, hi int64) (start int64, ts time.Time, ok bool, err error) {
	start = from
	if from > 0 {
		nl, found, err := p.findNL(from-1, hi)
		if err != nil || !found {
			return 0, ts, false, err
		}
		start = nl + 1
	}
	for start < hi {
		line, complete, err := p.readAt(start, probeChunk)
		if err != nil || len(line) == 0 && !complete {
			return 0, ts, false, err
		}
		if ts, ok := parseTSPrefix(line); ok {
			return start, ts, true, nil
		}
		if !complete {
			if line, complete, err = p.readAt(start, maxLine); err != nil || !complete {
				return 0, ts, false, err
			}
		}
		if ts, ok := p.d.ts(line); ok {
			return start, ts, true, nil
		}
		start += int64(len(line)) + 1
	}
	return 0, ts, false, nil
}

// findNL returns the offset of the first '\n' at or after from, before hi.
func (p *prober) findNL(from, hi int64) (int64, bool, error) {
	for from < hi {
		buf := p.chunk(int(min(probeChunk, hi-from)))
		n, err := p.ra.ReadAt(buf, from)
		p.read += int64(n)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return from + int64(i), true, nil
		}
		if n == 0 || err != nil && err != io.EOF {
			return 0, false, ignoreEOF(err)
		}
		from += int64(n)
	}
	return 0, false, nil
}

// readAt reads the line starting at off, up to limit bytes. complete reports
// whether its '\n' was found; without it, line is the bytes read.
func (p *prober) readAt(off int64, limit int) (line []byte, complete bool, err error) {
	size := min(probeChunk, limit)
	for {
		buf := p.chunk(size)
		n, err := p.ra.ReadAt(buf, off)
		p.read += int64(n)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return buf[:i], true, nil
		}
		if n < size || size >= limit {
			return buf[:n], false, ignoreEOF(err)
		}
		size = min(2*size, limit)
	}
}

func (p *prober) chunk(n int) []byte {
	if cap(p.buf) < n {
		p.buf = make([]byte, n)
	}
	return p.buf[:n]
}

func ignoreEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// seekExact returns the offset of the first record at or after t, or the end
// of the complete lines before limit if there is none.
func seekExact(ra io.ReaderAt, limit int64, t time.Time, d *decoder, read *int64) (int64, error) {
	lo, err := seekTS(ra, limit, t, d, read)
	if err != nil {
		return 0, err
	}
	lr := lineReader{buf: make([]byte, probeChunk)}
	lr.reset(io.NewSectionReader(ra, 0, limit), lo)
	defer func() {
		if read != nil {
			*read += lr.read
		}
	}()
	for {
		line, off, ok, err := lr.next()
		if err != nil || !ok {
			return lr.off, err
		}
		if ts, ok := d.ts(line); ok && !ts.Before(t) {
			return off, nil
		}
	}
}
