package shim

import (
	"testing"

	"github.com/pm2dock/pm2dock/internal/state"
)

func TestNextPhase(t *testing.T) {
	for _, c := range []struct {
		phase  state.Phase
		health string
		want   state.Phase
	}{
		{state.Starting, "", state.Ready}, // no healthcheck: ready once running
		{state.Starting, "starting", state.Starting},
		{state.Starting, "healthy", state.Ready},
		{state.Starting, "unhealthy", state.Starting}, // never ready yet: still starting
		{state.Ready, "unhealthy", state.Unhealthy},
		{state.Unhealthy, "unhealthy", state.Unhealthy},
		{state.Unhealthy, "healthy", state.Ready},
		{state.Ready, "starting", state.Starting},
		{state.Ready, "healthy", state.Ready},
		{state.Starting, "none", state.Starting}, // a word it does not know changes nothing
		{state.Ready, "none", state.Ready},
	} {
		if got := nextPhase(c.phase, c.health); got != c.want {
			t.Errorf("nextPhase(%s, %q) = %s, want %s", c.phase, c.health, got, c.want)
		}
	}
}

func TestReact(t *testing.T) {
	starting := view{state.Starting, "starting"}
	ready := view{state.Ready, "healthy"}
	plain := view{state.Ready, ""}
	sick := view{state.Unhealthy, "unhealthy"}
	early := view{state.Starting, "unhealthy"}
	for _, c := range []struct {
		name     string
		from, to view
		want     reaction
	}{
		{"first look, starting", view{}, starting, reaction{notReady: true}},
		{"first look, adopted healthy", view{}, ready, reaction{becameReady: true}},
		{"becomes healthy", starting, ready, reaction{becameReady: true}},
		{"ready without a healthcheck", starting, plain, reaction{becameReady: true}},
		{"turns unhealthy", ready, sick, reaction{notReady: true, sick: true}},
		{"recovers", sick, ready, reaction{becameReady: true}},
		{"unhealthy before ever ready", starting, early, reaction{notReady: true, sick: true}},
		{"ready to ready, health word changes", plain, ready, reaction{}},
	} {
		if got := react(c.from, c.to); got != c.want {
			t.Errorf("%s: react = %+v, want %+v", c.name, got, c.want)
		}
	}
}
