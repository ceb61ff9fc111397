package sim

import (
	"errors"
	"strings"
	"testing"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/scenarios"
)

// sizedConfig is a world configuration of given sizes.
type sizedConfig struct{ fp Footprint }

func (sizedConfig) Validate() error                 { return nil }
func (sizedConfig) CheckStage(pipeline.Stage) error { return nil }
func (c sizedConfig) Footprint() Footprint          { return c.fp }

// TestMemoryEstimate checks the count by hand and that a run too large for
// the machine is refused naming the setting to lower.
func TestMemoryEstimate(t *testing.T) {
	sc := &scenarios.Scenario{
		Seeds:    8,
		World:    scenarios.World{Kind: "sized", Config: sizedConfig{Footprint{Params: 1000, ExampleFloats: 50, FixedFloats: 2000, ModelFloats: 100}}},
		Baseline: pipeline.Pipeline{{Kind: "pretrain", Examples: 10_000}, {Kind: "sft", Examples: 500}},
		Arms:     []scenarios.Arm{{Name: "baseline"}, {Name: "x"}},
	}
	est, ok := EstimateMemory(sc, 4)
	// By hand: 3 copies × (1000 params × 32 B + 100 floats × 8 B); 10 000 examples × 50 floats × 8 B; 2000 × 8 B.
	if !ok || est.Models != 98_400 || est.Data != 4_000_000 || est.Fixed != 16_000 || est.Workers != 4 ||
		est.Total != baseBytes+4*(98_400+4_000_000+16_000) || est.DataSetting != "baseline.0.pretrain.examples" {
		t.Fatalf("estimate %+v", est)
	}
	if err := CheckMemory(sc, 4); err != nil {
		t.Errorf("a small run: %v", err)
	}
	for _, c := range []struct {
		fp   Footprint
		want string
	}{
		{Footprint{Params: 1 << 32}, "lower the world's model size (world.hidden), or --workers (now 2)"},
		{Footprint{Params: 10, ExampleFloats: 1 << 30}, "lower baseline.0.pretrain.examples (10000 examples of 1073741824 floats each: the world's prompt width counts too), or --workers"},
		{Footprint{Params: 10, FixedFloats: 1 << 40}, "world.eval_examples"},
	} {
		sc.World.Config = sizedConfig{c.fp}
		var me *MemoryError
		if err := CheckMemory(sc, 2); !errors.As(err, &me) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want a MemoryError saying %q", c.fp, err, c.want)
		}
	}
}
