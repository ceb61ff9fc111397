// Package pipeline holds natmo's training pipeline: the policy models (small
// multilayer perceptrons on gonum's BLAS), the losses and their hand-written
// gradients, the optimisers, and the declarative Stage and Pipeline types that
// worlds and interventions build on.
//
// The package knows nothing of any world. A world supplies the data (a Dataset)
// or the rewards; a stage here only turns them into parameter updates.
package pipeline
