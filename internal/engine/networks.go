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
