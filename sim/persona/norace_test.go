//go:build !race

package persona

const raceEnabled = false
