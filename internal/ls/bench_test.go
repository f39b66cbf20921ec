package ls

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/internal/cli"
)

// BenchmarkLs runs we-ls snapshots and we-ls runs in process on the store
// WE_BENCH_INDEX_STORE (made by scripts/bench/index.sh, or by
// BenchmarkSnapshotIndex in pkg/store), for profiles of the listing
// without the process start.
func BenchmarkLs(b *testing.B) {
	dir := os.Getenv("WE_BENCH_INDEX_STORE")
	if dir == "" {
		b.Skip("WE_BENCH_INDEX_STORE names no store (scripts/bench/index.sh sets it)")
	}
	for _, what := range []string{"snapshots", "runs"} {
		b.Run(what, func(b *testing.B) {
			for b.Loop() {
				var errb strings.Builder
				env := cli.NewEnv("we-ls", "", strings.NewReader(""), io.Discard, &errb)
				if code := Ls(env, []string{what, "--store", dir}); code != 0 {
					b.Fatalf("exit %d: %s", code, errb.String())
				}
			}
		})
	}
}
