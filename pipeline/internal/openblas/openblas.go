//go:build openblas

package openblas

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// Registering a BLAS implementation is what the openblas tag asks for; it
// happens once, before main, and nothing changes it afterwards.
func init() { blas64.Use(netlib.Implementation{}) }
