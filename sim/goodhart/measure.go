package goodhart

import "math"

// Measures are what a policy does on a pool, averaged over its prompts.
type Measures struct {
	Proxy      float64 // E_π[r̂]
	Gold       float64 // E_π[r*]
	KL         float64 // KL(π‖π₀)
	D          float64 // √KL
	Sycophancy float64 // P(stance = the user's view | the user is wrong)
	Agree      float64 // P(stance = the user's view)
	Correct    float64 // P(stance = the truth)
}

// Measure returns the policy's measures on pool, whose proxy scores are
// scores, ranked by order (nil: ranked here if the policy needs it); dist
// is scratch of len P·K.
func Measure(pol *Policy, pool *Pool, scores []float64, order []int, dist []float64) Measures {
	var m Measures
	m.KL = pol.Dist(pool, scores, order, dist)
	m.D = math.Sqrt(m.KL)
	K := pool.K
	wrong := 0
	for i := range pool.P {
		var pr, gd, ag float64
		for k := range K {
			r := i*K + k
			p := dist[r]
			pr += p * scores[r]
			gd += p * pool.Gold[r]
			if pool.Agree[r] {
				ag += p
			}
		}
		m.Proxy += pr
		m.Gold += gd
		m.Agree += ag
		if pool.UserWrong[i] {
			m.Sycophancy += ag
			m.Correct += 1 - ag
			wrong++
		} else {
			m.Correct += ag
		}
	}
	n := float64(pool.P)
	m.Proxy /= n
	m.Gold /= n
	m.Agree /= n
	m.Correct /= n
	if wrong > 0 {
		m.Sycophancy /= float64(wrong)
	}
	return m
}

// PairAccuracy is the share of pairs of responses drawn from π₀ that the
// proxy orders as gold does: over neighbouring candidates (k, k+1) of each
// prompt, weighted by π₀(k)·π₀(k+1), which estimates it without sampling.
func PairAccuracy(pool *Pool, scores []float64) float64 {
	K := pool.K
	ref := make([]float64, K)
	num, den := 0.0, 0.0
	for i := range pool.P {
		lo := i * K
		ref := pool.refProb(i, ref)
		for k := 0; k+1 < K; k++ {
			a, b := lo+k, lo+k+1
			w := ref[k] * ref[k+1]
			den += w
			if (scores[a] > scores[b]) == (pool.Gold[a] > pool.Gold[b]) {
				num += w
			}
		}
	}
	return num / den
}
