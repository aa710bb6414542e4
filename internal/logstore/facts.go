package logstore

import (
	"context"
	"path/filepath"
)

// Facts is a store that holds facts rather than a container's lines (the
// event journal, the figures history): a log store of its own in the folder
// Folder of a profile's logs.dir, whose records each hold one fact in msg.
// Each service's shim writes its facts through a Series; readers decode each
// record with Decode and skip those that hold no fact (false), like torn
// lines.
type Facts[T any] struct {
	Folder      string // no service folder can have the name: "_events"
	Name        string // what errors say the store is: "event journal"
	SegmentSize int64
	Decode      func(Record) (T, bool)
}

// Dir is the store's folder in the log store at logsDir.
func (f *Facts[T]) Dir(logsDir string) string { return filepath.Join(logsDir, f.Folder) }

// Series is the writer of service's facts in the log store at logsDir;
// report is told each new failure and, with nil, the recovery (see Series).
func (f *Facts[T]) Series(logsDir, service string, report func(error)) *Series {
	return &Series{Dir: f.Dir(logsDir), Service: service, Name: f.Name, SegmentSize: f.SegmentSize, Report: report}
}

// Query reads the facts of the store at logsDir that q selects (see Query).
func (f *Facts[T]) Query(logsDir string, q QueryOptions) *FactIterator[T] {
	return &FactIterator[T]{it: Query(f.Dir(logsDir), q), decode: f.Decode}
}

// Follow is Query that keeps yielding new facts until ctx ends (see Follow).
func (f *Facts[T]) Follow(ctx context.Context, logsDir string, q QueryOptions) *FactIterator[T] {
	return &FactIterator[T]{it: Follow(ctx, f.Dir(logsDir), q), decode: f.Decode}
}

// FactIterator yields facts in time order, skipping records that hold none;
// see Iterator.
type FactIterator[T any] struct {
	it     Iterator
	decode func(Record) (T, bool)
	cur    T
}

// Next advances to the next fact, skipping records that hold none.
func (i *FactIterator[T]) Next() bool {
	for i.it.Next() {
		if v, ok := i.decode(i.it.Record()); ok {
			i.cur = v
			return true
		}
	}
	return false
}

// Fact is the current fact.
func (i *FactIterator[T]) Fact() T { return i.cur }

// Service is the current fact's service.
func (i *FactIterator[T]) Service() string { return i.it.Record().Service }

// Err is the error that ended the iteration, if any.
func (i *FactIterator[T]) Err() error { return i.it.Err() }

// Close releases the open files.
func (i *FactIterator[T]) Close() error { return i.it.Close() }
