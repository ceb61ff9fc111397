package pipeline

import (
	"fmt"
	"math"
)

// An Optimizer updates parameters in place from their gradient.
type Optimizer interface {
	Step(params, grad []float64)
}

// NewOptimizer returns the optimiser named by kind ("adam" or "sgd") with
// learning rate lr, sized for n parameters.
func NewOptimizer(kind string, lr float64, n int) (Optimizer, error) {
	switch kind {
	case "", "adam":
		return NewAdam(lr, n), nil
	case "sgd":
		return &SGD{LR: lr}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (want adam or sgd)", kind)
}

// SGD is plain stochastic gradient descent: θ ← θ − η g.
type SGD struct{ LR float64 }

// Step implements Optimizer.
func (o *SGD) Step(params, grad []float64) {
	for i, g := range grad {
		params[i] -= o.LR * g
	}
}

// Adam is the optimiser of Kingma and Ba (2015):
//
//	m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
//	θ ← θ − η m̂/(√v̂ + ε),  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ).
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	m, v                  []float64
	t                     int
}

// NewAdam returns Adam with the usual β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
func NewAdam(lr float64, n int) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, m: make([]float64, n), v: make([]float64, n)}
}

// Step implements Optimizer.
func (o *Adam) Step(params, grad []float64) {
	o.t++
	k := adamConsts{
		b1: o.Beta1, b2: o.Beta2, omb1: 1 - o.Beta1, omb2: 1 - o.Beta2,
		c1: 1 / (1 - math.Pow(o.Beta1, float64(o.t))), c2: 1 / (1 - math.Pow(o.Beta2, float64(o.t))),
		lr: o.LR, eps: o.Eps,
	}
	n := len(grad)
	params, m, v := params[:n], o.m[:n], o.v[:n]
	done := adamVector(params, grad, m, v, &k) // a SIMD prefix where the CPU has one
	adamScalar(params[done:], grad[done:], m[done:], v[done:], &k)
}

// adamConsts are one Adam step's constants; the vector and scalar loops
// must evaluate the update with the same operations in the same order, so
// that a parameter gets the same bits whichever loop updates it.
type adamConsts struct{ b1, b2, omb1, omb2, c1, c2, lr, eps float64 }

// adamScalar is the update, element by element:
//
//	m = b1·m + (1−b1)·g,  v = b2·v + ((1−b2)·g)·g,  θ −= (lr·(m·c1)) / (√(v·c2) + ε).
func adamScalar(params, grad, m, v []float64, k *adamConsts) {
	for i, g := range grad {
		m[i] = k.b1*m[i] + k.omb1*g
		v[i] = k.b2*v[i] + k.omb2*g*g
		params[i] -= k.lr * (m[i] * k.c1) / (math.Sqrt(v[i]*k.c2) + k.eps)
	}
}
