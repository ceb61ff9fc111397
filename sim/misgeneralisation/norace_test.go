//go:build !race

package misgeneralisation

const raceEnabled = false
