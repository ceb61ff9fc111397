package misgeneralisation

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/natmo/natmo/pipeline"
	"github.com/natmo/natmo/sim/results"
)

// envF reads a number from the environment, or def.
func envF(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

// TestCalibrate prints the dose curve of the position variant for the
// settings in the environment (CAL_D, CAL_SIGMA, CAL_K, CAL_H, CAL_STEPS,
// CAL_BATCH, CAL_LR, CAL_SEEDS). It only runs with NATMO_CALIBRATE=1: it is
// a tool for calibrating the defaults, not a test.
func TestCalibrate(t *testing.T) {
	if os.Getenv("NATMO_CALIBRATE") == "" {
		t.Skip("set NATMO_CALIBRATE=1 to calibrate")
	}
	cfg := *NewConfig()
	cfg.ObjectDim = int(envF("CAL_D", float64(cfg.ObjectDim)))
	cfg.ObjectNoise = envF("CAL_SIGMA", cfg.ObjectNoise)
	cfg.Slots = int(envF("CAL_K", float64(cfg.Slots)))
	cfg.Hidden = int(envF("CAL_H", float64(cfg.Hidden)))
	cfg.Init = envF("CAL_INIT", cfg.Init)
	if v := os.Getenv("CAL_VARIANT"); v != "" {
		cfg.Variant = v
	}
	st := pipeline.Stage{Kind: "rl", Steps: int(envF("CAL_STEPS", 1000)), Batch: int(envF("CAL_BATCH", 64)),
		LR: envF("CAL_LR", 0.01), Optimizer: os.Getenv("CAL_OPT")}
	st.RL.Entropy = envF("CAL_ENT", 0)
	seeds := int(envF("CAL_SEEDS", 8))
	pre := st
	pre.Steps = int(envF("CAL_PRE", 0))
	rs := []float64{0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.3, 1}
	if cfg.Variant == VariantTwoCue {
		res := trainSeeds(t, []setup{{cfg: cfg, st: st, noCue: envF("CAL_NOCUE", 0)}}, seeds)[0]
		for i, r := range res {
			fmt.Printf("seed %2d: object %.3f spurious %.3f preference %.3f decisiveness %.3f object-only %.3f train %.3f\n", i+1,
				r["test_object_rate"], r["test_spurious_rate"], r["object_preference"], r["decisiveness"], r["object_only_rate"], r["train_reward"])
		}
		fmt.Printf("goal_object %.3f\n", results.Mean(values(res, "goal_object")))
		return
	}
	var ss []setup
	for _, r := range rs {
		ss = append(ss, setup{cfg: cfg, st: st, randomise: r, noCue: envF("CAL_NOCUE", 0), pre: pre})
	}
	res := trainSeeds(t, ss, seeds)
	fmt.Printf("cfg %+v stage steps=%d batch=%d lr=%v\n", cfg, st.Steps, st.Batch, st.LR)
	var obj []float64
	for i, r := range rs {
		row := fmt.Sprintf("r=%-6v", r)
		for _, m := range []string{"train_reward", "test_object_rate", "test_spurious_rate", "object_only_rate"} {
			mean, lo, hi := results.MeanCI(values(res[i], m))
			row += fmt.Sprintf("  %s %.3f [%.3f, %.3f]", m, mean, lo, hi)
			if m == "test_object_rate" {
				obj = append(obj, mean)
			}
		}
		fmt.Println(row)
	}
	fmt.Printf("half-recovery share: %.4g\n", must(HalfRecovery(rs[:9], obj[:9])))
}

func must(v float64, err error) float64 {
	if err != nil {
		return math.NaN()
	}
	return v
}
