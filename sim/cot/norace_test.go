//go:build !race

package cot

const raceEnabled = false
