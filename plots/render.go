package plots

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot/vg/draw"

	"github.com/natmo/natmo/scenarios"
	"github.com/natmo/natmo/sim/results"
)

// Kinds are the figure kinds Render draws:
//
//   - "curves": one panel per metric, stacked and sharing the x axis, of the
//     mean over seeds against the step of fig.Stage, with 95% CI bands;
//     arms with no records in that stage (such as a baseline that stops
//     before fine-tuning) are drawn as a dashed level at their final value.
//   - "bars": the final value of fig.Metrics[0] per arm with 95% CI
//     whiskers, each non-baseline bar labelled with its paired difference
//     from baseline and that difference's CI.
//   - "profile": final values of several metrics (say, one per token of a
//     readout) as bars grouped by metric, one bar per arm.
//   - "scatter": fig.Metrics[1] against fig.Metrics[0] at the final probe,
//     one point per run (arm and seed) and each arm's mean with its CIs.
//   - "dose": the final value of fig.Metrics[0] against the swept value of
//     a sweep (Input.Sweep), one line per arm with a 95% CI band.
//   - "heatmap": for a sweep over two settings (Input.SweepAxes), the
//     final mean of fig.Metrics[0] in a cell per point, one panel per arm.
//   - "frontier": each of fig.Metrics[1:] against fig.Metrics[0] along the
//     probes of fig.Stage (say, gold and proxy reward against √KL), one
//     panel each, the mean over seeds at each probe with 95% CI bands; with
//     fig.Fit, the form fitted per seed, drawn at its mean α and β.
//   - "grid": a curves panel for each of fig.Metrics, side by side in a grid
//     of lettered panels (RenderGrid makes a grid of any figures).
//   - "seeds": each seed's final value of each of fig.Metrics, one dot per
//     seed in a strip per arm, with the arm's mean and 95% CI beside it.
func Kinds() []string {
	return []string{"curves", "bars", "profile", "scatter", "dose", "heatmap", "grid", "frontier", "seeds"}
}

// Name returns the name of fig's files (without scenario prefix or
// extension): fig.Name, or else the kind and metrics joined by "-", as in
// "curves-misalignment_offdomain" (the name the scenario loader gives).
// Characters unsafe in file names become "_".
func Name(fig scenarios.Figure) string {
	if fig.Name != "" {
		return fileSafe(fig.Name)
	}
	return fileSafe(strings.Join(append([]string{fig.Kind}, fig.Metrics...), "-"))
}

// fileSafe replaces characters other than letters, digits, '.', '_', '+'
// and '-' by '_', and a leading '.' by '_'.
func fileSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '+' || c == '-' || (c == '.' && i > 0)
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

// Render draws fig from in and writes it into dir, which must exist, as
// <scenario>-<Name(fig)>.<format> for each of formats ("svg", "png", "pdf";
// nil means all of Formats()) and, beside them, <scenario>-<Name(fig)>.csv:
// the data drawn, as a tidy table. It returns the paths written. Every file
// is written atomically, and the same input gives the same bytes in every
// file, PDFs included (their dates are fixed to the Unix epoch).
func Render(fig scenarios.Figure, in Input, dir string, formats []string) (files []string, err error) {
	return RenderContext(context.Background(), fig, in, dir, formats)
}

// A Drawn is one figure drawn in memory, in one format.
type Drawn struct {
	// Name is the figure's file name without extension, as Render names it.
	Name string
	// Title and Caption are the figure's title and caption as drawn.
	Title, Caption string
	// Image is the figure in the format asked for.
	Image []byte
}

// Draw lays fig out from in and draws it in format ("svg", "png" or
// "pdf"), in memory: the same bytes Render writes to the figure's file.
func Draw(fig scenarios.Figure, in Input, format string) (*Drawn, error) {
	name := Name(fig)
	if in.Scenario != "" {
		name = fileSafe(in.Scenario) + "-" + name
	}
	if !slices.Contains(Formats(), format) {
		return nil, errorf("figure %s: unknown format %q (want one of %s)", name, format, strings.Join(Formats(), ", "))
	}
	f, err := buildKind(fig, &in, layoutFor(format))
	if err != nil {
		return nil, fmt.Errorf("plots: figure %s: %w", name, err)
	}
	f = finish(f, fig, &in, layoutFor(format))
	img, err := encode(f, format)
	if err != nil {
		return nil, fmt.Errorf("plots: figure %s: %w", name, err)
	}
	return &Drawn{Name: name, Title: f.title, Caption: f.caption, Image: img}, nil
}

// ownIntervals gives in a memo of intervals if it has none, so that the
// layouts of one figure's formats bootstrap each interval once.
func (in *Input) ownIntervals() {
	if in.Intervals == nil {
		in.Intervals = results.NewIntervals()
	}
}

