//go:build !linux && !darwin

package ports

import "context"

// osLookup finds no holder: Windows would need the IP Helper API, and the
// engine there runs in a VM whose ports the ContainerFinder still explains.
func osLookup() lookupFunc {
	return func(context.Context, Binding) (owner, bool) { return owner{}, false }
}
