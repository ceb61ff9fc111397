// Package worlds assembles natmo's built-in registry: every world under sim
// and every intervention. Adding a world is adding its folder and one line
// here.
package worlds

import (
	"github.com/natmo/natmo/interventions"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/cot"
	"github.com/natmo/natmo/sim/goodhart"
	"github.com/natmo/natmo/sim/misgeneralisation"
	"github.com/natmo/natmo/sim/persona"
)

// Default returns a registry of the built-in worlds and interventions.
func Default() *sim.Registry {
	r := sim.NewRegistry(interventions.Default())
	for _, k := range []sim.Kind{
		persona.Kind(),
		cot.Kind(),
		goodhart.Kind(),
		misgeneralisation.Kind(),
	} {
		if err := r.Register(k); err != nil {
			panic(err) // the built-in names are distinct; TestDefault checks
		}
	}
	return r
}
