package misgeneralisation

import (
	"fmt"
	"math"
)

// HalfRecovery reads a dose curve: given the randomise shares (ascending,
// the first 0) and the mean test object rate at each, it returns the share
// at which half of the gap between the first and the last is recovered,
//
//	rate(r½) = rate(0) + (rate(last) − rate(0))/2,
//
// interpolated at the first crossing, on a log scale between positive
// shares (the shares of a dose are spaced by factors) and linearly from 0.
// CoinRun's (Langosco et al. 2022) lies near 0.02.
func HalfRecovery(shares, rates []float64) (float64, error) {
	n := len(shares)
	if n < 2 || len(rates) != n {
		return 0, fmt.Errorf("half recovery: need ≥ 2 shares with a rate each, got %d and %d", n, len(rates))
	}
	gap := rates[n-1] - rates[0]
	if !(gap > 0) {
		return 0, fmt.Errorf("half recovery: no gap to recover (rate %.3g at %v, %.3g at %v)", rates[0], shares[0], rates[n-1], shares[n-1])
	}
	half := rates[0] + gap/2
	for i := 1; i < n; i++ {
		if rates[i] < half {
			continue
		}
		x0, x1, y0, y1 := shares[i-1], shares[i], rates[i-1], rates[i]
		f := (half - y0) / (y1 - y0)
		if x0 <= 0 {
			return x0 + f*(x1-x0), nil
		}
		return math.Exp(math.Log(x0) + f*(math.Log(x1)-math.Log(x0))), nil
	}
	return shares[n-1], nil
}
