package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/natmo/natmo/sim/results"
)

// These tests open report.html in headless Chromium (Debian's chromium,
// which .ci/run installs when it is missing) and check what a reader gets:
// the page loads offline with no console message at all (its content
// security policy turns any request it would make into one), the DOM holds
// the summary rows and every figure, and a screenshot is not blank, in
// light and in dark mode. Where no Chromium is installed they are skipped.

// browser returns the path of a Chromium, or skips the test.
func browser(t *testing.T) string {
	t.Helper()
	if raceEnabled {
		t.Skip("the browser checks run in the plain go test, not under the race detector")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium on PATH (chromium, chromium-browser or google-chrome): the report is not checked in a browser; .ci/run installs Debian's chromium")
	return ""
}

// headless runs Chromium on page with args and returns its stdout and the
// console messages it logged.
func headless(t *testing.T, bin, page string, args ...string) (stdout string, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-extensions",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0",
	}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+page)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, errb.String())
	}
	for _, l := range strings.Split(errb.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") {
			console = append(console, l)
		}
	}
	return out.String(), console
}

// checkPage loads page and checks that it logs nothing, holds a table of
// each metric with a row per arm and every figure, and draws something (in
// dark mode too, if dark). It returns the DOM.
func checkPage(t *testing.T, bin, page string, metrics, arms, figures []string, dark bool) string {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "light.png")
	dom, console := headless(t, bin, page, "--dump-dom", "--window-size=1000,1400", "--screenshot="+shot, "--hide-scrollbars")
	checkShot(t, "light", shot, false)
	if len(console) > 0 {
		t.Errorf("%s logged %d console messages (want none):\n%s", filepath.Base(page), len(console), strings.Join(console, "\n"))
	}
	if !strings.Contains(dom, "</html>") {
		t.Fatalf("no DOM dumped:\n%.500s", dom)
	}
	// The DOM holds what the page is for.
	for _, m := range metrics {
		i := strings.Index(dom, `<table class="summary" data-metric="`+m+`"`)
		if i < 0 {
			t.Errorf("no summary table of %s", m)
			continue
		}
		table := dom[i : i+strings.Index(dom[i:], "</table>")]
		for _, a := range arms {
			if !strings.Contains(table, `<tr data-arm="`+a+`">`) {
				t.Errorf("summary table of %s has no row of arm %s", m, a)
			}
		}
	}
	seedsStated := regexp.MustCompile(`<figcaption>[^<]*\b\d+(–\d+)? seeds`)
	for _, f := range figures {
		i := strings.Index(dom, `<figure id="figure-`+f+`"`)
		if i < 0 {
			t.Errorf("figure %s is not in the page", f)
			continue
		}
		fig := dom[i : i+strings.Index(dom[i:], "</figure>")]
		if !strings.Contains(fig, `<svg role="img"`) || !strings.Contains(fig, "</svg>") || !seedsStated.MatchString(fig) {
			t.Errorf("figure %s is not an inline SVG with a caption stating its seeds:\n%.300s", f, fig)
		}
	}
	// Nothing on the page points outside it.
	if m := regexp.MustCompile(`(?i)\b(src|href|xlink:href|action)="([^"#][^"]*)"`).FindAllStringSubmatch(dom, -1); len(m) > 0 {
		for _, x := range m {
			if !strings.HasPrefix(x[2], "data:") && !strings.HasPrefix(x[2], "http://www.w3.org/") {
				t.Errorf("the page refers to %s", x[0])
			}
		}
	}

	if dark {
		shot := filepath.Join(t.TempDir(), "dark.png")
		_, console := headless(t, bin, page, "--blink-settings=preferredColorScheme=0", "--force-dark-mode",
			"--window-size=1000,1400", "--screenshot="+shot, "--hide-scrollbars")
		if len(console) > 0 {
			t.Errorf("dark mode: %d console messages:\n%s", len(console), strings.Join(console, "\n"))
		}
		checkShot(t, "dark", shot, true)
	}
	return dom
}

// checkShot checks that a screenshot is not blank and that its background
// is dark exactly when dark.
func checkShot(t *testing.T, mode, path string, dark bool) {
	t.Helper()
	colours, bg := pixelStats(readPNG(t, path))
	if colours < 50 {
		t.Errorf("%s mode: the screenshot has %d colours; a page of tables and figures has hundreds", mode, colours)
	}
	if lum := (int(bg[0]) + int(bg[1]) + int(bg[2])) / 3; dark != (lum < 100) {
		t.Errorf("%s mode: the page's background is rgb%v", mode, bg)
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	return img
}

// pixelStats returns the number of distinct colours of img and the colour
// of its top-left corner (the page's background).
func pixelStats(img image.Image) (int, [3]uint8) {
	seen := map[[3]uint8]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}] = true
		}
	}
	r, g, bl, _ := img.At(b.Min.X+2, b.Min.Y+2).RGBA()
	return len(seen), [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
}

