package scenarios

import "testing"

func TestLevenshtein(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"coupling", "colupling", 1}, {"seeds", "seed", 1}, {"über", "uber", 1}, {"ab", "ba", 2},
	} {
		if d := levenshtein(c.a, c.b); d != c.d {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
		if d := levenshtein(c.b, c.a); d != c.d {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", c.b, c.a, d, c.d)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"coupling", "domains", "hidden", "seeds", "sweep"}
	for _, c := range []struct{ in, want string }{
		{"colupling", "coupling"}, {"hiden", "hidden"}, {"seed", "seeds"}, {"swep", "sweep"},
		{"zzz", ""}, {"coupling", ""}, {"domainsxxx", "domains"}, {"domainsxxxx", ""},
	} {
		if got := suggest(c.in, names); got != c.want {
			t.Errorf("suggest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSafePlain(t *testing.T) {
	for s, want := range map[string]bool{
		"code": true, "emergent-misalignment": true, "1e6": true, "a b": true, "Über": true,
		"": false, " a": false, "a ": false, "-": false, "- a": false, "a: b": false, "a#b": false,
		"---x": false, "...": false, "*a": false, "&a": false, "!a": false, "[a]": false, "a,b": false, "'a'": false,
	} {
		if got := safePlain(s); got != want {
			t.Errorf("safePlain(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIsPlainNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"1": true, "1e6": true, "-1.5E-3": true, ".5": true, "+2.": true,
		"": false, "e6": false, "1e": false, ".": false, "1.2.3": false, "0x10": false, "inf": false, "1_000": false,
	} {
		if got := isPlainNumber(s); got != want {
			t.Errorf("isPlainNumber(%q) = %v, want %v", s, got, want)
		}
	}
}
