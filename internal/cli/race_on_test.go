//go:build race

package cli

// raceEnabled: the race detector changes stack and heap sizes, so memory
// bounds are not checked under it.
const raceEnabled = true
