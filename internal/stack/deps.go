package stack

import (
	"fmt"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
)

// dep is one dependency of a service with compose's condition.
type dep struct {
	Key       service.Key
	Condition string // service_started | service_healthy | service_completed_successfully
}

// deps returns the managed dependencies of key, by compose depends_on.
func deps(p *profile.Profile, key service.Key) ([]dep, error) {
	s, err := p.Service(key)
	if err != nil {
		return nil, err
	}
	var out []dep
	for name, d := range s.Spec.DependsOn {
		ds, ok := p.ByCompose(name)
		if !ok {
			if !d.Required {
				continue
			}
			return nil, exitcode.New(exitcode.Usage,
				fmt.Errorf("service %s depends on compose service %s, which the profile does not manage", key, name),
				"add it under services: in pm2dock.yaml so pm2dock can start it first")
		}
		cond := d.Condition
		if cond == "" {
			cond = types.ServiceConditionStarted
		}
		out = append(out, dep{Key: ds.Key, Condition: cond})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// closure returns keys plus everything they depend on, dependencies first, and
// fails on a dependency cycle.
func closure(p *profile.Profile, keys []service.Key) ([]service.Key, map[service.Key][]dep, error) {
	graph := map[service.Key][]dep{}
	var order []service.Key
	state := map[service.Key]int{} // 0 new, 1 visiting, 2 done
	var visit func(k service.Key, path []service.Key) error
	visit = func(k service.Key, path []service.Key) error {
		switch state[k] {
		case 1:
			return exitcode.Errorf(exitcode.Usage, "dependency cycle: %v", append(path, k))
		case 2:
			return nil
		}
		state[k] = 1
		ds, err := deps(p, k)
		if err != nil {
			return err
		}
		graph[k] = ds
		for _, d := range ds {
			if err := visit(d.Key, append(path, k)); err != nil {
				return err
			}
		}
		state[k] = 2
		order = append(order, k)
		return nil
	}
	for _, k := range keys {
		if err := visit(k, nil); err != nil {
			return nil, nil, err
		}
	}
	return order, graph, nil
}

// dependents returns keys ordered so that a service comes before what it
// depends on (the order to stop in).
func dependents(p *profile.Profile, keys []service.Key) []service.Key {
	order, _, err := closure(p, keys)
	if err != nil {
		return keys
	}
	want := map[service.Key]bool{}
	for _, k := range keys {
		want[k] = true
	}
	var out []service.Key
	for i := len(order) - 1; i >= 0; i-- {
		if want[order[i]] {
			out = append(out, order[i])
		}
	}
	return out
}
