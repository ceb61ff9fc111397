package plots

import (
	"context"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"

	"github.com/natmo/natmo/scenarios"
)

// maxDrawable bounds the magnitude of a value on an axis. gonum/plot's tick
// placement steps from one end of a range to the other, which never ends
// when the range overflows (two values near ±1e308) or is too thin for its
// magnitude to step across; metrics of these toy worlds are of order one.
const maxDrawable = 1e100

// minRelRange is the thinnest range, relative to its magnitude, that an
// axis keeps: a thinner one (values that differ in their last digits) is
// widened to it.
const minRelRange = 1e-9

// guardAxes checks every panel's axes before f is drawn: a range that is
// not finite, or beyond maxDrawable, is an error naming the axis; a range
// too thin for its magnitude is widened.
func guardAxes(f *figure) error {
	for _, row := range f.panels {
		for _, p := range row {
			if p == nil {
				continue
			}
			for _, ax := range []struct {
				name string
				a    *plot.Axis
			}{{"x", &p.X}, {"y", &p.Y}} {
				if err := guardAxis(ax.name, ax.a); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func guardAxis(name string, ax *plot.Axis) error {
	lo, hi := ax.Min, ax.Max
	mag := math.Max(math.Abs(lo), math.Abs(hi))
	if !finite(lo) || !finite(hi) || !finite(hi-lo) {
		return fmt.Errorf("the %s axis would span [%g, %g], not a finite range (a NaN, or values near ±1e308: a diverged run?)", name, lo, hi)
	}
	if mag > maxDrawable {
		return fmt.Errorf("the %s axis would span [%g, %g]: values beyond ±%g cannot be drawn (a diverged run?)", name, lo, hi, maxDrawable)
	}
	if hi-lo < minRelRange*mag {
		mid, half := lo/2+hi/2, minRelRange*mag/2
		ax.Min, ax.Max = mid-half, mid+half
	}
	return nil
}

// plainText is a canvas that drops control characters (and the two
// non-characters XML forbids) from the text it draws: a title or an arm
// name read from a results folder may hold them, and they would make an SVG
// invalid XML.
type plainText struct{ vg.Canvas }

// FillString implements vg.Canvas.
func (c plainText) FillString(f font.Face, at vg.Point, s string) {
	c.Canvas.FillString(f, at, stripControl(s))
}

// stripControl removes control characters from s; a tab or newline
// becomes a space.
func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20, r == 0x7f, 0x80 <= r && r <= 0x9f, r == 0xfffe, r == 0xffff:
			return -1
		}
		return r
	}, s)
}

// RenderContext is Render, stopping with ctx's error between the files it
// writes once ctx is done.
func RenderContext(ctx context.Context, fig scenarios.Figure, in Input, dir string, formats []string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := Name(fig)
	in.ownIntervals()
	return render(ctx, name, in, dir, formats, func(l layout) (*figure, error) {
		f, err := buildKind(fig, &in, l)
		if err != nil {
			return nil, errorf("figure %s: %w", name, err)
		}
		return finish(f, fig, &in, l), nil
	})
}
