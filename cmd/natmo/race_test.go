//go:build race

package main

// raceEnabled skips the browser checks of the report under the race
// detector: they test Chromium's view of a page, not Go's concurrency, and
// run in the plain `go test ./...`.
const raceEnabled = true
