//go:build race

package misgeneralisation

// raceEnabled skips the statistical tests under the race detector, which
// slows numerical code tenfold; they run in the plain `go test ./...`.
const raceEnabled = true
