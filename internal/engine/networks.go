package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// MissingNetworks returns those of names (networks of project, as compose
// names them) that the engine has no network of yet.
func (e *Engine) MissingNetworks(ctx context.Context, project string, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	f := client.Filters{}
	f.Add("label", LabelProject+"="+project)
	res, err := e.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list networks of %s: %w", project, err)
	}
	var missing []string
	for _, n := range names {
		if !slices.ContainsFunc(res.Items, func(s network.Summary) bool { return s.Name == n }) {
			missing = append(missing, n)
		}
	}
	return missing, nil
}

// RemoveDuplicateNetworks leaves project one network of each of names where
// the engine holds several of one name (API before 1.44 lets two creations
// of a name both succeed, and compose then refuses the name as ambiguous for
// good): it keeps the oldest, or the oldest one with containers attached, and
// removes the others that have none. It returns how many it removed.
func (e *Engine) RemoveDuplicateNetworks(ctx context.Context, project string, names []string) (int, error) {
	f := client.Filters{}
	f.Add("label", LabelProject+"="+project)
	res, err := e.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return 0, fmt.Errorf("list networks of %s: %w", project, err)
	}
	removed := 0
	for _, name := range names {
		var same []network.Summary
		for _, n := range res.Items {
			if n.Name == name {
				same = append(same, n)
			}
		}
		if len(same) < 2 {
			continue
		}
		slices.SortFunc(same, func(a, b network.Summary) int { return a.Created.Compare(b.Created) })
		used := make([]bool, len(same))
		keep := 0
		for i := len(same) - 1; i >= 0; i-- {
			if ins, err := e.NetworkInspect(ctx, same[i].ID, client.NetworkInspectOptions{}); err == nil && len(ins.Network.Containers) > 0 {
				used[i], keep = true, i
			}
		}
		for i, n := range same {
			if i == keep || used[i] {
				continue
			}
			if _, err := e.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
				return removed, fmt.Errorf("remove duplicate network %s (%s): %w", name, n.ID[:12], err)
			}
			removed++
		}
	}
	return removed, nil
}
