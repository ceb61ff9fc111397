package plots

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A legendEntry is one arm in a legend: its name and the thumbnails of how
// it is drawn, drawn over each other.
type legendEntry struct {
	text   string
	thumbs []plot.Thumbnailer
}

// A legend is drawn below a figure's panels, outside every data area, with
// its entries flowing left to right in centred rows as wide as the figure.
type legend []legendEntry

// entryWidth is the width of entry e: thumbnail, space, text.
func entryWidth(e legendEntry) vg.Length {
	sty := textStyle(tickSize, false)
	return thumbWidth + sty.Width(" ") + sty.Width(e.text)
}

// rows packs the entries into rows no wider than width, in order.
func (l legend) rows(width vg.Length) [][]legendEntry {
	var rows [][]legendEntry
	var row []legendEntry
	var w vg.Length
	for _, e := range l {
		ew := entryWidth(e)
		if len(row) > 0 && w+legendSpace+ew > width {
			rows = append(rows, row)
			row, w = nil, 0
		}
		if len(row) > 0 {
			w += legendSpace
		}
		row = append(row, e)
		w += ew
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// rowHeight is the height of one row of the legend.
func rowHeight() vg.Length {
	return textStyle(tickSize, false).Height("Ag") * 1.35
}

// height is the height of the legend drawn width wide.
func (l legend) height(width vg.Length) vg.Length {
	return vg.Length(len(l.rows(width))) * rowHeight()
}

// draw draws the legend in c, from its top, in rows packed to width and
// centred in c.
func (l legend) draw(c draw.Canvas, width vg.Length) {
	sty := textStyle(tickSize, false)
	sty.YAlign = draw.YCenter
	rh := rowHeight()
	y := c.Max.Y - rh/2
	for _, row := range l.rows(width) {
		var w vg.Length
		for i, e := range row {
			if i > 0 {
				w += legendSpace
			}
			w += entryWidth(e)
		}
		x := c.Center().X - w/2
		for _, e := range row {
			thumb := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: y - rh/2},
				Max: vg.Point{X: x + thumbWidth, Y: y + rh/2},
			}}
			for _, t := range e.thumbs {
				t.Thumbnail(&thumb)
			}
			c.FillText(sty, vg.Point{X: x + thumbWidth + sty.Width(" "), Y: y}, e.text)
			x += entryWidth(e) + legendSpace
		}
		y -= rh
	}
}
