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
	c1 := 1 / (1 - math.Pow(o.Beta1, float64(o.t)))
	c2 := 1 / (1 - math.Pow(o.Beta2, float64(o.t)))
	b1, b2 := o.Beta1, o.Beta2
	m, v := o.m[:len(grad)], o.v[:len(grad)]
	for i, g := range grad {
		m[i] = b1*m[i] + (1-b1)*g
		v[i] = b2*v[i] + (1-b2)*g*g
		params[i] -= o.LR * (m[i] * c1) / (math.Sqrt(v[i]*c2) + o.Eps)
	}
}
