package plots

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/natmo/natmo/scenarios"
)

// RenderGrid draws several figures as one, with their panels in a grid
// lettered (a), (b), … in reading order, one legend for all and a title
// (in.Title, or in.Scenario). A curves figure gives a panel per metric;
// every other figure one panel. Its files are named like Render's, after
// name; its table is the figures' tables stacked, with a first column
// "panel" holding the letter and the union of their columns.
func RenderGrid(name string, figs []scenarios.Figure, in Input, dir string, formats []string) ([]string, error) {
	if name == "" {
		return nil, errorf("grid: no name")
	}
	in.ownIntervals()
	return render(context.Background(), fileSafe(name), in, dir, formats, func(l layout) (*figure, error) {
		f, err := grid(figs, &in, l)
		if err != nil {
			return nil, fmt.Errorf("plots: figure %s: %w", name, err)
		}
		return finish(f, scenarios.Figure{}, &in, l), nil
	})
}

// gridOf lays out a grid figure: a curves panel for each of fig.Metrics.
func gridOf(fig scenarios.Figure, in *Input, l layout) (*figure, error) {
	if len(fig.Metrics) == 0 {
		return nil, fmt.Errorf("grid: no metrics")
	}
	return grid([]scenarios.Figure{{Kind: "curves", Metrics: fig.Metrics, Stage: fig.Stage}}, in, l)
}

// grid lays out figs as the panels of one figure.
func grid(figs []scenarios.Figure, in *Input, l layout) (*figure, error) {
	// One figure per panel: curves split by metric.
	var parts []scenarios.Figure
	for _, fig := range figs {
		if fig.Kind == "grid" {
			return nil, fmt.Errorf("grid: a grid cannot hold a grid")
		}
		if fig.Kind == "curves" && len(fig.Metrics) > 1 {
			for _, m := range fig.Metrics {
				part := fig
				part.Metrics = []string{m}
				parts = append(parts, part)
			}
			continue
		}
		parts = append(parts, fig)
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("grid: no figures")
	}
	cols := 2
	switch {
	case len(parts) == 1:
		cols = 1
	case len(parts) > 4:
		cols = 3
	}
	rows := (len(parts) + cols - 1) / cols
	sub := l
	sub.width = gridColWidth

	f := &figure{width: vg.Length(cols) * gridColWidth, letters: len(parts) > 1, layout: l}
	var panels []*plot.Plot
	var captions []string
	seen := map[string]bool{}
	type tableOf struct {
		letter string
		t      table
	}
	var tables []tableOf
	for i, part := range parts {
		pf, err := buildKind(part, in, sub)
		if err != nil {
			return nil, fmt.Errorf("panel %s: %w", panelLetter(i), err)
		}
		p := pf.panels[0][0]
		if part.Title != "" {
			p.Title.Text = part.Title
			p.Title.TextStyle = textStyle(labelSize, false)
			p.Title.TextStyle.XAlign = draw.XCenter
		}
		panels = append(panels, p)
		f.panelHeight = max(f.panelHeight, pf.panelHeight)
		for _, e := range pf.legend {
			if !seen[e.text] {
				seen[e.text] = true
				f.legend = append(f.legend, e)
			}
		}
		c := pf.caption
		if part.Caption != "" {
			c = part.Caption
		}
		if c != "" && !slices.Contains(captions, c) {
			captions = append(captions, c)
		}
		tables = append(tables, tableOf{panelLetter(i), pf.data})
		f.ns = append(f.ns, pf.ns...)
	}
	// Legend entries in the order of the arms.
	arms := in.arms()
	slices.SortStableFunc(f.legend, func(a, b legendEntry) int {
		return armIndex(arms, a.text) - armIndex(arms, b.text)
	})
	for r := range rows {
		row := make([]*plot.Plot, cols)
		copy(row, panels[r*cols:min(len(panels), (r+1)*cols)])
		f.panels = append(f.panels, row)
	}
	f.caption = mergeCaptions(captions)

	// The tables, stacked under the union of their columns.
	f.data.header = []string{"panel"}
	for _, t := range tables {
		for _, h := range t.t.header {
			if !slices.Contains(f.data.header, h) {
				f.data.header = append(f.data.header, h)
			}
		}
	}
	for _, t := range tables {
		for _, r := range t.t.rows {
			row := make([]string, len(f.data.header))
			row[0] = strings.Trim(t.letter, "()")
			for j, h := range t.t.header {
				row[slices.Index(f.data.header, h)] = r[j]
			}
			f.data.add(row...)
		}
	}
	return f, nil
}

// mergeCaptions joins captions into one, each clause (a part between ". "
// or "; ") once.
func mergeCaptions(captions []string) string {
	if len(captions) == 1 {
		return captions[0]
	}
	var clauses []string
	seen := map[string]bool{}
	for _, c := range captions {
		for _, sentence := range strings.Split(strings.TrimSuffix(c, "."), ". ") {
			for _, clause := range strings.Split(sentence, "; ") {
				if k := strings.ToLower(clause); !seen[k] && clause != "" {
					seen[k] = true
					clauses = append(clauses, clause)
				}
			}
		}
	}
	for i, c := range clauses {
		if r := []rune(c); i > 0 && len(r) > 1 && unicode.IsUpper(r[0]) && unicode.IsLower(r[1]) {
			clauses[i] = string(unicode.ToLower(r[0])) + string(r[1:])
		}
	}
	return strings.Join(clauses, "; ") + "."
}

// armIndex is the place of arm in arms, or len(arms) if it is not there.
func armIndex(arms []string, arm string) int {
	if i := slices.Index(arms, arm); i >= 0 {
		return i
	}
	return len(arms)
}
