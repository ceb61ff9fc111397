package plots

import (
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A figure is a laid-out figure ready to draw in any format: from top to
// bottom a title, a grid of panels, a legend and a caption.
type figure struct {
	title, caption string
	// note is appended to the caption, a scenario's own included: what the
	// figure leaves out (stages it does not draw), which no caption may hide.
	note string
	// panels are the rows of panels; all rows have the same length. Panels
	// in a row share their data area's height, panels in a column its width.
	panels [][]*plot.Plot
	// width is the width of the whole figure, panelHeight of one row.
	width, panelHeight vg.Length
	// letters labels the panels (a), (b), … in reading order.
	letters bool
	legend  legend
	// data is the table the figure draws.
	data table
	// ns are the numbers of seeds behind the statistics drawn.
	ns []int
	// layout is what the figure is laid out for.
	layout layout
}

func (f *figure) titleStyle() text.Style  { return textStyle(titleSize, f.layout.bold) }
func (f *figure) letterStyle() text.Style { return textStyle(letterSize, f.layout.bold) }
func captionStyle() text.Style            { return textStyle(tickSize, false) }

// lineHeight is the distance between the baselines of lines of sty.
func lineHeight(sty text.Style) vg.Length { return sty.FontExtents().Height }

// wrap breaks s into lines no wider than width, at spaces.
func wrap(s string, sty text.Style, width vg.Length) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, w := range strings.Fields(para) {
			switch {
			case line == "":
				line = w
			case sty.Width(line+" "+w) <= width:
				line += " " + w
			default:
				lines = append(lines, line)
				line = w
			}
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// textWidth is the width the title, legend and caption are fitted to: a
// little less than there is, so that they still fit where an SVG viewer
// lacks Liberation Sans and puts a wider font in its place.
func (f *figure) textWidth() vg.Length { return 0.92 * (f.width - 2*margin) }

// letterPad is the room above each panel for its letter.
func (f *figure) letterPad() vg.Length {
	if !f.letters {
		return 0
	}
	return lineHeight(f.letterStyle())
}

// Size returns the figure's width and height.
func (f *figure) Size() (w, h vg.Length) {
	tw := f.textWidth()
	h = 2 * margin
	if lines := wrap(f.title, f.titleStyle(), tw); len(lines) > 0 {
		h += vg.Length(len(lines))*lineHeight(f.titleStyle()) + gap
	}
	h += vg.Length(len(f.panels)) * (f.panelHeight + f.letterPad())
	if len(f.legend) > 0 {
		h += gap + f.legend.height(tw)
	}
	if lines := wrap(f.caption, captionStyle(), tw); len(lines) > 0 {
		h += gap + vg.Length(len(lines))*lineHeight(captionStyle())
	}
	return f.width, h
}

// Draw draws the figure on c, which must have the figure's size.
func (f *figure) Draw(c draw.Canvas) {
	c.SetColor(whiteColor)
	c.Fill(c.Rectangle.Path())
	c = draw.Crop(c, margin, -margin, margin, -margin)
	tw := f.textWidth()

	// Title, centred, from the top.
	if lines := wrap(f.title, f.titleStyle(), tw); len(lines) > 0 {
		sty := f.titleStyle()
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		lh := lineHeight(sty)
		for i, l := range lines {
			c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y - vg.Length(i)*lh}, l)
		}
		c.Max.Y -= vg.Length(len(lines))*lh + gap
	}

	// Caption, left aligned, from the bottom.
	if lines := wrap(f.caption, captionStyle(), tw); len(lines) > 0 {
		sty := captionStyle()
		sty.YAlign = draw.YTop
		lh := lineHeight(sty)
		top := c.Min.Y + vg.Length(len(lines))*lh
		for i, l := range lines {
			c.FillText(sty, vg.Point{X: c.Min.X, Y: top - vg.Length(i)*lh}, l)
		}
		c.Min.Y = top + gap
	}

	// Legend, above the caption.
	if len(f.legend) > 0 {
		lh := f.legend.height(tw)
		lc := c
		lc.Max.Y = c.Min.Y + lh
		f.legend.draw(lc, tw)
		c.Min.Y += lh + gap
	}

	// Panels in what is left.
	if len(f.panels) == 0 {
		return
	}
	tiles := draw.Tiles{
		Rows: len(f.panels), Cols: len(f.panels[0]),
		PadX: 12 * pt, PadY: 8*pt + f.letterPad(),
		PadTop: f.letterPad(),
	}
	canvases := plot.Align(f.panels, tiles, c)
	n := 0
	for i, row := range f.panels {
		for j, p := range row {
			if p == nil {
				continue
			}
			p.Draw(canvases[i][j])
			if f.letters {
				sty := f.letterStyle()
				sty.YAlign = draw.YBottom
				tile := tiles.At(c, j, i)
				c.FillText(sty, vg.Point{X: tile.Min.X, Y: tile.Max.Y + 1}, panelLetter(n))
			}
			n++
		}
	}
}

// panelLetter returns "(a)" for 0, "(b)" for 1, and so on.
func panelLetter(i int) string {
	s := ""
	for {
		s = string(rune('a'+i%26)) + s
		i = i/26 - 1
		if i < 0 {
			break
		}
	}
	return "(" + s + ")"
}
