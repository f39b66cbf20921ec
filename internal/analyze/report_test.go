package analyze

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wepipe/wepipe/internal/figure"
	"github.com/wepipe/wepipe/internal/needs"
)

// reportFixture makes a small run with warps (the overdamped double well of
// TestDoubleWellRate, 30 cycles) and writes its report into a new
// directory, returning the page's path.
func reportFixture(t *testing.T) string {
	t.Helper()
	st := physicsStore(t)
	h := dwRateRun(t, st, 0, 30)
	dir := filepath.Join(t.TempDir(), "report")
	out := runTool(t, Report, "--store", st, "-o", dir, "--state", "A:x<-0.3", "--state", "B:x>0.2", h)
	if want := filepath.Join(dir, "index.html"); out != want {
		t.Fatalf("we-report printed %q, want %q", out, want)
	}
	return out
}

var (
	imgRE  = regexp.MustCompile(`<img src="([^"]+)"`)
	hrefRE = regexp.MustCompile(`<a href="([^"#]+)"`)
)

// TestReportFiles opens the report's files as a reader would: every figure
// the page shows is a PNG that decodes, of a sensible size, not blank;
// every file it links exists and is not empty; the page names its
// sections and holds no script and nothing from the network.
func TestReportFiles(t *testing.T) {
	index := reportFixture(t)
	dir := filepath.Dir(index)
	page, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	imgs := imgRE.FindAllStringSubmatch(html, -1)
	if len(imgs) < 6 {
		t.Fatalf("%d figures in the page, want the rates, profile, haMSM, states, ensemble and tree", len(imgs))
	}
	for _, m := range imgs {
		info, err := figure.Inspect(filepath.Join(dir, m[1]))
		if err != nil {
			t.Errorf("figure %s: %v", m[1], err)
			continue
		}
		if info.Width < 900 || info.Height < 500 || info.Inked < 0.02 || info.Colors < 10 {
			t.Errorf("figure %s: %d×%d, %.1f %% inked in %d colours", m[1], info.Width, info.Height, 100*info.Inked, info.Colors)
		}
	}
	links := hrefRE.FindAllStringSubmatch(html, -1)
	if len(links) < 4 {
		t.Errorf("%d data files linked, want rates, profile, states and warps", len(links))
	}
	for _, m := range links {
		fi, err := os.Stat(filepath.Join(dir, m[1]))
		if err != nil || fi.Size() == 0 {
			t.Errorf("linked file %s: %v", m[1], err)
		}
	}
	for _, want := range []string{`id="summary"`, `id="rates"`, `id="profiles"`, `id="hamsm"`, `id="states"`, `id="tree"`, `id="warps"`, `id="config"`, "x&gt;=0.3", "double-well"} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "<link"} {
		if strings.Contains(html, bad) {
			t.Errorf("the page holds %q: it must open from disk alone", bad)
		}
	}
	// Nothing but the report's files in the directory (no temporary files).
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left in the report directory: %s", e.Name())
		}
	}
}

// chromiumFlags are the headless flags of scripts/test.sh's Chromium: no
// sandbox (containers), no GPU, no network or updates, a fresh profile.
func chromiumFlags(profile string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + profile,
		"--enable-logging=stderr", "--window-size=1280,2400"}
}

// imageCheck is added to a copy of the page: once everything has loaded
// it reports each image that failed and how many loaded, on the console
// that Chromium's log shows.
const imageCheck = `<script>
window.addEventListener("load", function () {
  var ok = 0;
  for (var i = 0; i < document.images.length; i++) {
    var im = document.images[i];
    if (im.complete && im.naturalWidth > 0) { ok++; } else { console.error("broken image: " + im.getAttribute("src")); }
  }
  console.log("images loaded: " + ok + " of " + document.images.length);
});
</script>`

var consoleRE = regexp.MustCompile(`:CONSOLE[^\]]*\] "([^"]*)"`)

// TestReportChromium renders the report in headless Chromium, as a person
// opening it from disk would: the page loads with no console message
// other than the image check's, every image loads, and the screenshot is
// not blank. In CI a missing Chromium is a failure (scripts/test.sh
// installs it); elsewhere the test is skipped.
func TestReportChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a page in Chromium")
	}
	bin := needs.Program(t, "chromium", "chromium")
	index := reportFixture(t)
	page, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	nimg := len(imgRE.FindAllString(string(page), -1))
	check := filepath.Join(filepath.Dir(index), "check.html")
	if err := os.WriteFile(check, bytes.Replace(page, []byte("</body>"), []byte(imageCheck+"\n</body>"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(chromiumFlags(t.TempDir()), "--screenshot="+shot, "file://"+check)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	var messages []string
	for _, m := range consoleRE.FindAllStringSubmatch(stderr.String(), -1) {
		messages = append(messages, m[1])
	}
	want := "images loaded: " + strconv.Itoa(nimg) + " of " + strconv.Itoa(nimg)
	if len(messages) != 1 || messages[0] != want {
		t.Errorf("console messages %q, want only %q", messages, want)
	}
	info, err := figure.Inspect(shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot %d×%d, %.1f %% inked in %d colours", info.Width, info.Height, 100*info.Inked, info.Colors)
	if info.Width < 1000 || info.Inked < 0.05 || info.Colors < 50 {
		t.Errorf("screenshot %d×%d, %.1f %% inked in %d colours: blank", info.Width, info.Height, 100*info.Inked, info.Colors)
	}
}
