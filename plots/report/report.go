// Package report writes a results folder as one self-contained web page,
// report.html: the scenario's title and about text, the summary table, every
// figure inline as SVG with its caption, the per-seed values, the resolved
// scenario and the manifest — or, for a sweep, its figures and a table per
// point. The page loads nothing: its style and its one small script are
// inline and its content security policy forbids any request, so it reads
// the same offline, in light and dark mode, and on paper.
package report

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/natmo/natmo/plots"
	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim"
	"github.com/natmo/natmo/sim/results"
)

// FileName is the name of the report in a results folder.
const FileName = "report.html"

// Write writes the report of the results folder dir (a run or a sweep) to
// dir/report.html, atomically, and returns its path. reg knows the worlds
// the folder's scenario names.
func Write(dir string, reg *sim.Registry) (string, error) {
	page, err := Build(dir, reg)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, FileName)
	err = results.WriteFileAtomic(path, func(w *bufio.Writer) error {
		_, err := w.Write(page)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return path, nil
}

// Build returns the report of the results folder dir, a run or a sweep.
// The same folder gives the same bytes.
func Build(dir string, reg *sim.Registry) ([]byte, error) {
	var p *page
	var err error
	if sim.IsSweep(dir) {
		p, err = sweepPage(dir, reg)
	} else {
		p, err = runPage(dir, reg)
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return b.Bytes(), nil
}

// A page is what the template shows.
type page struct {
	Title, Name, About string
	Meta               []string // one-line facts under the title
	FewSeeds           int      // the fewest seeds behind an interval, if < plots.FewSeeds
	Threshold          int      // plots.FewSeeds
	Summary            []metricTable
	Contrasts          []contrastRow // paired differences between arms the scenario names
	Figures            []figure
	FigureNote         string // why a sweep has no figures
	Seeds              []seedTable
	Points             []pointTable
	Scenario           string   // the resolved scenario (YAML)
	Defaults           []string // the settings it leaves out, PATH: VALUE
	Manifest           string   // manifest.json or sweep.json
	ManifestName       string
	Style              template.CSS
	Script             template.JS
}

// A metricTable is the summary of one metric: a row per arm.
type metricTable struct {
	Metric, Label string
	Rows          []summaryRow
}

type summaryRow struct {
	Arm, N, Mean, CI, Delta, DeltaCI string
	Few                              bool // n < FewSeeds
}

// A contrastRow is one paired difference between two arms.
type contrastRow struct {
	Arm, Against, Metric, Label, N, Delta, CI string
	Few                                       bool
}

// A figure is one figure, inline.
type figure struct {
	Name, Caption string
	SVG           template.HTML
}

// A seedTable is each seed's final value of one metric, a row per arm.
type seedTable struct {
	Metric, Label string
	Seeds         []int
	Rows          []seedRow
}

type seedRow struct {
	Arm    string
	Values []string // by Seeds; "" where the seed has no value
}

// A pointTable is the summary of one point of a sweep.
type pointTable struct {
	Index   int
	Setting string
	Metrics []metricTable
}

//go:embed style.css
var style string

//go:embed page.js
var script string

//go:embed page.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// runPage reads a run's folder into a page.
func runPage(dir string, reg *sim.Registry) (*page, error) {
	d, err := sim.ReadDir(dir, reg.Schema())
	if err != nil {
		return nil, err
	}
	sc, res, m := d.Scenario, d.Result, d.Manifest
	labels := reg.Labels()
	p := newPage(sc.Title, sc.Name)
	p.About = strings.TrimSpace(sc.About)
	p.Meta = []string{
		fmt.Sprintf("%d seeds × %d arms (%s)", m.Seeds, len(m.Arms), strings.Join(m.Arms, ", ")),
		"world " + sc.World.Kind,
		"from " + m.File + overrideNote(m.Overrides),
		"natmo " + m.Natmo + ", " + m.Go,
		"finished " + m.Finished.Format("2006-01-02 15:04 MST"),
	}
	if !m.Complete {
		p.Meta = append(p.Meta, "incomplete: some seeds did not run")
	}
	if len(m.Failed) > 0 {
		p.Meta = append(p.Meta, fmt.Sprintf("%d failed runs (see the manifest)", len(m.Failed)))
	}
	p.Summary = summaryTables(res.Summary, res.Metrics, res.Arms, labels)
	p.noteFew(res.Summary)
	for _, c := range res.Contrasts {
		p.Contrasts = append(p.Contrasts, contrastRow{Arm: c.Arm, Against: c.Against, Metric: c.Metric, Label: labelOf(labels, c.Metric),
			N: strconv.Itoa(c.N), Delta: Signed(c.Delta), CI: interval(c.DLow, c.DHigh, true), Few: c.N < plots.FewSeeds})
	}

	in, figs := RunFigures(sc, res, labels)
	if p.Figures, err = drawAll(in, figs); err != nil {
		return nil, err
	}
	p.Seeds = seedTables(res.Records, res.Metrics, res.Arms, labels)
	p.Scenario = m.Resolved
	p.Defaults = m.Defaults
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	p.Manifest, p.ManifestName = string(b), "manifest.json"
	return p, nil
}

// sweepPage reads a sweep's folder into a page.
func sweepPage(dir string, reg *sim.Registry) (*page, error) {
	res, err := sim.ReadSweep(dir)
	if err != nil {
		return nil, err
	}
	sw := res.Sweep
	labels := reg.Labels()
	p := newPage(sw.Title, sw.Scenario)
	var axes []string
	for _, a := range sw.Axes {
		axes = append(axes, a.Set+" ∈ {"+strings.Join(a.Values, ", ")+"}")
	}
	seeds := 0
	if len(sw.Points) > 0 {
		seeds = sw.Points[0].Seeds
	}
	p.Meta = []string{
		fmt.Sprintf("sweep of %d points over %s", len(sw.Points), strings.Join(axes, " × ")),
		fmt.Sprintf("%d seeds per point", seeds),
	}
	if len(sw.Overrides) > 0 {
		p.Meta = append(p.Meta, "with --set "+strings.Join(sw.Overrides, " "))
	}
	in, figs, ferr := SweepFigures(res, labels)
	if ferr != nil {
		p.FigureNote = ferr.Error()
	}
	if p.Figures, err = drawAll(in, figs); err != nil {
		return nil, err
	}
	shown := sw.Figures
	for i, pt := range sw.Points {
		r := res.Points[i]
		ms := shown
		if len(ms) == 0 {
			ms = r.Metrics
		}
		p.Points = append(p.Points, pointTable{Index: pt.Index, Setting: sw.Label(pt), Metrics: summaryTables(r.Summary, ms, r.Arms, labels)})
		p.noteFew(r.Summary)
	}
	b, err := os.ReadFile(filepath.Join(dir, "sweep.json"))
	if err != nil {
		return nil, err
	}
	p.Manifest, p.ManifestName = string(b), "sweep.json"
	return p, nil
}

func newPage(title, name string) *page {
	return &page{Title: title, Name: name, Threshold: plots.FewSeeds, Style: template.CSS(style), Script: template.JS(script)}
}

func overrideNote(sets []string) string {
	if len(sets) == 0 {
		return ""
	}
	return " with --set " + strings.Join(sets, " ")
}

// noteFew records the fewest seeds behind an interval of rows, if it is
// below plots.FewSeeds.
func (p *page) noteFew(rows []results.Summary) {
	for _, s := range rows {
		if s.N > 0 && s.N < plots.FewSeeds && (p.FewSeeds == 0 || s.N < p.FewSeeds) {
			p.FewSeeds = s.N
		}
	}
}

// summaryTables arranges summary rows as a table per metric of metrics.
func summaryTables(rows []results.Summary, metrics, arms []string, labels map[string]string) []metricTable {
	var out []metricTable
	for _, m := range metrics {
		t := metricTable{Metric: m, Label: labelOf(labels, m)}
		for _, a := range arms {
			i := slices.IndexFunc(rows, func(s results.Summary) bool { return s.Arm == a && s.Metric == m })
			if i < 0 {
				continue
			}
			s := rows[i]
			r := summaryRow{Arm: a, N: strconv.Itoa(s.N), Mean: Fixed(s.Mean), CI: interval(s.Low, s.High, false),
				Delta: "—", DeltaCI: "", Few: s.N < plots.FewSeeds}
			if a != scenarios.BaselineArm && !s.Unpaired {
				r.Delta, r.DeltaCI = Signed(s.Delta), interval(s.DLow, s.DHigh, true)
			}
			t.Rows = append(t.Rows, r)
		}
		if len(t.Rows) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// seedTables returns each seed's last value of every metric, per arm.
func seedTables(recs []results.Record, metrics, arms []string, labels map[string]string) []seedTable {
	type key struct {
		arm, metric string
		seed        int
	}
	last := map[key]float64{}
	seedSet := map[int]bool{}
	for _, r := range recs {
		last[key{r.Arm, r.Metric, r.Seed}] = r.Value
		seedSet[r.Seed] = true
	}
	var seeds []int
	for s := range seedSet {
		seeds = append(seeds, s)
	}
	slices.Sort(seeds)
	var out []seedTable
	for _, m := range metrics {
		t := seedTable{Metric: m, Label: labelOf(labels, m), Seeds: seeds}
		for _, a := range arms {
			row := seedRow{Arm: a}
			any := false
			for _, s := range seeds {
				v, ok := last[key{a, m, s}]
				cell := ""
				if ok {
					cell, any = Fixed(v), true
				}
				row.Values = append(row.Values, cell)
			}
			if any {
				t.Rows = append(t.Rows, row)
			}
		}
		out = append(out, t)
	}
	return out
}

func labelOf(labels map[string]string, m string) string {
	if l := labels[m]; l != "" {
		return l
	}
	return m
}

// drawAll draws figs as SVG, at once (they are independent).
func drawAll(in plots.Input, figs []scenarios.Figure) ([]figure, error) {
	out := make([]figure, len(figs))
	errs := make([]error, len(figs))
	var wg sync.WaitGroup
	for i, f := range figs {
		wg.Go(func() {
			d, err := plots.Draw(f, in, "svg")
			if err != nil {
				errs[i] = err
				return
			}
			out[i] = figure{Name: d.Name, Caption: d.Caption, SVG: template.HTML(inlineSVG(d.Image, d.Title+". "+d.Caption))}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// svgProlog is what precedes the <svg> element of an SVG file.
var svgProlog = regexp.MustCompile(`(?s)^.*?<svg `)

// inlineSVG makes an SVG file an element of a page: without its XML
// prolog and labelled for screen readers (the page's style scales it down
// to the page's width).
func inlineSVG(svg []byte, label string) string {
	return svgProlog.ReplaceAllLiteralString(string(svg), `<svg role="img" aria-label="`+template.HTMLEscapeString(label)+`" `)
}

// Fixed formats v with three decimals, without the sign of a value that
// rounds to zero: "0.000", never "-0.000".
func Fixed(v float64) string {
	t := strconv.FormatFloat(v, 'f', 3, 64)
	if strings.Trim(t, "-0.") == "" {
		return strings.TrimPrefix(t, "-")
	}
	return t
}

// Signed is Fixed with a sign on every value that does not round to zero.
func Signed(v float64) string {
	t := Fixed(v)
	if t[0] != '-' && strings.Trim(t, "0.") != "" {
		return "+" + t
	}
	return t
}

func interval(lo, hi float64, signed bool) string {
	f := Fixed
	if signed {
		f = Signed
	}
	return "[" + f(lo) + ", " + f(hi) + "]"
}