// figureNames lists the figures a results folder's figures/ holds.
func figureNames(t *testing.T, dir string) []string {
	t.Helper()
	svgs, _ := filepath.Glob(filepath.Join(dir, "figures", "*.svg"))
	if len(svgs) == 0 {
		t.Fatalf("%s has no figures", dir)
	}
	var names []string
	for _, s := range svgs {
		names = append(names, strings.TrimSuffix(filepath.Base(s), ".svg"))
	}
	return names
}

func summaryMetrics(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := results.ReadSummary(f)
	if err != nil {
		t.Fatal(err)
	}
	var ms []string
	for _, r := range rows {
		if !contains(ms, r.Metric) {
			ms = append(ms, r.Metric)
		}
	}
	return ms
}

func TestReportInBrowser(t *testing.T) {
	t.Parallel()
	bin := browser(t)
	dir := filepath.Join(t.TempDir(), "run")
	code, out, e := natmo(t, "run", "testdata/tiny.yaml", "--out", dir, "--format", "svg", "--report")
	if code != 0 || !strings.Contains(out, "Report in "+filepath.Join(dir, "report.html")) {
		t.Fatalf("run --report: exit %d\n%s\n%s", code, out, e)
	}
	if !strings.Contains(e, "fewer than 5") {
		t.Errorf("a run of 3 seeds does not warn that its intervals rest on few seeds:\n%s", e)
	}
	page := filepath.Join(dir, "report.html")
	dom := checkPage(t, bin, page, []string{"misalignment_offdomain", "persona_shift"}, []string{"baseline", "insecure", "secure"}, figureNames(t, dir), true)
	for _, want := range []string{
		"Tiny emergent-misalignment run",                          // the title
		`id="few-seeds"`,                                          // the warning: 3 seeds
		"P(harmful), other domains",                               // a metric's human label
		`<details data-metric="misalignment_offdomain"`, "seed 2", // per-seed values
		"narrow-finetune:", // the resolved scenario
		`"natmo_version":`, // the manifest
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the report lacks %q", want)
		}
	}

	// natmo report writes the same page again from the folder.
	before, _ := os.ReadFile(page)
	if code, _, e := natmo(t, "report", dir); code != 0 {
		t.Fatalf("natmo report: exit %d: %s", code, e)
	}
	if after, _ := os.ReadFile(page); !bytes.Equal(before, after) {
		t.Errorf("natmo report wrote a different page from the same folder")
	}

	// The detector works: the same page with one remote image logs the
	// request its policy blocks.
	b, _ := os.ReadFile(page)
	bad := filepath.Join(t.TempDir(), "remote.html")
	os.WriteFile(bad, bytes.Replace(b, []byte("<main>"), []byte(`<main><img src="http://natmo.invalid/x.png" alt="">`), 1), 0o644)
	if _, console := headless(t, bin, bad, "--dump-dom"); len(console) == 0 {
		t.Errorf("a page with a remote image logged nothing: the console check cannot see requests")
	}
}

func TestSweepReportInBrowser(t *testing.T) {
	t.Parallel()
	bin := browser(t)
	for _, c := range []struct {
		name string
		over []string
		kind string
	}{
		{"dose", []string{"--over", "arms.insecure.0.narrow-finetune.lr=0.001,0.01"}, "dose"},
		{"heatmap", []string{"--over", "arms.insecure.0.narrow-finetune.lr=0.001,0.01", "--over", "world.coupling=0,1"}, "heatmap"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "sweep")
			args := append([]string{"sweep", "testdata/tiny.yaml", "--set", "seeds=2", "--out", dir, "--format", "svg", "--report"}, c.over...)
			if code, out, e := natmo(t, args...); code != 0 {
				t.Fatalf("sweep --report: exit %d\n%s\n%s", code, out, e)
			}
			figs := figureNames(t, dir)
			for _, f := range figs {
				if !strings.Contains(f, "-"+c.kind+"-") {
					t.Errorf("figure %s is not a %s figure", f, c.kind)
				}
			}
			dom := checkPage(t, bin, filepath.Join(dir, "report.html"), []string{"misalignment_offdomain"}, []string{"baseline", "insecure", "secure"}, figs, false)
			if n := strings.Count(dom, `<details class="point"`); n != map[string]int{"dose": 2, "heatmap": 4}[c.name] {
				t.Errorf("%d point tables", n)
			}
		})
	}
}
