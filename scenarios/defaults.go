package scenarios

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/natmo/natmo/pipeline"
)

// Defaults lists the settings the scenario's text leaves out and the
// values the loader gave them, as "PATH: VALUE" lines whose paths are those
// --set takes: seeds and measure.every, and the keys of the world, of each
// baseline stage and of each arm's interventions. Together with Resolved
// they are the whole of what ran. Empty values (no name, no context flags)
// and a stage's unset numbers (which the world or trainer chooses) are
// left out.
func (sc *Scenario) Defaults() []string {
	var doc map[string]any
	if err := yaml.Unmarshal(sc.Resolved, &doc); err != nil {
		return nil
	}
	var out []string
	add := func(path string, set map[string]any, ss []Setting) {
		// A nested mapping the text leaves out is one line, parent: {k: v, ...},
		// for --set cannot add a key under a missing parent.
		var group string
		var items []string
		flush := func() {
			if group != "" {
				out = append(out, path+group+": {"+strings.Join(items, ", ")+"}")
			}
			group, items = "", nil
		}
		for _, s := range ss {
			if has(set, s.Key) || s.Default == "" || s.Default == `""` || s.Default == "[]" || s.Default == "null" || s.Type == "mapping" {
				continue
			}
			parent, key, nested := strings.Cut(s.Key, ".")
			if nested && set[parent] == nil {
				if parent != group {
					flush()
					group = parent
				}
				items = append(items, key+": "+s.Default)
				continue
			}
			flush()
			out = append(out, path+s.Key+": "+s.Default)
		}
		flush()
	}
	if _, ok := doc["seeds"]; !ok {
		out = append(out, "seeds: "+strconv.Itoa(sc.Seeds))
	}
	if m, _ := doc["measure"].(map[string]any); !has(m, "every") {
		out = append(out, "measure.every: "+strconv.Itoa(sc.Measure.Every))
	}
	world, _ := doc["world"].(map[string]any)
	add("world.", world, Settings(sc.World.Config))
	base, _ := doc["baseline"].([]any)
	for i, st := range sc.Baseline {
		if i < len(base) {
			set := settingsOfItem(base[i], st.Kind)
			add("baseline."+strconv.Itoa(i)+"."+st.Kind+".", set, stageSettingsOf(&sc.Baseline[i]))
		}
	}
	arms, _ := doc["arms"].(map[string]any)
	for _, a := range sc.Arms[1:] {
		items, _ := arms[a.Name].([]any)
		for j, iv := range a.Interventions {
			if j < len(items) {
				add("arms."+a.Name+"."+strconv.Itoa(j)+"."+iv.Name()+".", settingsOfItem(items[j], iv.Name()), Settings(iv))
			}
		}
	}
	return out
}

// settingsOfItem returns the settings mapping of a one-key list item
// {name: {settings}}.
func settingsOfItem(item any, name string) map[string]any {
	m, _ := item.(map[string]any)
	set, _ := m[name].(map[string]any)
	return set
}

// stageSettingsOf lists the settings of a decoded stage, as StageSettings
// does for its kind, with the stage's values.
func stageSettingsOf(st *pipeline.Stage) []Setting {
	rlKeys := fieldNames(reflect.TypeFor[pipeline.RLParams]())
	var out []Setting
	for _, s := range Settings(st) {
		if s.Default == "0" || s.Default == `""` {
			continue
		}
		if st.Kind == "rl" || !slices.Contains(rlKeys, s.Key) {
			out = append(out, s)
		}
	}
	if st.Params != nil {
		out = append(out, Settings(st.Params)...)
	}
	return out
}

// has reports whether the mapping m writes key, a dotted path for nested
// mappings.
func has(m map[string]any, key string) bool {
	if m == nil {
		return false
	}
	if _, ok := m[key]; ok {
		return true
	}
	for i := range len(key) {
		if key[i] == '.' {
			sub, _ := m[key[:i]].(map[string]any)
			return has(sub, key[i+1:])
		}
	}
	return false
}