// render lays a figure out with lay for each format and writes it and its
// table, under name prefixed by the scenario's.
func render(ctx context.Context, name string, in Input, dir string, formats []string, lay func(layout) (*figure, error)) (files []string, err error) {
	if in.Scenario != "" {
		name = fileSafe(in.Scenario) + "-" + name
	}
	if formats == nil {
		formats = Formats()
	}
	for _, format := range formats {
		if !slices.Contains(Formats(), format) {
			return nil, errorf("figure %s: unknown format %q (want one of %s)", name, format, strings.Join(Formats(), ", "))
		}
	}
	// The figure is laid out anew for each format, in the text it can show;
	// the data drawn are the same.
	f, err := lay(layoutFor(""))
	if err != nil {
		return nil, err
	}
	base := filepath.Join(dir, name)
	for _, format := range formats {
		if err := ctx.Err(); err != nil {
			return files, err
		}
		ff, err := lay(layoutFor(format))
		if err != nil {
			return files, err
		}
		path := base + "." + format
		if err := writeImage(ff, path, format); err != nil {
			return files, fmt.Errorf("plots: figure %s: %w", name, err)
		}
		files = append(files, path)
	}
	path := base + ".csv"
	if err := writeTable(f.data, path); err != nil {
		return files, fmt.Errorf("plots: figure %s: %w", name, err)
	}
	return append(files, path), nil
}

// buildKind lays out fig by its kind.
func buildKind(fig scenarios.Figure, in *Input, l layout) (*figure, error) {
	switch fig.Kind {
	case "curves":
		return curves(fig, in, l)
	case "bars":
		return bars(fig, in, l)
	case "profile":
		return profile(fig, in, l)
	case "scatter":
		return scatter(fig, in, l)
	case "dose":
		return dose(fig, in, l)
	case "heatmap":
		return heatmap(fig, in, l)
	case "grid":
		return gridOf(fig, in, l)
	case "frontier":
		return frontier(fig, in, l)
	case "seeds":
		return seeds(fig, in, l)
	}
	return nil, fmt.Errorf("unknown kind %q (want one of %s)", fig.Kind, strings.Join(Kinds(), ", "))
}

// finish gives f its layout, and its title and caption: fig's if it has
// them, else in's title (or scenario name) and the kind's caption.
func finish(f *figure, fig scenarios.Figure, in *Input, l layout) *figure {
	f.layout = l
	switch {
	case fig.Title != "":
		f.title = fig.Title
	case in.Title != "":
		f.title = in.Title
	default:
		f.title = in.Scenario
	}
	if fig.Caption != "" {
		f.caption = strings.TrimSpace(fig.Caption)
		if !strings.HasSuffix(f.caption, ".") {
			f.caption += "."
		}
		if len(f.ns) > 0 {
			f.caption += fmt.Sprintf(" %s seeds per arm.", seedCount(f.ns))
		}
	}
	f.caption += f.note
	if len(f.ns) > 0 && slices.Min(f.ns) < FewSeeds {
		f.caption += fmt.Sprintf(" Fewer than %d seeds: the intervals are rough.", FewSeeds)
	}
	return f
}

// FewSeeds is the number of seeds below which an interval is too rough to
// read much into: a bootstrap over fewer seeds cannot show the spread of
// the runs. Figures say so in their caption.
const FewSeeds = 5

// writeImage draws f in format and writes it to path.
func writeImage(f *figure, path, format string) error {
	data, err := encode(f, format)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return results.WriteFileAtomic(path, func(w *bufio.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// encode draws f in format.
func encode(f *figure, format string) (data []byte, err error) {
	// gonum/plot reports some failures (a font it cannot embed, say) by
	// panicking; they become errors here, before anything is written.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("draw %s: %v", format, r)
		}
	}()
	if err := guardAxes(f); err != nil {
		return nil, err
	}
	w, h := f.Size()
	c, out, ok := newCanvas(format, w, h)
	if !ok {
		return nil, fmt.Errorf("unknown format %q", format)
	}
	f.Draw(draw.NewCanvas(plainText{c}, w, h))
	var buf bytes.Buffer
	if _, err := out.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode %s: %w", format, err)
	}
	data = buf.Bytes()
	switch format {
	case "svg":
		data = svgFontFallback(data)
	case "pdf":
		data = pdfFixedDates(data)
	}
	return data, nil
}

// svgFontFallback names fonts metrically equal to Liberation Sans (Arial,
// Helvetica), then any sans-serif font, for viewers that lack it: the SVG
// does not embed its fonts, to stay small.
func svgFontFallback(svg []byte) []byte {
	return bytes.ReplaceAll(svg,
		[]byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
}

// pdfFixedDates sets the creation and modification dates that vgpdf stamps
// on a PDF to the Unix epoch, so that PDFs too depend on their input alone.
// The dates keep their length, so the PDF's cross-reference offsets hold.
func pdfFixedDates(pdf []byte) []byte {
	const epoch = "19700101000000"
	for _, key := range []string{"/CreationDate (D:", "/ModDate (D:"} {
		i := bytes.Index(pdf, []byte(key))
		if i < 0 {
			continue
		}
		d := pdf[i+len(key):]
		if len(d) <= len(epoch) || d[len(epoch)] != ')' {
			continue
		}
		for j := range len(epoch) {
			if d[j] < '0' || d[j] > '9' {
				d = nil
				break
			}
		}
		copy(d, epoch)
	}
	return pdf
}

// writeTable writes t as CSV to path.
func writeTable(t table, path string) error {
	return results.WriteFileAtomic(path, func(w *bufio.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(t.header)
		cw.WriteAll(t.rows) // flushes
		return cw.Error()
	})
}
