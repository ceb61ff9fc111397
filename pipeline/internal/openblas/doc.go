// Package openblas, built with the openblas tag, registers OpenBLAS
// (Debian's libopenblas-dev) as gonum's BLAS through the netlib bindings:
//
//	go build -tags openblas ./...
//
// It is a package of its own because a Go package that uses cgo cannot also
// hold Go assembly, and pipeline's kernels are assembly. Without the tag it
// is empty and the build stays pure Go.
package openblas
