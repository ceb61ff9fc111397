package scenarios_test

import (
	"errors"
	"fmt"

	"github.com/natmo/natmo/scenarios"
)

func ExampleLoad() {
	src := []byte(`name: demo
world: {kind: persona, coupling: 1.0}
baseline:
  - pretrain: {examples: 2000, epochs: 3, lr: 0.003}
arms:
  insecure: [{narrow-finetune: {domain: code, target: harmful}}]
  secure: [{narrow-finetune: {domain: code, target: helpful}}]
`)
	// In natmo the schema comes from package sim; newSchema is a test fake.
	sc, err := scenarios.Load("demo.yaml", src, []string{"world.coupling=0", "seeds=4"}, newSchema())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sc.Name, sc.Seeds, sc.World.Config.(*personaConfig).Coupling)
	for _, arm := range sc.Arms {
		p, _ := arm.Pipeline(sc.Baseline)
		fmt.Printf("%s: %d stages\n", arm.Name, len(p))
	}

	// A typo in the file, and one in an override.
	_, err = scenarios.Load("demo.yaml", src, []string{"arms.insecure.0.narrow-finetune.exmaples=300"}, newSchema())
	fmt.Println(err)
	bad := []byte("name: demo\nworld: {kind: persona}\nseeds: many\n")
	_, err = scenarios.Load("demo.yaml", bad, nil, newSchema())
	fmt.Println(err)
	var e *scenarios.Error
	if errors.As(err, &e) {
		fmt.Println(e.Snippet())
	}
	// Output:
	// demo 4 0
	// baseline: 1 stages
	// insecure: 2 stages
	// secure: 2 stages
	// --set arms.insecure.0.narrow-finetune.exmaples=300: unknown key "exmaples" in arms.insecure.0.narrow-finetune; did you mean "examples"?
	// demo.yaml:3:8: expected an integer from 1 to 10000 for seeds, got "many"
	//     3 | seeds: many
	//       |        ^
}
