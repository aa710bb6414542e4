package logstore

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Policy is the retention of docs/contracts.md#log-store (profile keys logs.max_age and
// logs.max_size). Zero fields impose no limit.
type Policy struct {
	MaxAge  time.Duration // closed segments whose last record is older are removed
	MaxSize int64         // per service: closed segments beyond this total are removed, oldest first
}

// Plan decides which segments to remove; it reads nothing and does nothing.
//
// The newest segment of each service is the active one (being written, or
// the one the next shim will continue) and is always kept. For MaxAge, a
// closed segment's age is that of its last record (SegmentInfo.Last, read
// from the file's end); if it has no readable record, its modification time.
// MaxSize then counts the closed segments that remain and removes the oldest
// until the total fits. reasons maps the ID of each removed segment to why.
// Both lists are sorted by service, then time.
func Plan(segments []SegmentInfo, policy Policy, now time.Time) (keep, remove []SegmentInfo, reasons map[string]string) {
	segs := slices.Clone(segments)
	slices.SortStableFunc(segs, func(a, b SegmentInfo) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Name, b.Name))
	})
	reasons = map[string]string{}
	for start := 0; start < len(segs); {
		end := start + 1
		for end < len(segs) && segs[end].Service == segs[start].Service {
			end++
		}
		closed := segs[start : end-1] // the last one is active
		k, r := planService(closed, policy, now, reasons)
		keep = append(append(keep, k...), segs[end-1])
		remove = append(remove, r...)
		start = end
	}
	return keep, remove, reasons
}

func planService(closed []SegmentInfo, p Policy, now time.Time, reasons map[string]string) (keep, remove []SegmentInfo) {
	cutoff := now.Add(-p.MaxAge)
	var total int64
	for _, s := range closed {
		last, what := s.Last, "last record"
		if last.IsZero() {
			last, what = s.ModTime, "no readable record; modified"
		}
		if p.MaxAge > 0 && last.Before(cutoff) {
			reasons[s.ID()] = fmt.Sprintf("max_age: %s %s, older than %s (before %s)",
				what, last.UTC().Format(time.RFC3339), p.MaxAge, cutoff.UTC().Format(time.RFC3339))
			remove = append(remove, s)
			continue
		}
		keep = append(keep, s)
		total += s.Size
	}
	if p.MaxSize <= 0 {
		return keep, remove
	}
	for len(keep) > 0 && total > p.MaxSize {
		s := keep[0]
		reasons[s.ID()] = fmt.Sprintf("max_size: closed segments hold %d bytes, more than %d", total, p.MaxSize)
		total -= s.Size
		remove, keep = append(remove, s), keep[1:]
	}
	slices.SortFunc(remove, func(a, b SegmentInfo) int { return cmp.Compare(a.Name, b.Name) })
	return keep, remove
}

// Prune applies policy to one service's store: it removes what Plan removes
// (nothing with dryRun) and returns those segments and the reasons. It is
// safe while the service's shim is writing: the active segment is never
// removed, and a segment the writer starts meanwhile was not listed. A
// segment already gone is not an error; other failures are joined and the
// rest is still pruned.
func Prune(dir, service string, policy Policy, now time.Time, dryRun bool) ([]SegmentInfo, map[string]string, error) {
	segs, err := ListSegments(dir, service)
	if err != nil {
		return nil, nil, err
	}
	_, remove, reasons := Plan(segs, policy, now)
	if dryRun {
		return remove, reasons, nil
	}
	var removed []SegmentInfo
	var errs []error
	for _, s := range remove {
		err := os.Remove(filepath.Join(dir, service, s.Name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove log segment %s: %w", s.ID(), err))
			delete(reasons, s.ID())
			continue
		}
		removed = append(removed, s)
	}
	return removed, reasons, errors.Join(errs...)
}
