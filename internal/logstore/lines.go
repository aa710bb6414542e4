package logstore

import (
	"bytes"
	"io"
)

const (
	readChunk = 128 << 10 // forward reads; also the initial buffer
	backChunk = 64 << 10  // backward reads
	// maxLine bounds one stored line: MaxMsgSize escaped as \u00XX at worst,
	// plus the other fields. Longer "lines" (garbage) are skipped.
	maxLine = 8*MaxMsgSize + 4096
)

// lineReader yields the complete ('\n'-terminated) lines of a file from an
// offset on. At the end of the data it reports no line but keeps its place
// and any partial line, so a follower can call it again after the writer has
// appended more; a query simply stops, leaving a torn last line unread.
type lineReader struct {
	ra   io.ReaderAt
	buf  []byte
	r, w int   // unread bytes are buf[r:w]
	scan int   // bytes of buf[r:w] already searched for '\n'
	off  int64 // file offset of buf[r]
	skip bool  // inside an over-long line: drop bytes up to the next '\n'
	read int64 // bytes read so far
}

func (lr *lineReader) reset(ra io.ReaderAt, off int64) {
	if lr.buf == nil {
		lr.buf = make([]byte, readChunk)
	}
	*lr = lineReader{ra: ra, buf: lr.buf, off: off, read: lr.read}
}

// next returns the next complete line without its '\n', and the offset where
// it starts. The line is valid until the next call.
func (lr *lineReader) next() (line []byte, off int64, ok bool, err error) {
	for {
		if i := bytes.IndexByte(lr.buf[lr.r+lr.scan:lr.w], '\n'); i >= 0 {
			end := lr.r + lr.scan + i
			line, off = lr.buf[lr.r:end], lr.off
			lr.off += int64(end + 1 - lr.r)
			lr.r, lr.scan = end+1, 0
			if lr.skip {
				lr.skip = false
				continue
			}
			return line, off, true, nil
		}
		lr.scan = lr.w - lr.r
		if lr.scan >= maxLine {
			lr.off += int64(lr.scan)
			lr.r, lr.w, lr.scan, lr.skip = 0, 0, 0, true
		}
		if n, err := lr.fill(); n == 0 {
			return nil, 0, false, err
		}
	}
}

// fill reads more bytes after buf[w], making room first.
func (lr *lineReader) fill() (int, error) {
	if lr.r > 0 {
		copy(lr.buf, lr.buf[lr.r:lr.w])
		lr.w -= lr.r
		lr.r = 0
	}
	if lr.w == len(lr.buf) {
		lr.buf = append(lr.buf, make([]byte, len(lr.buf))...)
	}
	n, err := lr.ra.ReadAt(lr.buf[lr.w:], lr.off+int64(lr.w))
	lr.w += n
	lr.read += int64(n)
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// backLines yields the complete lines of a file before an offset, last first.
// Bytes after the last '\n' before that offset (a torn line) are skipped.
type backLines struct {
	ra     io.ReaderAt
	store  []byte
	k, e   int   // unread bytes are store[k:e]
	pos    int64 // file offset of store[k]
	seekNL bool  // drop bytes, going back, until a '\n' ends the region
	read   int64
}

func newBackLines(ra io.ReaderAt, end int64) *backLines {
	return &backLines{ra: ra, pos: end, seekNL: true}
}

// prev returns the line before the last one returned, and its offset. The
// line is valid until the next call.
func (b *backLines) prev() (line []byte, off int64, ok bool, err error) {
	for {
		data := b.store[b.k:b.e]
		switch {
		case b.seekNL:
			if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
				b.e, b.seekNL = b.k+i+1, false
				continue
			}
			b.e = b.k
		case len(data) > 0:
			if i := bytes.LastIndexByte(data[:len(data)-1], '\n'); i >= 0 {
				b.e = b.k + i + 1
				return data[i+1 : len(data)-1], b.pos + int64(i+1), true, nil
			}
			if b.pos == 0 {
				b.e = b.k
				return data[:len(data)-1], 0, true, nil
			}
			if len(data) > maxLine {
				b.e, b.seekNL = b.k, true
			}
		}
		if b.pos == 0 {
			return nil, 0, false, nil
		}
		if err := b.more(); err != nil {
			return nil, 0, false, err
		}
	}
}

// more reads the bytes before pos in front of the unread ones.
func (b *backLines) more() error {
	n := b.e - b.k
	c := int64(max(backChunk, n))
	c = min(c, b.pos)
	if int64(b.k) < c {
		size := len(b.store)
		if int64(size-n) < c {
			size = n + int(c)
		}
		store := b.store
		if size > len(store) {
			store = make([]byte, size)
		}
		copy(store[size-n:], b.store[b.k:b.e])
		b.store, b.k, b.e = store, size-n, size
	}
	start := b.k - int(c)
	if n, err := b.ra.ReadAt(b.store[start:b.k], b.pos-c); n < int(c) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF // the file shrank under us
		}
		return err
	}
	b.read += c
	b.k, b.pos = start, b.pos-c
	return nil
}
