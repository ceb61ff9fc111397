package scenarios

// suggest returns the candidate nearest to name, if it is near enough to be
// a likely typo (Levenshtein distance ≤ max(2, len(name)/3)), or "".
// Ties go to the earlier candidate.
func suggest(name string, candidates []string) string {
	limit := max(2, len([]rune(name))/3)
	best, bestD := "", limit+1
	for _, c := range candidates {
		if c == name || abs(len([]rune(c))-len([]rune(name))) >= bestD {
			continue // the distance is at least the difference in length
		}
		if d := levenshtein(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// levenshtein returns the edit distance between a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Suggest returns the candidate nearest to name if it is near enough to be
// a likely typo, or "": what error messages offer as "did you mean".
func Suggest(name string, candidates []string) string { return suggest(name, candidates) }
