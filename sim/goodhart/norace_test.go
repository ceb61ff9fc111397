//go:build !race

package goodhart

const raceEnabled = false
