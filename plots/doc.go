// Package plots draws natmo's figures from a run's results tables, in one
// house style: a colour-blind-safe palette in which the baseline arm is grey
// and first and every arm keeps its colour across a scenario's figures, 95%
// bootstrap intervals as bands or whiskers, labelled axes, a title, a
// legend outside the data and a one-line caption, sized to be read at half
// a page's width.
//
// Render writes one figure as SVG, PNG (at 192 dpi) and PDF (fonts
// embedded), with the table of the data it draws beside it as CSV, so that
// every number in a figure can be checked and redrawn elsewhere. Drawing
// depends on the tables alone: the same input gives the same bytes in every
// file, PDFs included.
//
// RenderGrid puts several figures in one, as lettered panels.
package plots
